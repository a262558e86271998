"""Fuzzing the importers: a malformed file never crashes an import and never leaves a partial release.

For every importer in sources.importers.IMPORTERS (one added later is fuzzed too, with a layout made from its
own column list until one is written here), hypothesis writes small files of the importer's layout, valid or
broken (tests/sources_fuzz_strategies.py), and imports them. The property: sources.releases.import_file
either returns a release whose counts add up (rows read = imported + quarantined, the database holds exactly
that many rows for it and nothing else new), or raises ImportFailed with a message and leaves every table as
it was. Any other exception is a bug. The layouts below are written from datasets.md, never from the files.

The default run is small and the same every time (derandomized). A long, random fuzz (hypothesis prints the
steps that made a failing file and a @reproduce_failure line):

    ZORGVEILIG_FUZZ=long .venv/bin/pytest tests/test_sources_fuzz.py -p no:cacheprovider -k never_crash
    ZORGVEILIG_FUZZ_EXAMPLES=5000 ...   (examples per importer; add --hypothesis-show-statistics for how
                                         the files fared)

Inputs that still crash are listed in sources_fuzz_strategies.KNOWN_BUGS (not drawn, so the fuzz looks for
other crashes) and reproduced at the end by tests marked xfail(strict=True): when the fix lands, the test
passes, which fails the run until the marker and the KNOWN_BUGS entry go.
"""

from __future__ import annotations

import datetime
import importlib
import inspect
import json
import os
import re
import struct
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from hypothesis import HealthCheck, assume, event, given, note, settings
from hypothesis import strategies as st

from audit.models import Event
from sources.importers import IMPORTERS
from sources.importers.base import TableImporter
from sources.models import Aggregate, Product, Quarantine, Record, Release, Source
from sources.releases import ImportFailed, import_file, rows_model
from tests.sources_fuzz_strategies import (
    DAYS,
    VALUES,
    DrawnTable,
    Layout,
    csv_bytes,
    derived_layout,
    fuzzed_file,
    joined,
    json_records,
    known_bug_in,
    layout,
    rezipped,
    serial_of,
    split,
    valid_table,
    xlsx_bytes,
    xlsx_parts,
)

pytestmark = pytest.mark.django_db
ON_POSTGRESQL = "postgresql" in django_settings.DATABASES["default"]["ENGINE"]

