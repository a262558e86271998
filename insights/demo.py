"""Datasets for the demo (`zorgveilig load_demo`), so the dashboard, map and reports have something to show.

With the published sample files beside the repository (`../shared/data`, as on the project's machines) the
demo imports those; otherwise the small files the tests use (tests/fixtures/sources, written for this
project). ZORGVEILIG_DEMO_DATASETS chooses: auto (the default), samples, fixtures or none. Then it links
them and builds the analytics database. Nothing happens when datasets were imported
before: the demo never adds to real work.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

D = datetime.date


@dataclass(frozen=True)
class DemoFile:
    source: str
    path: str
    vintage: datetime.date
    product: str | None = None


SAMPLES = Path(settings.BASE_DIR).parent / "shared" / "data"
SAMPLE_FILES = (
    DemoFile("who-ssa", "who_ssa/ssa-dashboard-report_data_20240308.xlsx", D(2024, 3, 8)),
    DemoFile("shcc", "shcc/2022-shcc-incident-data.xlsx", D(2023, 5, 23)),
    DemoFile(
        "insecurity-insight",
        "insecurity_insight/2016-2023-attacks-on-health-care-incident-data.xlsx",
        D(2024, 5, 1),
    ),
    DemoFile("awsd", "awsd/awsd-incidents-search-format.csv", D(2024, 6, 1)),
)
FIXTURES = Path(settings.BASE_DIR) / "tests" / "fixtures" / "sources"
FIXTURE_FILES = (
    DemoFile("who-ssa", "who_ssa_attacks.csv", D(2024, 3, 8)),
    DemoFile("shcc", "shcc_incidents_drift.csv", D(2023, 5, 23), "incident-data-2022"),
    DemoFile("insecurity-insight", "sind_healthcare.json", D(2024, 5, 1)),
    DemoFile("awsd", "awsd_incidents.csv", D(2024, 6, 1)),
    DemoFile("acled", "acled_events.csv", D(2024, 6, 1)),
)

Step = Callable[[str], None]


def load_demo_datasets(on_step: Step | None = None) -> int:
    """Import, link and build the analytics database; returns the number of files imported (0 when any
    release existed already, in which case only the analytics database is built if it is missing)."""
    from insights import analytics_db
    from linkage.actions import link_now
    from sources.models import Release
    from sources.releases import import_file

    say = on_step or (lambda label: None)
    wanted = settings.DEMO_DATASETS
    if wanted == "none":
        return 0
    samples_present = all((SAMPLES / item.path).exists() for item in SAMPLE_FILES)
    use_samples = wanted == "samples" or (wanted == "auto" and samples_present)
    if use_samples and not samples_present:
        missing = [item.path for item in SAMPLE_FILES if not (SAMPLES / item.path).exists()]
        raise FileNotFoundError(f"ZORGVEILIG_DEMO_DATASETS=samples, but {SAMPLES} lacks {', '.join(missing)}")
    imported = 0
    if not Release.objects.exists():
        chosen = SAMPLE_FILES if use_samples else FIXTURE_FILES
        folder = SAMPLES if use_samples else FIXTURES
        for item in chosen:
            say(f"importing {item.path}")
            import_file(item.source, folder / item.path, vintage=item.vintage, product=item.product)
            imported += 1
        say("linking the records into incidents")
        link_now(None)
    if imported or not analytics_db.database_path().exists():
        say("building the analytics database")
        analytics_db.build()
    return imported
