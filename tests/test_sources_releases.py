"""Release mechanics: same bytes change nothing, one transaction per release, vintages compared by id."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from audit.models import Event
from sources.crosswalks import crosswalks
from sources.importers.who_ssa import WhoSsaImporter
from sources.models import Record, Release
from sources.releases import ImportFailed, import_file, sha256_of, withdrawn_records
from tests.sources_helpers import FIXTURES, csv_rows, database_counts, write_csv, write_xlsx

pytestmark = pytest.mark.django_db

SSA = FIXTURES / "who_ssa_attacks.csv"
HEADER = csv_rows(SSA)[0]


def ssa_row(
    attack_id: str, *, date: str = "2023-05-02", injured: str = "0", country: str = "Ukraine"
) -> list[str]:
    return [
        attack_id,
        date,
        "Time Unknown",
        country,
        "Confirmed",
        " Other",
        injured,
        "0",
        "NO",
        "NO",
        "NO",
        "NO",
        "NO",
        "NO",
        "",
        "",
        "",
        "0",
        "0",
        "0",
        "0",
        "0",
        "0",
    ]


def vintage(tmp_path: Path, name: str, *rows: list[str]) -> Path:
    return write_csv(tmp_path / name, [HEADER, *rows])


def test_release_records_file_hash_vintage_importer_and_counts() -> None:
    release = import_file("who-ssa", SSA, vintage=datetime.date(2024, 3, 8)).release
    assert release.sha256 == sha256_of(SSA.read_bytes())
    assert release.file_name == "who_ssa_attacks.csv" and release.file_size == SSA.stat().st_size
    assert (release.importer, release.importer_version) == ("who_ssa", WhoSsaImporter.version)
    assert release.crosswalks_version == crosswalks().version
    assert (release.added, release.changed, release.unchanged, release.withdrawn) == (4, 0, 0, 0)
    event = Event.objects.get(action="sources.release_imported")
    assert event.object_id == str(release.pk) and event.details["rows_quarantined"] == 4


def test_importing_the_same_bytes_again_changes_nothing_and_says_which_release(tmp_path: Path) -> None:
    first = import_file("who-ssa", SSA, vintage=datetime.date(2024, 3, 8))
    before = database_counts()
    copy = tmp_path / "renamed-copy.csv"
    copy.write_bytes(SSA.read_bytes())
    again = import_file("who-ssa", copy, vintage=datetime.date(2025, 1, 1), product="other-product")
    assert again.already_imported and not first.already_imported
    assert again.release.pk == first.release.pk
    assert database_counts() == before


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: FIXTURES / "empty.csv", "the file is empty"),
        (lambda tmp: FIXTURES / "who_ssa_cp1252.csv", "not UTF-8: byte 0xf4 on line 2"),
        (lambda tmp: _truncated_xlsx(tmp), "not a readable XLSX workbook"),
        (
            lambda tmp: _bytes(tmp, "export.xlsx", b"Attack ID,Attack Date\n"),
            "the content is not an XLSX file",
        ),
        (lambda tmp: _bytes(tmp, "export.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100), "Excel 97-2003"),
        (lambda tmp: _bytes(tmp, "export.json", b'[{"Attack ID": 1}]'), "missing column(s) 'Attack Date'"),
        (lambda tmp: _bytes(tmp, "export.csv", "\ufeffAttack ID".encode("utf-16")), "UTF-16"),
        (lambda tmp: _bytes(tmp, "export.csv", b'Attack ID,"Attack Date\n1,"2'), "broken CSV"),
        (lambda tmp: vintage(tmp, "header-only.csv"), "no data rows"),
        (lambda tmp: write_csv(tmp / "blank-rows.csv", [HEADER, [""] * 23, []]), "no data rows"),
        (
            lambda tmp: write_csv(tmp / "other.csv", [["Name", "Value"], ["a", "1"]]),
            "missing column(s) 'Attack ID'",
        ),
    ],
)
def test_a_bad_file_gets_one_clear_error_and_leaves_the_database_as_it_was(
    tmp_path: Path, make: Any, message: str
) -> None:
    import_file("who-ssa", SSA, vintage=datetime.date(2024, 3, 8))
    before = database_counts()
    with pytest.raises(ImportFailed) as caught:
        import_file("who-ssa", make(tmp_path), vintage=datetime.date(2024, 4, 1))
    assert message in str(caught.value)
    assert database_counts() == before


def _bytes(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _truncated_xlsx(tmp_path: Path) -> Path:
    whole = write_xlsx(tmp_path / "whole.xlsx", csv_rows(SSA))
    return _bytes(tmp_path, "truncated.xlsx", whole.read_bytes()[: whole.stat().st_size // 2])


def test_an_error_halfway_rolls_back_every_row_of_the_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = vintage(tmp_path, "v1.csv", *(ssa_row(f"UKR{n:06}") for n in range(1, 2500)))
    before = database_counts()
    original = WhoSsaImporter.read_row
    calls = {"n": 0}

    def failing(self: WhoSsaImporter, cells: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2200:  # after two batches of records were written
            raise RuntimeError("disk full")
        return original(self, cells)

    monkeypatch.setattr(WhoSsaImporter, "read_row", failing)
    with pytest.raises(RuntimeError):
        import_file("who-ssa", path, vintage=datetime.date(2024, 1, 1))
    assert database_counts() == before


def test_a_new_vintage_records_added_changed_unchanged_and_withdrawn(tmp_path: Path) -> None:
    old = vintage(tmp_path, "v1.csv", ssa_row("A1"), ssa_row("A2"), ssa_row("A3"), ssa_row("A4", date="bad"))
    new = vintage(tmp_path, "v2.csv", ssa_row("A1"), ssa_row("A2", injured="5"), ssa_row("A5"))
    first = import_file("who-ssa", old, vintage=datetime.date(2024, 1, 1)).release
    second = import_file("who-ssa", new, vintage=datetime.date(2024, 2, 1)).release
    assert second.previous == first
    assert (second.added, second.changed, second.unchanged, second.withdrawn) == (1, 1, 1, 1)
    changes = dict(second.records.values_list("source_id", "change"))
    assert changes == {"A1": "unchanged", "A2": "changed", "A5": "added"}
    assert Record.objects.get(release=second, source_id="A2").previous == Record.objects.get(
        release=first, source_id="A2"
    )
    assert [record.source_id for record in withdrawn_records(second)] == ["A3"]
    # The old vintage is kept as it was.
    assert (
        first.records.count() == 3 and Record.objects.get(release=first, source_id="A2").people_injured == 0
    )


def test_a_quarantined_row_is_not_counted_as_withdrawn(tmp_path: Path) -> None:
    import_file(
        "who-ssa",
        vintage(tmp_path, "v1.csv", ssa_row("A1"), ssa_row("A2")),
        vintage=datetime.date(2024, 1, 1),
    )
    second = import_file(
        "who-ssa",
        vintage(tmp_path, "v2.csv", ssa_row("A1"), ssa_row("A2", date="31/12/2023")),
        vintage=datetime.date(2024, 2, 1),
    ).release
    assert (second.rows_quarantined, second.withdrawn) == (1, 0)


def test_repeated_ids_are_compared_by_occurrence(tmp_path: Path) -> None:
    old = vintage(tmp_path, "v1.csv", ssa_row("4664", injured="1"), ssa_row("4664", injured="2"))
    new = vintage(
        tmp_path, "v2.csv", ssa_row("4664", injured="1"), ssa_row("4664", injured="3"), ssa_row("4664")
    )
    import_file("who-ssa", old, vintage=datetime.date(2024, 1, 1))
    second = import_file("who-ssa", new, vintage=datetime.date(2024, 2, 1)).release
    rows = list(second.records.order_by("row_number").values_list("occurrence", "change"))
    assert rows == [(1, "unchanged"), (2, "changed"), (3, "added")]


def test_an_older_vintage_imported_later_is_slotted_in_and_the_next_one_compared_again(
    tmp_path: Path,
) -> None:
    newest = import_file(
        "who-ssa",
        vintage(tmp_path, "v3.csv", ssa_row("A1"), ssa_row("A2")),
        vintage=datetime.date(2024, 3, 1),
    ).release
    assert newest.added == 2
    middle = import_file(
        "who-ssa",
        vintage(tmp_path, "v2.csv", ssa_row("A1"), ssa_row("A9")),
        vintage=datetime.date(2024, 2, 1),
    ).release
    assert middle.previous is None and middle.added == 2
    newest.refresh_from_db()
    assert newest.previous == middle
    assert (newest.added, newest.unchanged, newest.withdrawn) == (1, 1, 1)


def test_vintages_of_other_products_are_not_compared(tmp_path: Path) -> None:
    import_file("who-ssa", vintage(tmp_path, "v1.csv", ssa_row("A1")), vintage=datetime.date(2024, 1, 1))
    other = import_file(
        "who-ssa",
        vintage(tmp_path, "v2.csv", ssa_row("B1")),
        vintage=datetime.date(2024, 2, 1),
        product="ukraine-only",
    ).release
    assert other.previous is None and other.withdrawn == 0


def test_unknown_source_unreadable_file_and_bad_product_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="no importer for source 'acme'"):
        import_file("acme", SSA)
    with pytest.raises(ImportFailed, match="cannot be read"):
        import_file("who-ssa", tmp_path / "missing.csv")
    with pytest.raises(ImportFailed, match="lowercase letters"):
        import_file("who-ssa", SSA, vintage=datetime.date(2024, 1, 1), product="Bad Product!")
    with pytest.raises(ImportFailed, match="cannot tell the vintage"):
        import_file("who-ssa", SSA)
    with pytest.raises(ImportFailed, match="cannot tell which shcc product"):
        import_file("shcc", FIXTURES / "shcc_incidents_drift.csv", vintage=datetime.date(2024, 1, 1))
    assert not Release.objects.exists()