settings.register_profile(
    "sources-fuzz",
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
settings.register_profile(
    "sources-fuzz-long",
    parent=settings.get_profile("sources-fuzz"),
    max_examples=2000,
    derandomize=False,
)
FUZZ = settings.get_profile(
    "sources-fuzz-long" if os.environ.get("ZORGVEILIG_FUZZ") == "long" else "sources-fuzz"
)
if "ZORGVEILIG_FUZZ_EXAMPLES" in os.environ:
    FUZZ = settings(FUZZ, max_examples=int(os.environ["ZORGVEILIG_FUZZ_EXAMPLES"]))

# -- The layouts of datasets.md, one column a line: `header | HXL tag | kind [| values to choose from]` ------

COUNT_TEXTS = st.integers(min_value=0, max_value=12).map(str)  # the SiND API writes counts as strings (§4.4)
ISO_DATES = DAYS.map(datetime.date.isoformat)
II_DATES = st.one_of(
    DAYS.map(lambda day: datetime.datetime(day.year, day.month, day.day)),
    DAYS.map(serial_of),
    DAYS.map(lambda day: f"{day.isoformat()}T00:00:00.000Z"),
)


def lines(template: str, names: tuple[str, ...]) -> str:
    return "\n".join(template.format(name) for name in names)


# §7.1: the exact export labels (the second lacks its closing parenthesis, the seventh has a bare comma).
SSA_ATTACK_TYPES = (
    "Violence with heavy weapons (requires more than one person to use such as firearms, tanks, missiles, "
    "bombs, mortars)",
    "Violence with individual weapons (knives, bricks, clubs, guns, grenades and improvised explosive "
    "devices (IED)",
    *split(
        "Obstruction to health care delivery (e.g. physical, administrative, legal etc)|"
        "Psychological violence/threat of violence/intimidation|"
        "Removal of health care assets (e.g. transport, supplies, materials)|"
        "Abduction/Arrest/Detention of health personnel or patients|"
        "Armed or violent search of health care personnel, facility or transport|Assault (without weapons)|"
        "Militarization of a health care asset|Setting fire|Other|Criminalization of health care|Unknown|"
        "Chemical agent|Sexual assault"
    ),
)
SSA_FLAGS = split(
    "HC Facilities|HC Transport|HC Personnel|HC Supplies Assets|HC Warehouse Storage|HC Patients"
)
SSA_COUNTS = split("HW Abduction|HW Arrest|HW Detention|Patient Abduction|Patient Arrest|Patient Detention")
WHO_SSA = layout(
    "WHO SSA dashboard report (§6)",
    ("xlsx", "csv"),
    "ssa-dashboard-report_data_20240308",
    f"""
    Attack ID |  | id | UKR9{{:05d}}; oPt9{{:05d}}; HTI9{{:05d}}; NGK9{{:05d}}
    Attack Date |  | date
    Attack Time |  | text | Time Unknown; 10:15; 00:00-06:00; 18:00-00:00
    Country / Territory |  | country | occupied Palestinian territory; Ukraine; Nagorno-Karabakh; Israel
    Certainty Level |  | choice | Confirmed; Probable; Possible
    Attack Type |  | text
    Total Injured |  | count
    Total Death |  | count
    {lines("{} |  | flag | YES; NO; Unknown", SSA_FLAGS)}
    HC Other |  | text | ; pharmacy; Mobile clinic
    Type of Facility |  | choice | ; Primary; Secondary; Tertiary; Mobile Clinic; Other
    Facility Other |  | text | ; Ambulance
    {lines("{} |  | count", SSA_COUNTS)}
    """,
    {
        "Attack Date": st.one_of(
            st.datetimes(min_value=datetime.datetime(2017, 2, 25), max_value=datetime.datetime(2024, 3, 7)),
            DAYS.map(lambda day: serial_of(day) + 0.5729166667),
        ),
        "Attack Type": joined(SSA_ATTACK_TYPES, prefix=" "),
    },
)

# §4.2 and §4.5; the parts the II, SHCC and SiND API layouts share.
II_PLACE = """
    Country | #country +name | country
    Country ISO | #country +ISO | iso3
"""
II_WHO = """
    Reported Perpetrator | #group +perp | choice | NSA; No Information; Foreign Forces: Military; Police;
        Criminal; Armed Forces of Government/Self-Declared Government; Foreign Forces - Military
    Reported Perpetrator Name | #group +perp +name | text
    Weapon Carried/Used | #weapons | multi | Aerial Bomb: Plane; Aerial Bomb: Drone; Shelling; Missile;
        Unspecified IED; Firearms; Knife; Stones, Sticks and Gravel; Tasers, Live and Rubber Bullets; Arson
"""
FACILITIES = """
    Number of Attacks on Health Facilities Reporting Destruction | #indicator +destroyed +num | count
    Number of Attacks on Health Facilities Reporting Damaged | #indicator +damaged +num | count
    Forceful Entry into Health Facility | #indicator +health_facility +armed_entry +num | count
    Occupation of Health Facility | #indicator +health_facility +occupy | count
    Health Transportation Destroyed | #indicator +health_transport +destroyed +num | count
    Health Transportation Damaged | #indicator +health_transport +damaged +num | count
"""
WORKERS = split("Killed|Injured|Kidnapped|Arrested|Threatened|Assaulted|Sexually Assaulted")
OUTCOMES = "NoInformation; Freed; StillInCaptivity; Killed; Missing"
CONTEXT = """
    Conflict-Related Violence |  | choice | ConflictEvent; NotApplicable
    Political-Related Violence |  | choice | Politically-related; NotApplicable
    COVID-19-Related Violence |  | choice | COVIDEvent; NotApplicable
    Ebola-Related Violence |  | choice | Ebola-related; NotApplicable
    Vaccination-Related Violence |  | choice | Vaccination-related; NotApplicable
"""
II_INCIDENTS = layout(
    "Insecurity Insight incident data (§4.2)",
    ("xlsx", "csv"),
    "2016-2023-attacks-on-health-care-incident-data",
    f"""
    Date | #date | date
    Event Description |  | text
    {II_PLACE}
    Admin 1 | #admin1 | text
    Latitude | #lat | lat
    Longitude | #long | lon
    Geo Precision |  | choice | (2) 25 km Precision ; (3) District, Communicipality or Commune ; (6) Country
    {II_WHO}
    Location  | #loc | choice | Health Building; No Information; Road; Open Space; Home; Checkpoint
    {FACILITIES}
    Health Transportation Stolen/Hijacked | #indicator +health_transport +abducted +num | count
    Looting/Theft/Robbery/Burglary of Health Supplies | #indicator +health_supplies +taken +num | count
    Access Denied or Obstructed | #indicator +health_obstruction | flag
    {lines("Health Workers {} | #affected +healthworker | count", WORKERS[:4])}
    Known Kidnapping or Arrest Outcome |  | multi | {OUTCOMES}
    {lines("Health Workers {} | #affected +healthworker | count", WORKERS[4:])}
    {CONTEXT}
    SiND Event ID |  | id | {{:d}}
    """,
    {"Date": II_DATES},
    ("Insecurity Insight. 2024. Attacks on Health Care Incident Data, v. 05 January 2024. Geneva.",),
)

# §5.2: columns 25-61 break the four counts down (names cut at 63 characters, repeated, misspelt as given).
SHCC_BREAKDOWN = split(
    "Health Workers Killed|International Health Workers Working Within The Aid System Kill|"
    "International Health Worker Outside The Aid Structure Killed|"
    "National Employees of International Aid Agencies Killed|National Employees of Local NGO Killed|"
    "Health Worker Working Within National Health Structure Killed|"
    "National Health Worker Working for Unspecified Health Provider |"
    "Health Workers Working for INGO, ICRC or UN Killed|"
    "Health Workers Working for LNGO,  NGO or National Society of th|"
    "Health Workers Working for local health structure killed|Health Workers Killed In Captivity|"
    "Female Health Workers Killed|Male Health Workers Killed|Health Workers Injured|"
    "International Health Workers Working Within the Aid System Inju|"
    "International Health Worker Outside the Aid Structure Injured|"
    "National Employees of International Aid Agencies Injured|"
    "Health Worker Working Within National Health Structure Injured|"
    "National Health Worker Working For Unspecified Health Provider |Female Health Workers Injured|"
    "Male Health Workers Injured |Health Workers Kidnapped|"
    "International Health Workers Working Within the Aid System Kidn|"
    "International Health Worker Outside the Aid Structure Kidnapped|"
    "National Employees of International Aid Agencies Kidnapped|"
    "Health Worker Working Within National Health Structure Kidnappe|"
    "National Health Worker Working for Unspecified Health Provider |Female Health Workers Kidnapped|"
    "Male Health Workers Kidanpped|Health Workers Arrested|"
    "International Health Workers Working Within the Aid System Arre|"
    "International Health Worker Outside the Aid Structure Arrested |"
    "National Employees of International Aid Agencies Arrested or De|"
    "Health Worker Working Within National Health Structure Arrested|"
    "National Health Worker Working for Unspecified Health Provider |"
    "Female Health Workers Arrested or Detained|Male Health Workers Arrested or Detained"
)
SHCC_INCIDENTS = layout(
    "SHCC incident data (§5.2)",
    ("xlsx", "csv"),
    "2022-shcc-incident-data",
    f"""
    Date | #date | date
    {II_PLACE}
    {II_WHO}
    {FACILITIES}
    Health Transportation Stolen/Highjacked | #indicator +health_transport +abducted +num | count
    Looting/Theft/Robbery/Burglary of Health Supplies | #indicator +health_supplies +taken +num | count
    Obstruction to Health Care | #indicator +health_obstruction | count | 0; 1
    Health Workers Killed | #affected +healthworker +killed | count
    Health Workers Injured | #affected +healthworker +injured | count
    Health Workers Kidnapped | #affected +healthworker +arrested | count
    Health Workers Arrested | #affected +healthworker +kidnapped | count
    Known Kidnapping or Arrest Outcome | #affected +healthworker +assaulted | multi | {OUTCOMES}
    {lines("Health Workers {} | #affected +healthworker | count", WORKERS[4:])}
    Reported Health Worker Profession |  | multi | Doctor; Nurse; Paramedic; Driver; OtherHealthProfessional
    {lines("{} |  | count", SHCC_BREAKDOWN)}
    {CONTEXT}
    SiND Event ID | #event +id | id | {{:d}}
    """,
    {"Date": II_DATES},
    (
        "Safeguarding Health in Conflict Coalition. 2023. 2022 January-December SHCC Incident Data, "
        "v. May 2023.",
    ),
)

SHCC_OVERVIEW = layout(
    "SHCC overview data (§5.3)",
    ("xlsx",),
    "2021-shcc-overview-data",
    """
    Country | #country +name | country | Afghanistan; Myanmar; Ukraine; OPT; DRC; Syria; Mali
    Number of reported incidents | #event +num  | count
    Number of health workers killed | #affected +healthworker +killed | count
    Number of health workers kidnapped | #affected +healthworker +kidnapped | count
    Deprivation of liberty |  | count
    Number of health workers arrested  | #affected +healthworker +arrested | count
    Number of health workers injured | #affected +healthworker +injured | count
    Total health worker assaulted | #affected +healthworker +assaulted | count
    Total number of attacks on facilities which reported destruction | #indicator +destroyed | count
    Total number of attacks on facilities which reported damage | #indicator +damaged | count
    Forceful entry into health facility | #indicator +health_facility +armed_entry +num | count
    Occupation of health facility | #indicator +health_facility +occupy | count
    Health transportation destroyed | #indicator +health_transport +destroyed +num | count
    Health transportation damaged | #indicator +health_transport +damaged +num | count
    Health transportation stolen/highjacked | #indicator +health_transport +abducted +num | count
    Looting, theft, robbery, burglary of health supplies | #indicator +health_supplies +taken +num | count
    Obstruction to health care | #indicator +health_obstruction | count
    """,
    metadata=(
        "Safeguarding Health in Conflict Coalition. 2022. 2021 SHCC Overview Data, v. May 2022. Geneva.",
    ),
)

II_OVERVIEW_JSON = layout(
    "SiND API healthcareOverview (§4.7)",
    ("json",),
    "api-sample-healthcareOverview",
    f"""
    Country |  | country | Afghanistan; Myanmar; Ukraine; Sudan
    Year |  | year | 2016; 2020; 2023
    Country ISO |  | iso3
    Number Of Events |  | count
    Number of Attacks on Health Facilities Reporting Damege or Dest |  | count
    {lines("Health Workers {} |  | count", WORKERS[:4])}
    """,
    {f"Health Workers {what}": COUNT_TEXTS for what in WORKERS[:4]}
    | dict.fromkeys(
        ("Number Of Events", "Number of Attacks on Health Facilities Reporting Damege or Dest"), COUNT_TEXTS
    ),
)

API_PLACE = re.sub(  # JSON records have no HXL tags
    r" \| #[^|]*\| ",
    " |  | ",
    f"""
    Date |  | date
    Event Description |  | text
    {II_PLACE}
    Admin 1 |  | text
    Latitude |  | lat
    Longitude |  | lon
    Geo Precision |  | choice | (2) 25 km precision ; (2) 25 km Precision ; (6) Country
    Location of Incident |  | choice | Health Building; No Information; Road; Home
    {II_WHO}
    """,
)
API_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "Date": st.one_of(ISO_DATES, DAYS.map(lambda day: f"{day.isoformat()}T00:00:00.000Z")),
    "Latitude": VALUES["lat"].map(str),
    "Longitude": VALUES["lon"].map(str),
    "Known Kidnapping or Arrest Outcome": st.one_of(st.none(), joined(OUTCOMES.split("; "))),
}
SIND_COUNTS = (
    *(line.split(" | ")[0].strip() for line in FACILITIES.strip().splitlines()),
    *split("Vicinity of Health Facility Affected|Health Transportation Stolen/Hijacked"),
    "Looting/Theft/Robbery/Burglary of Health Supplies",
    *(f"Health Workers {what}" for what in WORKERS),
)
SIND_HEALTHCARE_JSON = layout(
    "SiND API healthcare records (§4.4)",
    ("json",),
    "healthcare-api",
    f"""
    {API_PLACE}
    {lines("{} |  | count", SIND_COUNTS)}
    Access Denied or Obstructed |  | flag
    Known Kidnapping or Arrest Outcome |  | text
    Reported Health Worker Profession |  | multi | Doctor; Nurse; Paramedic
    Event Types |  | choice | ; Attack; Threat
    Facility Name |  | text
    Organisation Affected |  | choice | ; INGO; LNGO, UN Agency
    {CONTEXT}
    {lines("{} |  | flag", split("Insecurity Insight|WHO SSA|Ukrainian Healthcare Centre|PHR"))}
    International NGO Safety Organisation (INSO) |  | flag
    SiND Event ID |  | id | {{:d}}
    """,
    API_VALUES
    | dict.fromkeys(SIND_COUNTS, COUNT_TEXTS)
    | {"Facility Name": st.lists(st.sampled_from(split("Clinic A|Hospital B")), max_size=2)},
)

