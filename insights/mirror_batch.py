"""Arrow batches for the analytics mirror, made where an import prepares its rows.

Kept apart from insights.mirror, which imports the models: the import's child processes unpickle a
MirrorBatch before Django is set up (sources.rowstream), so this module must not need Django.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa


class MirrorBatch:
    """Turns a batch of rows as stored into an Arrow record batch of the mirror's columns. Picklable and
    free of the database, so the import runs it where it prepares the rows (sources.rowstream)."""

    def __init__(self, schema: pa.Schema, pick: list[int]) -> None:
        self.schema = schema
        self.pick = pick

    def __call__(self, rows: Sequence[Sequence[Any]]) -> pa.RecordBatch:
        # The rows are as stored: JSON and dates already as text, so only dates need a conversion.
        arrays = [
            pa.array([row[index] for row in rows], type=pa.string()).cast(field.type)
            if pa.types.is_date(field.type)
            else pa.array([row[index] for row in rows], type=field.type)
            for index, field in zip(self.pick, self.schema, strict=True)
        ]
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)
