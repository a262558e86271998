"""The analytics mirror follows the imports: one Parquet file per release, queried with DuckDB."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from insights.mirror import connect
from sources.models import Record
from sources.releases import ImportFailed, import_file
from tests.sources_helpers import FIXTURES, csv_rows, write_csv

# The mirror is written when the import's transaction commits, so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)

SSA = FIXTURES / "who_ssa_attacks.csv"


@pytest.fixture
def mirror(settings: Any, tmp_path: Path) -> Path:
    settings.ANALYTICS_DIR = tmp_path / "analytics"
    return settings.ANALYTICS_DIR


def test_an_import_writes_its_rows_to_the_mirror(mirror: Path) -> None:
    release = import_file("who-ssa", SSA, vintage=datetime.date(2024, 3, 8)).release

    assert (mirror / f"records-{release.pk}.parquet").exists()
    db = connect()
    count, killed, countries = db.sql(
        "SELECT count(*), sum(people_killed), list(DISTINCT country_iso3 ORDER BY country_iso3) FROM current_records"
    ).fetchall()[0]
    stored = Record.objects.filter(release=release)
    assert count == stored.count() == release.rows_imported
    assert killed == sum(record.people_killed or 0 for record in stored)
    assert countries == sorted({record.country_iso3 for record in stored})
    families = db.sql("SELECT attack_families FROM records WHERE source_id = 'UKR900001'").fetchall()[0][0]
    assert families == Record.objects.get(release=release, source_id="UKR900001").attack_families
    assert db.sql("SELECT is_latest, rows_imported FROM releases").fetchall() == [
        (True, release.rows_imported)
    ]


def test_current_records_hold_only_the_latest_vintage(mirror: Path, tmp_path: Path) -> None:
    header, *rows = csv_rows(SSA)
    old = write_csv(tmp_path / "old.csv", [header, *rows])
    new = write_csv(tmp_path / "new.csv", [header, *rows[:3]])
    first = import_file("who-ssa", old, vintage=datetime.date(2024, 1, 1)).release
    second = import_file("who-ssa", new, vintage=datetime.date(2024, 2, 1)).release

    db = connect()
    latest = db.sql("SELECT id FROM releases WHERE is_latest").fetchall()
    assert latest == [(second.pk,)]
    by_release = dict(db.sql("SELECT release_id, count(*) FROM records GROUP BY ALL").fetchall())
    assert by_release == {first.pk: first.rows_imported, second.pk: second.rows_imported}
    assert db.sql("SELECT count(*) FROM current_records").fetchall() == [(second.rows_imported,)]


def test_a_failed_import_leaves_no_file_behind(mirror: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_bytes(SSA.read_bytes() + b'X1,"2024-01-01\n')

    with pytest.raises(ImportFailed, match="broken CSV"):
        import_file("who-ssa", broken, vintage=datetime.date(2024, 3, 8))

    assert not mirror.exists() or not any(mirror.iterdir())
    assert connect().sql("SELECT count(*) FROM records").fetchall() == [(0,)]


def test_refresh_mirror_rebuilds_it_from_the_database(mirror: Path, capsys: Any) -> None:
    release = import_file("who-ssa", SSA, vintage=datetime.date(2024, 3, 8)).release
    for path in mirror.glob("*"):
        path.unlink()
    (mirror / "records-999999.parquet").write_bytes(b"stale")

    call_command("refresh_mirror", "--quiet")

    assert sorted(path.name for path in mirror.glob("*.parquet")) == [
        f"records-{release.pk}.parquet",
        "releases.parquet",
    ]
    assert connect().sql("SELECT count(*) FROM current_records").fetchall() == [(release.rows_imported,)]
    assert "1 releases" in capsys.readouterr().out