KIKA_COUNTS = tuple(
    f"{who}Aid Workers {what}"
    for what in split("Killed|Killed in Captivity|Injured|Kidnapped|Arrested")
    for who in split("|International |National |Female |Male ")
)
SIND_KIKA_JSON = layout(
    "SiND API aidworkerKIKA records (§4.6)",
    ("json",),
    "api-sample-aidWorkerKIKA",
    f"""
    {API_PLACE}
    Organisation Affected |  | choice | INGO; LNGO; UN Agency; LNGO, UN Agency
    Programme Focus |  | choice | ; Health; Education
    Known Kidnapping or Arrest Outcome |  | text
    {lines("{} |  | count", KIKA_COUNTS)}
    SiND Event ID |  | id | {{:d}}
    """,
    API_VALUES | dict.fromkeys(KIKA_COUNTS, COUNT_TEXTS),
)

AWSD = layout(
    "AWSD incidents search export (§8)",
    ("csv",),
    "awsd-incidents-search-format",
    """
    Incident ID | #event+id | id | {:d}
    Year | #date+year | year
    Month | #date+month | month
    Day | #date+day | day
    Country Code | #country+code | choice | AF; SD; SS; PS; UA; SO
    Country | #country+name+i_en | country | Afghanistan; Sudan; South Sudan; Somalia
    Region | #adm1+name+i_en | text
    District | #adm2+name+i_en | text
    City | #adm3+name+i_en | text
    UN | #affected+UN | count
    INGO | #affected+INGO | count
    ICRC | #affected+ICRC | count
    NRCS and IFRC | #affected+IFRC | count
    NNGO | #affected+NGO | count
    Other | #affected+other | count
    Nationals killed | #affected+killed+national | count
    Nationals wounded | #affected+injured+national | count
    Nationals kidnapped | #affected+kidnapped+national | count
    Nationals detained | #affected+detained+national | count
    Total nationals | #affected+total+national | count
    Internationals killed | #affected+killed+international | count
    Internationals wounded | #affected+injured+international | count
    Internationals kidnapped | #affected+kidnapped+international | count
    Internationals detained | #affected+detained+international | count
    Total internationals | #affected+total+international | count
    Total killed | #affected+total+killed | count
    Total wounded | #affected+total+injured | count
    Total kidnapped | #affected+total+kidnapped | count
    Total detained | #affected+total+detained | count
    Total affected | #affected+total | count
    Gender Male | #affected+total+m | count
    Gender Female | #affected+total+f | count
    Gender Unknown | #affected+total+i | count
    Means of attack | #event+means+i_en | choice | Shooting; Rape/sexual assault ; Landmine ; Shelling
    Attack context | #event+type+i_en | choice | Ambush; Combat/Crossfire; Raid; Unknown
    Location | #loc+type+i_en | choice | Road; Unknown; Project site; Office/compound
    Latitude | #geo+lat | lat
    Longitude | #geo+lon | lon
    Motive | #x_event_motive | choice | Unknown; Political; Economic
    Actor type | #group+type+i_en | choice | Host state; Host State; Non-state armed group: National; Criminal
    Actor name | #group+name+i_en | text
    Details | #description+i_en | text | ; A nurse was shot at a clinic.; Convoy ambushed.
    Verified |  | choice | Yes; Archived; Pending
    Source |  | choice | Official Report; ACLED ; Focal Point; Media; ACLED
    """,
    {"Year": st.integers(min_value=1997, max_value=2024)},
)

