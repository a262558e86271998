"""Statistics of the Dutch report point (meldpunt) from the analytics database.

Only the structured answers a reporter chose from lists are used: never what they wrote, never who they are
or how they reached us. `report_table()` is what the analytics database copies (insights.analytics_db).
"""

from __future__ import annotations

import pyarrow as pa

NL_REPORT_SCHEMA = pa.schema(
    [
        ("report_id", pa.int64()),
        ("year", pa.int32()),
        ("month", pa.date32()),
        ("kinds", pa.list_(pa.string())),
        ("channel", pa.string()),
        ("place", pa.string()),
        ("perpetrator", pa.string()),
        ("profession", pa.string()),
        ("sector", pa.string()),
        ("province", pa.string()),
        ("status", pa.string()),
        ("outcome", pa.string()),
    ]
)


def report_table() -> pa.Table:
    """Every meldpunt report's structured fields, one row per report (erased reports too: erasure
    removes identity and narrative, not the fact that something happened)."""
    from meldpunt.models import Report

    fields = (
        "pk",
        "occurred_on",
        "kinds",
        "channel",
        "place",
        "perpetrator",
        "profession",
        "sector",
        "province",
        "status",
        "outcome",
    )
    rows = []
    for values in Report.objects.values_list(*fields).order_by("pk").iterator(chunk_size=5000):
        row = dict(zip(fields, values, strict=True))
        occurred = row.pop("occurred_on")
        rows.append(
            {
                "report_id": row.pop("pk"),
                "year": occurred.year if occurred else None,
                "month": occurred.replace(day=1) if occurred else None,
                **row,
                "kinds": [str(kind) for kind in row["kinds"] or []],
            }
        )
    return pa.Table.from_pylist(rows, schema=NL_REPORT_SCHEMA)
