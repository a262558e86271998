"""A small, fully known data set in the analytics database, for the insights tests.

Eight records of three sources, linked into six incidents:

| record   | source             | date       | country | families                | what                          |
|----------|--------------------|------------|---------|-------------------------|-------------------------------|
| ssa-1    | who-ssa            | 2023-05-02 | UKR     | heavy_weapons           | 2 HW killed, 1 facility damaged, confirmed |
| ssa-2    | who-ssa            | 2023-06-10 | UKR     | individual_weapons      | 1 HW injured, probable        |
| ssa-3    | who-ssa            | 2024-01-15 | SYR     | heavy_weapons           | 1 facility destroyed, confirmed |
| ssa-4    | who-ssa            | 2024-02-20 | AFG     | threat                  | possible                      |
| ii-1     | insecurity-insight | 2023-05-02 | UKR     | heavy_weapons           | 3 HW killed, state, located   |
| ii-2     | insecurity-insight | 2024-01-16 | SYR     | heavy_weapons           | 1 HW killed, state, located   |
| ii-3     | insecurity-insight | 2024-03-01 | AFG     | deprivation_of_liberty  | 2 HW kidnapped, non-state, located |
| awsd-1   | awsd               | 2024-03-05 | AFG     | individual_weapons      | 1 HW killed, unknown perpetrator, located |

Incidents: ssa-1 + ii-1, ssa-3 + ii-2, and the other four alone. De-duplicated per year: 2023 two, 2024 four.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from insights import analytics_db, mirror
from registry.models import Incident
from sources.models import Record
from tests.incident_helpers import incident, record, release

D = datetime.date


@dataclass
class KnownData:
    records: dict[str, Record]
    incidents: dict[str, Incident]


def make_known_data() -> KnownData:
    ssa = release("who-ssa")
    ii = release("insecurity-insight")
    awsd = release("awsd")
    made: dict[str, Record] = {}

    def add(name: str, of: Any, **fields: Any) -> None:
        made[name] = record(of, name, **fields)

    add(
        "ssa-1",
        ssa,
        date=D(2023, 5, 2),
        country="UKR",
        families=["heavy_weapons"],
        resources=["facility"],
        health_workers_killed=2,
        facilities_damaged=1,
        certainty="confirmed",
    )
    add(
        "ssa-2",
        ssa,
        date=D(2023, 6, 10),
        country="UKR",
        families=["individual_weapons"],
        resources=["personnel"],
        health_workers_injured=1,
        certainty="probable",
    )
    add(
        "ssa-3",
        ssa,
        date=D(2024, 1, 15),
        country="SYR",
        families=["heavy_weapons"],
        resources=["facility"],
        facilities_destroyed=1,
        certainty="confirmed",
    )
    add(
        "ssa-4",
        ssa,
        date=D(2024, 2, 20),
        country="AFG",
        families=["threat"],
        resources=["personnel"],
        certainty="possible",
    )
    add(
        "ii-1",
        ii,
        date=D(2023, 5, 2),
        country="UKR",
        families=["heavy_weapons"],
        resources=["facility"],
        health_workers_killed=3,
        perpetrator_category="state",
        latitude=50.45,
        longitude=30.52,
        admin1="Kyiv",
        certainty="unverified",
    )
    add(
        "ii-2",
        ii,
        date=D(2024, 1, 16),
        country="SYR",
        families=["heavy_weapons"],
        health_workers_killed=1,
        perpetrator_category="state",
        latitude=36.2,
        longitude=37.1,
        certainty="unverified",
    )
    add(
        "ii-3",
        ii,
        date=D(2024, 3, 1),
        country="AFG",
        families=["deprivation_of_liberty"],
        resources=["personnel"],
        health_workers_kidnapped=2,
        perpetrator_category="non_state_armed_group",
        latitude=34.5,
        longitude=69.2,
        certainty="unverified",
    )
    add(
        "awsd-1",
        awsd,
        date=D(2024, 3, 5),
        country="AFG",
        families=["individual_weapons"],
        health_workers_killed=1,
        perpetrator_category="unknown",
        latitude=34.6,
        longitude=69.1,
    )
    incidents = {
        "ukr": incident(made["ssa-1"], made["ii-1"]),
        "syr": incident(made["ssa-3"], made["ii-2"]),
        **{name: incident(made[name]) for name in ("ssa-2", "ssa-4", "ii-3", "awsd-1")},
    }
    return KnownData(made, incidents)


def build_analytics(settings: Any, tmp_path: Path) -> KnownData:
    """The known data in the database, mirrored and built into a fresh analytics database."""
    settings.ANALYTICS_DIR = tmp_path / "analytics"
    analytics_db.close()
    known = make_known_data()
    mirror.refresh_all()
    analytics_db.build()
    return known