ACLED = layout(
    "ACLED events (§9)",
    ("csv",),
    "acled-export-2022-06-30",
    """
    event_id_cnty |  | id | AFG{:d}; UKR{:d}; ARG{:d}
    event_date |  | date
    year |  | year
    time_precision |  | choice | 1; 2; 3
    disorder_type |  | choice | Political violence; Demostrations; Strategic developments
    event_type |  | choice | Battles; Explosions/Remote violence; Violence against civilians; Protests; Riots
    sub_event_type |  | choice | Armed clash; Air/drone strike; Attack; Peaceful protest; Mob violence
    actor1 |  | choice | Military Forces of Ukraine (2019-); Unidentified Armed Group; Rioters
    assoc_actor_1 |  | choice | ; Health Workers (Ukraine)
    inter1 |  | choice | 1; 2; 3; 7; 8; State forces; Civilians
    actor2 |  | choice | ; Civilians (Ukraine)
    assoc_actor_2 |  | choice | ; Health Workers (Sudan)
    inter2 |  | choice | ; 0; 7; Civilians
    interaction |  | choice | 10; 17; 37; State forces-Civilians
    civilian_targeting |  | choice | ; Civilian targeting
    iso |  | choice | 4; 804; 729; 104; 32
    region |  | choice | Europe; Caucasus and Central Asia; South America
    country |  | country | Afghanistan; Ukraine; Sudan; Myanmar; Argentina
    admin1 |  | text
    admin2 |  | text
    admin3 |  | text
    location |  | text
    latitude |  | lat
    longitude |  | lon
    geo_precision |  | choice | 1; 2; 3
    source |  | choice | Ukrainska Pravda; Radio Dabanga; Sudan Tribune
    source_scale |  | choice | National; International; Local partner-National
    notes |  | choice | ; Shelling hit a hospital in the town.; Protest [size=no report]
    fatalities |  | count
    tags |  | choice | ; crowd size=no report
    timestamp |  | count
    """,
    {"event_date": ISO_DATES, "timestamp": st.integers(min_value=1_600_000_000, max_value=1_720_000_000)},
)

