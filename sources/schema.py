"""The harmonised schema as code: one `Harmonised` value per imported source row.

docs/harmonised-schema.md describes every field (unit, meaning, and where it comes from in each source);
`sources.models.Record` stores these fields as columns next to the row as it came. Conventions:

* A count is a whole number of people, facilities or vehicles, or None when the source has no such column
  (None is "not reported", 0 is "reported as none").
* A flag is True, False, or None when the source does not say.
* A text field is "" when the source gives nothing; a `*_as_given` field keeps the source's wording.
* Codes (country, precisions, categories, types, families) come from sources/crosswalks.yaml.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, fields
from enum import StrEnum


class DatePrecision(StrEnum):
    DAY = "day"
    WEEK = "week"  # ACLED time_precision 2: the date is a day of the week in which it happened
    MONTH = "month"
    YEAR = "year"


class Resource(StrEnum):
    """Health-care resources affected (WHO SSA's `HC …` columns, §7.2)."""

    FACILITY = "facility"
    TRANSPORT = "transport"
    PERSONNEL = "personnel"
    SUPPLIES = "supplies"
    WAREHOUSE = "warehouse"
    PATIENTS = "patients"
    OTHER = "other"


@dataclass
class Harmonised:
    # When and where
    event_date: datetime.date | None = None
    date_precision: str = ""
    country_iso3: str = ""
    country_as_given: str = ""
    admin1: str = ""
    latitude: float | None = None
    longitude: float | None = None
    geo_precision: str = ""
    location_type: str = ""
    # What happened
    who_ssa_types: list[str] = field(default_factory=list)
    attack_families: list[str] = field(default_factory=list)
    attack_types_as_given: str = ""
    resources: list[str] = field(default_factory=list)
    facility_type: str = ""
    facilities_destroyed: int | None = None
    facilities_damaged: int | None = None
    facility_forceful_entry: int | None = None
    facility_occupation: int | None = None
    transport_destroyed: int | None = None
    transport_damaged: int | None = None
    transport_stolen: int | None = None
    supplies_looted: int | None = None
    access_obstructed: bool | None = None
    # Who was affected
    people_killed: int | None = None
    people_injured: int | None = None
    health_workers_killed: int | None = None
    health_workers_injured: int | None = None
    health_workers_kidnapped: int | None = None
    health_workers_arrested: int | None = None
    health_workers_threatened: int | None = None
    health_workers_assaulted: int | None = None
    health_workers_sexually_assaulted: int | None = None
    patients_kidnapped: int | None = None
    patients_arrested: int | None = None
    # By whom and with what
    perpetrator_category: str = ""
    perpetrator_as_given: str = ""
    perpetrator_name: str = ""
    weapons: list[str] = field(default_factory=list)
    # Context
    context_conflict: bool | None = None
    context_political: bool | None = None
    context_covid: bool | None = None
    context_ebola: bool | None = None
    context_vaccination: bool | None = None
    # How certain, what was said, who else reported it
    certainty: str = ""
    certainty_as_given: str = ""
    description: str = ""
    co_reported_by: list[str] = field(default_factory=list)
    # Whether the row is about health care: always for the health sources; for ACLED, decided by the
    # health rule stored with the release (sources/importers/acled.py), with what matched.
    health_related: bool = True
    health_rule_match: str = ""


class PeriodPrecision(StrEnum):
    YEAR = "year"
    MONTH = "month"


@dataclass
class AggregateFields:
    """One harmonised row of an aggregate product (sources.models.Aggregate): a country's totals over a
    year or a month. None is "no such column", 0 is "reported as none"."""

    country_iso3: str = ""
    country_as_given: str = ""
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    period_precision: str = ""
    events: int | None = None
    facilities_destroyed: int | None = None
    facilities_damaged: int | None = None
    facilities_destroyed_or_damaged: int | None = None
    health_workers_killed: int | None = None
    health_workers_injured: int | None = None
    health_workers_kidnapped: int | None = None
    health_workers_arrested: int | None = None
    health_workers_assaulted: int | None = None
    aid_workers_killed: int | None = None
    aid_workers_injured: int | None = None
    aid_workers_kidnapped: int | None = None
    measures: dict[str, int | float | None] = field(default_factory=dict)


HARMONISED_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Harmonised))

COUNT_FIELDS: tuple[str, ...] = tuple(
    f.name for f in fields(Harmonised) if f.type in ("int | None", int | None)
)

AGGREGATE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(AggregateFields))
