"""The harmonised schema in code, in the model and in docs/harmonised-schema.md say the same."""

from __future__ import annotations

from pathlib import Path

from sources.models import Record
from sources.schema import COUNT_FIELDS, HARMONISED_FIELDS

DOC = Path(__file__).resolve().parent.parent / "docs" / "harmonised-schema.md"


def test_every_harmonised_field_is_a_record_column() -> None:
    columns = {field.name for field in Record._meta.get_fields()}
    assert set(HARMONISED_FIELDS) <= columns


def test_every_harmonised_field_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [name for name in HARMONISED_FIELDS if f"`{name}`" not in text]
    assert missing == []


def test_counts_are_nullable_whole_numbers() -> None:
    assert "people_killed" in COUNT_FIELDS and "health_workers_arrested" in COUNT_FIELDS
    for name in COUNT_FIELDS:
        field = Record._meta.get_field(name)
        assert field.get_internal_type() == "PositiveIntegerField" and field.null, name