# §10 names no columns, only "monthly counts by country of incidents, and of NGO staff killed, injured and
# abducted".
INSO = layout(
    "INSO key data dashboard (§10)",
    ("csv", "xlsx"),
    "inso-key-data-dashboard-2020-08",
    """
    Country |  | country | Afghanistan; South Sudan; Nigeria; Mali; Somalia; Syria
    Year |  | year
    Month |  | month
    Incidents |  | count
    NGO Staff Killed |  | count
    NGO Staff Injured |  | count
    NGO Staff Abducted |  | count
    """,
)

LAYOUTS: dict[str, tuple[Layout, ...]] = {
    "WhoSsaImporter": (WHO_SSA,),
    "InsecurityInsightImporter": (II_INCIDENTS,),
    "ShccImporter": (SHCC_INCIDENTS,),
    "ShccOverviewImporter": (SHCC_OVERVIEW,),
    "InsecurityInsightOverviewImporter": (II_OVERVIEW_JSON,),
    "SindHealthcareImporter": (SIND_HEALTHCARE_JSON, SIND_KIKA_JSON),
    "SindAidWorkerImporter": (SIND_KIKA_JSON,),
    "AwsdImporter": (AWSD,),
    "AcledImporter": (ACLED,),
    "InsoKeyDataImporter": (INSO,),
}


def test_the_layouts_have_the_columns_datasets_md_lists() -> None:
    widths = [(WHO_SSA, 23), (II_INCIDENTS, 35), (SHCC_INCIDENTS, 67), (SHCC_OVERVIEW, 17), (AWSD, 44)]
    widths += [(II_OVERVIEW_JSON, 9), (SIND_KIKA_JSON, 41), (ACLED, 31)]
    assert [len(chosen.columns) for chosen, _width in widths] == [width for _layout, width in widths]
    assert [spec.header for spec in SHCC_INCIDENTS.columns].count("Health Workers Killed") == 2  # §5.2
    assert "Location " in [spec.header for spec in II_INCIDENTS.columns]  # the trailing space, §4.2


def test_an_importer_without_a_written_layout_is_fuzzed_with_one_made_from_its_columns() -> None:
    from sources.importers.who_ssa import WhoSsaImporter

    derived = derived_layout(WhoSsaImporter)
    assert [spec.header for spec in derived.columns] == [
        column.headers[0] for column in WhoSsaImporter.columns
    ]
    kinds = {spec.header: spec.kind for spec in derived.columns}
    assert (kinds["Attack ID"], kinds["Attack Date"], kinds["Total Death"], kinds["HC Other"]) == (
        "id",
        "date",
        "count",
        "text",
    )


def layouts_for(importer: type[TableImporter]) -> tuple[Layout, ...]:
    """The layouts an importer reads: those written above, or one made from its own column list."""
    return LAYOUTS.get(importer.__name__) or (derived_layout(importer),)


# -- The property ---------------------------------------------------------------------------------------

IMPORTER_CASES = [
    pytest.param(source, path, id=f"{source}:{path.rsplit('.', 1)[1]}")
    for source, paths in IMPORTERS.items()
    for path in paths
]


def importer_or_skip(source: str, path: str) -> type[TableImporter]:
    """The importer at `path`; skipped while it, or another importer of its source (any of them may be
    tried on a file), is still being written."""
    found: type[TableImporter] | None = None
    for candidate in IMPORTERS[source]:
        module_name, _, class_name = candidate.rpartition(".")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            pytest.skip(f"{module_name} does not exist yet (importer {candidate} of source {source!r})")
        importer = getattr(module, class_name, None)
        if importer is None:
            pytest.skip(f"{module_name} has no {class_name} yet (importer of source {source!r})")
        if candidate == path:
            found = importer
    assert found is not None
    return found


def names_of(importer: type[TableImporter]) -> set[str]:
    """The names of an importer and its specialisations (SiND's KIKA importer is a SindHealthcareImporter)."""
    return {importer.name}.union(*(names_of(sub) for sub in importer.__subclasses__()))


def table_counts() -> dict[str, int]:
    models = (Source, Product, Release, Record, Aggregate, Quarantine, Event)
    return {model.__name__: model.objects.count() for model in models}


def import_whole_or_nothing(source: str, path: Path, **arguments: Any) -> Release | None:
    """Import `path` and check the property of the module notes; the release, or None after ImportFailed."""
    before = table_counts()
    try:
        outcome = import_file(source, path, **arguments)
    except ImportFailed as failure:
        message = str(failure)
        note(f"ImportFailed: {message[:300]!r}")
        event("ImportFailed: " + " ".join(message.split()[:4]))
        assert message.strip(), "ImportFailed without a message"
        assert table_counts() == before, f"the failed import ({message[:200]!r}) changed the database"
        return None
    release = outcome.release
    rows = rows_model(release)
    note(
        f"release: read {release.rows_read}, imported {release.rows_imported} ({rows.__name__}), "
        f"quarantined {release.rows_quarantined}, already imported: {outcome.already_imported}"
    )
    event("imported" + (", some rows quarantined" if release.rows_quarantined else ""))
    assert release.rows_read == release.rows_imported + release.rows_quarantined
    assert rows.objects.filter(release=release).count() == release.rows_imported
    assert Quarantine.objects.filter(release=release).count() == release.rows_quarantined
    grown = {name: count - before[name] for name, count in table_counts().items()}
    if outcome.already_imported:
        assert not any(grown.values()), f"importing the same bytes again wrote {grown}"
        return release
    assert release.rows_read > 0, "a release without rows"
    other = Aggregate if rows is Record else Record
    assert grown[Release.__name__] == 1 and grown[other.__name__] == 0, grown
    assert (grown[rows.__name__], grown[Quarantine.__name__]) == (
        release.rows_imported,
        release.rows_quarantined,
    )
    assert grown[Source.__name__] <= 1 and grown[Product.__name__] <= 1 and grown[Event.__name__] >= 1, grown
    return release


def valid_file(directory: Path, chosen: Layout, table: DrawnTable, file_format: str) -> Path:
    if file_format == "csv":
        data = csv_bytes(table).encode()
    elif file_format == "json":
        data = json.dumps(json_records(table), default=str).encode()
    else:
        data = xlsx_bytes(table)
    path = directory / f"{chosen.file_name}.{file_format}"
    path.write_bytes(data)
    return path


def product_of(chosen: Layout) -> str:
    return "fuzz-" + "".join(c if c.isalnum() else "-" for c in chosen.file_name.lower())[:60]


OPTIONS = (None,) * 20 + (
    {"no-such-option": "1"},
    {"health_rule": "/nonexistent/rule.yaml"},
    {"year": "20x1"},
)


def import_a_fuzzed_file(
    source: str, path: str, directory: Path, data: st.DataObject, **arguments: Any
) -> None:
    importer = importer_or_skip(source, path)
    chosen = data.draw(st.sampled_from(layouts_for(importer)), label="layout")
    with transaction.atomic():  # every example starts from the same database
        if data.draw(st.integers(0, 3), label="previous vintage first") == 0:
            table = data.draw(valid_table(chosen), label="previous vintage")
            previous = valid_file(directory, chosen, table, chosen.formats[0])
            import_whole_or_nothing(
                source, previous, vintage=datetime.date(2020, 1, 1), product=product_of(chosen)
            )
        fuzz = data.draw(fuzzed_file(chosen), label="file")
        note(f"{fuzz.name}: {'; '.join(fuzz.steps)}")
        assume(known_bug_in(fuzz.data, postgresql=ON_POSTGRESQL) is None)
        target = directory / fuzz.name
        target.write_bytes(fuzz.data)
        import_whole_or_nothing(
            source,
            target,
            vintage=data.draw(st.sampled_from([None, datetime.date(2021, 6, 1)]), label="vintage"),
            product=data.draw(st.sampled_from([None, product_of(chosen)]), label="product"),
            options=data.draw(st.sampled_from(OPTIONS), label="options"),
            **arguments,
        )
        transaction.set_rollback(True)


@pytest.mark.parametrize(("source", "path"), IMPORTER_CASES)
@FUZZ
@given(data=st.data())
def test_malformed_files_never_crash_and_never_leave_a_partial_release(
    source: str, path: str, tmp_path: Path, data: st.DataObject
) -> None:
    import_a_fuzzed_file(source, path, tmp_path, data)


@pytest.mark.skipif(
    "parallel" not in inspect.signature(import_file).parameters,
    reason="import_file has no `parallel`: every file is prepared in the importing process",
)
@pytest.mark.parametrize(("source", "path"), IMPORTER_CASES)
@settings(FUZZ, max_examples=max(1, FUZZ.max_examples // 40))
@given(data=st.data())
def test_files_prepared_in_a_second_process_never_crash_and_never_leave_a_partial_release(
    source: str, path: str, tmp_path: Path, data: st.DataObject
) -> None:
    """The same with the rows prepared in a child process (sources.rowstream, for large files): a problem
    found there must come back as the same clean failure. Each example starts a process, so there are few."""
    import_a_fuzzed_file(source, path, tmp_path, data, parallel=True)


@pytest.mark.parametrize(("source", "path"), IMPORTER_CASES)
@settings(FUZZ, max_examples=max(5, FUZZ.max_examples // 4))
@given(data=st.data())
def test_valid_files_of_each_layout_import_every_row_with_their_importer(
    source: str, path: str, tmp_path: Path, data: st.DataObject
) -> None:
    """The fuzzed files start from valid ones: this checks that they are (and that the right importer of the
    source takes them)."""
    importer = importer_or_skip(source, path)
    chosen = data.draw(st.sampled_from(layouts_for(importer)), label="layout")
    table = data.draw(valid_table(chosen), label="table")
    target = valid_file(tmp_path, chosen, table, data.draw(st.sampled_from(chosen.formats), label="format"))
    with transaction.atomic():
        release = import_whole_or_nothing(
            source, target, vintage=datetime.date(2021, 6, 1), product=product_of(chosen)
        )
        if chosen.name.startswith("columns of "):  # a guessed layout need not be valid
            transaction.set_rollback(True)
            return
        assert release is not None, "a valid file was refused"
        assert release.importer in names_of(importer)
        quarantined = list(
            Quarantine.objects.filter(release=release).values_list("column", "value", "reason")
        )
        assert (release.rows_read, release.rows_imported, quarantined) == (
            len(table.rows),
            len(table.rows),
            [],
        )
        transaction.set_rollback(True)


# -- Bad files: one message, and the database as it was (one transaction per release) ---------------------


LATE_ROWS = 2500  # more than one batch of rows written (sources.rowwriter.BATCH_SIZE) before the damage


def broken_late(table: DrawnTable, file_format: str) -> bytes:
    """A file whose first rows are fine and whose end is broken: the reader meets the damage only after
    rows were written, which the transaction must then take back."""
    first, ids = table.rows[0], [i for i, kind in enumerate(table.kinds) if kind == "id"]
    table.rows = [
        [f"{cell}-{n}" if i in ids else cell for i, cell in enumerate(first)] for n in range(LATE_ROWS)
    ]
    if file_format == "csv":
        return (csv_bytes(table) + '"an unclosed quote,\r\n').encode()
    parts = xlsx_parts(xlsx_bytes(table))
    sheet = next(name for name in parts if name.startswith("xl/worksheets/"))
    parts[sheet] = parts[sheet][: len(parts[sheet]) * 97 // 100] + b'"><row r="<'
    return rezipped(parts)


BAD_FILES = split(
    "empty|header only (CSV)|header only (XLSX)|truncated XLSX|Windows-1252|UTF-16|JSON object of objects|"
    "JSON array of arrays|CSV broken late|XLSX damaged late"
)


def bad_file(case: str, chosen: Layout, table: DrawnTable) -> tuple[str, bytes]:
    """(extension, content) of a bad file of the kind `case` names."""
    text = json.dumps(json_records(table), default=str) if chosen.formats[0] == "json" else csv_bytes(table)
    header_only = DrawnTable(table.headers, table.hxl, [], [])
    files = {
        "empty": lambda: (".csv", b""),
        "header only (CSV)": lambda: (".csv", csv_bytes(header_only).encode()),
        "header only (XLSX)": lambda: (".xlsx", xlsx_bytes(header_only)),
        "truncated XLSX": lambda: (".xlsx", xlsx_bytes(table)[: len(xlsx_bytes(table)) // 2]),
        "Windows-1252": lambda: (".csv", (text + "\r\n" + "R\u00e9gion," * 3).encode("cp1252")),
        "UTF-16": lambda: (".csv", text.encode("utf-16")),
        "JSON object of objects": lambda: (".json", json.dumps({"a": {"b": 1}, "c": {"d": 2}}).encode()),
        "JSON array of arrays": lambda: (
            ".json",
            json.dumps([table.headers, table.rows[0]], default=str).encode(),
        ),
        "CSV broken late": lambda: (".csv", broken_late(table, "csv")),
        "XLSX damaged late": lambda: (".xlsx", broken_late(table, "xlsx")),
    }
    return files[case]()


@pytest.mark.parametrize("case", BAD_FILES)
@pytest.mark.parametrize(("source", "path"), IMPORTER_CASES)
@settings(FUZZ, max_examples=1)
@given(data=st.data())
def test_a_bad_file_gets_one_message_and_leaves_the_database_as_it_was(
    source: str, path: str, case: str, tmp_path: Path, data: st.DataObject
) -> None:
    importer = importer_or_skip(source, path)
    chosen = layouts_for(importer)[0]
    if case == "XLSX damaged late" and chosen.formats[0] != "xlsx":
        pytest.skip(f"{chosen.name} is not published as XLSX (the CSV case breaks late)")
    with transaction.atomic():
        earlier = valid_file(tmp_path, chosen, data.draw(valid_table(chosen)), chosen.formats[0])
        assert import_whole_or_nothing(
            source, earlier, vintage=datetime.date(2020, 1, 1), product=product_of(chosen)
        )
        extension, content = bad_file(case, chosen, data.draw(valid_table(chosen)))
        bad = tmp_path / f"{chosen.file_name}{extension}"
        bad.write_bytes(content)
        before = table_counts()
        with pytest.raises(ImportFailed) as failure:
            import_file(source, bad, vintage=datetime.date(2021, 6, 1), product=product_of(chosen))
        message = str(failure.value)
        assert message.strip() and "\n" not in message and len(message) < 1000, message
        assert table_counts() == before
        transaction.set_rollback(True)


# -- Inputs that crashed an import: fixed (regressions) and reported (KNOWN_BUGS) ---------------------------

SSA_ROW = [
    *split(
        "UKR900001|2023-05-02 14:10:00|Time Unknown|Ukraine|Confirmed| Other|2|1|YES|NO|YES|NO|Unknown|NO|"
    ),
    *split("Secondary||0|1|1|0|0|0"),
]


def ssa_file(directory: Path, file_format: str, injured: Any) -> Path:
    row = [*SSA_ROW[:6], injured, *SSA_ROW[7:]]
    table = DrawnTable([spec.header for spec in WHO_SSA.columns], None, [row], [])
    content = csv_bytes(table).encode() if file_format == "csv" else json.dumps(json_records(table)).encode()
    path = directory / f"ssa-dashboard-report_data_20240308.{file_format}"
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("file_format", "injured"),
    [("csv", "99999999999999999999"), ("csv", "1e30"), ("csv", "3000000000"), ("json", float("inf"))],
)
def test_a_count_no_database_column_holds_quarantines_its_row(
    tmp_path: Path, file_format: str, injured: Any
) -> None:
    release = import_file("who-ssa", ssa_file(tmp_path, file_format, injured)).release
    assert (release.rows_imported, release.rows_quarantined) == (0, 1)
    assert Quarantine.objects.get(release=release).column == "Total Injured"


def test_an_overview_measure_beyond_what_json_holds_is_imported_not_a_crash(tmp_path: Path) -> None:
    importer_or_skip("shcc", "sources.importers.overviews.ShccOverviewImporter")
    headers, tags = (
        [spec.header for spec in SHCC_OVERVIEW.columns],
        [spec.tag for spec in SHCC_OVERVIEW.columns],
    )
    row = ["Afghanistan", 1, 2, 3, "9" * 400, *[0] * 12]  # the fifth column, `Deprivation of liberty`
    path = tmp_path / "2021-shcc-overview-data.xlsx"
    path.write_bytes(xlsx_bytes(DrawnTable(headers, tags, [row], [], list(SHCC_OVERVIEW.metadata))))
    release = import_file("shcc", path).release
    assert (release.rows_imported, release.rows_quarantined) == (1, 0)
    # Kept as the text "inf" today (reported: aggregate_base._measure might leave it out with a warning).
    assert Aggregate.objects.get(release=release).measures.get("Deprivation of liberty") in ("inf", None)


def test_the_fixed_ssa_row_imports(tmp_path: Path) -> None:
    """The row the reproductions above start from is valid: only the count makes them fail."""
    release = import_file("who-ssa", ssa_file(tmp_path, "csv", "2")).release
    assert (release.rows_imported, release.rows_quarantined) == (1, 0)
    assert Record.objects.get(release=release).facility_type == "secondary"


def test_deeply_nested_json_is_refused_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "ssa-dashboard-report_data_20240308.json"
    path.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    before = table_counts()
    with pytest.raises(ImportFailed, match="JSON"):
        import_file("who-ssa", path)
    assert table_counts() == before


def ssa_xlsx_with_value(directory: Path, value: bytes) -> Path:
    """The SSA row as XLSX, with `Facility Other` (a text column) written as the number `value`."""
    table = DrawnTable(
        [spec.header for spec in WHO_SSA.columns], None, [[*SSA_ROW[:16], 1.5, *SSA_ROW[17:]]], []
    )
    parts = xlsx_parts(xlsx_bytes(table))
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b"<v>1.5</v>", b"<v>" + value + b"</v>"
    )
    path = directory / "ssa-dashboard-report_data_20240308.xlsx"
    path.write_bytes(rezipped(parts))
    return path


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "xlsx 1e999"])
def test_a_cell_that_is_not_a_finite_number_is_kept_not_a_crash(tmp_path: Path, value: str) -> None:
    if value.startswith("xlsx"):
        path = ssa_xlsx_with_value(tmp_path, value.split()[1].encode())
    else:
        path = ssa_file(tmp_path, "json", "2")
        path.write_text(path.read_text().replace('"Facility Other": ""', f'"Facility Other": {value}'))
    release = import_file("who-ssa", path).release
    assert (release.rows_read, release.rows_imported) == (1, 1)
    assert isinstance(Record.objects.get(release=release).raw[16], str)


@pytest.mark.parametrize("file_format", ["json", "csv"])
def test_a_nul_character_in_a_cell_is_refused_or_kept_not_a_crash(tmp_path: Path, file_format: str) -> None:
    path = ssa_file(tmp_path, "json", "2")
    if file_format == "json":
        path.write_text(path.read_text().replace('"Facility Other": ""', '"Facility Other": "a\\u0000b"'))
    else:  # past the 64 KiB that open_table looks at
        rows = [[f"UKR{n}", *SSA_ROW[1:]] for n in range(800)] + [
            ["UKR-x", *SSA_ROW[1:16], "a\x00b", *SSA_ROW[17:]]
        ]
        path = tmp_path / "ssa-dashboard-report_data_20240308.csv"
        path.write_text(csv_bytes(DrawnTable([spec.header for spec in WHO_SSA.columns], None, rows, [])))
    before = table_counts()
    try:
        release = import_file("who-ssa", path).release
    except ImportFailed:
        assert table_counts() == before
    else:
        assert release.rows_read == release.rows_imported + release.rows_quarantined


def with_zip_entry_field(data: bytes, name: str, offset: int, value: int) -> bytes:
    """The ZIP with a 16-bit field of `name`'s central directory entry set (offset 8: flags, 10: method)."""
    changed, at = bytearray(data), 0
    while (at := changed.find(b"PK\x01\x02", at)) != -1:
        length = struct.unpack_from("<H", changed, at + 28)[0]
        if changed[at + 46 : at + 46 + length] == name.encode():
            struct.pack_into("<H", changed, at + offset, value)
        at += 4
    return bytes(changed)


@pytest.mark.parametrize(("offset", "value"), [(8, 1), (10, 99)], ids=["encrypted", "compression 99"])
def test_an_xlsx_whose_part_cannot_be_unpacked_is_refused_with_a_message(
    tmp_path: Path, offset: int, value: int
) -> None:
    table = DrawnTable([spec.header for spec in WHO_SSA.columns], None, [SSA_ROW], [])
    path = tmp_path / "ssa-dashboard-report_data_20240308.xlsx"
    path.write_bytes(with_zip_entry_field(xlsx_bytes(table), "xl/workbook.xml", offset, value))
    with pytest.raises(ImportFailed, match="XLSX"):
        import_file("who-ssa", path)


@pytest.mark.parametrize("where", ["cell", "key"])
def test_half_a_surrogate_pair_in_json_is_refused_or_kept_not_a_crash(tmp_path: Path, where: str) -> None:
    path = ssa_file(tmp_path, "json", "2")
    (record,) = json.loads(path.read_text())
    if where == "cell":
        record["Facility Other"] = "a\ud800b"
    else:
        record["extra \ud800"] = "1"
    path.write_text(json.dumps([record]))  # json.dumps writes it as the escape \ud800
    before = table_counts()
    try:
        release = import_file("who-ssa", path).release
    except ImportFailed:
        assert table_counts() == before
    else:
        assert release.rows_read == release.rows_imported + release.rows_quarantined == 1


def test_a_nul_character_in_a_json_key_refuses_the_file_naming_the_column(tmp_path: Path) -> None:
    # Once a crash on PostgreSQL (jsonb refuses \u0000 in Release.headers); now one clear error everywhere.
    path = ssa_file(tmp_path, "json", "2")
    (record,) = json.loads(path.read_text())
    path.write_text(json.dumps([{**record, "extra\u0000": "1"}]))
    before = table_counts()
    with pytest.raises(ImportFailed) as refused:
        import_file("who-ssa", path)
    assert "NUL character" in str(refused.value)
    assert f"column {len(record) + 1}" in str(refused.value)
    assert table_counts() == before
