"""Synthetic dataset files in the ACLED and SHCC layouts, with any number of rows, for the import benchmark.

    .venv/bin/python bench/synthetic_files.py acled 1000000 /tmp/acled-1m.csv
    .venv/bin/python bench/synthetic_files.py shcc 50000 /tmp/shcc-50k.csv [--seed 7]
    .venv/bin/python bench/synthetic_files.py shcc 5000 /tmp/shcc-5k.xlsx

The layouts are the published ones (../shared/docs/datasets.md §9 for ACLED's 31 API columns, §5.2 for the
67 SHCC columns with the HXL row); the values are made up here from the documented vocabularies, so no row
of a real file is reproduced. About 1 in 30 ACLED notes mentions health care (the real deletion sample has
317 in 9,000), so the health rule has work to do. Rows are written as they are made: memory stays flat.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import random
import sys
from collections.abc import Iterator
from pathlib import Path

ACLED_COLUMNS = [
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
]

# (ISO 3166 numeric, ACLED country name, ACLED id prefix, region, latitude, longitude)
COUNTRIES = (
    (4, "Afghanistan", "AFG", "Caspian", 34.5, 69.2),
    (729, "Sudan", "SUD", "Northern Africa", 15.5, 32.5),
    (804, "Ukraine", "UKR", "Europe", 49.0, 31.0),
    (104, "Myanmar", "MMR", "Southeast Asia", 21.0, 96.0),
    (180, "Democratic Republic of Congo", "DRC", "Middle Africa", -2.5, 28.8),
    (275, "Palestine", "PSE", "Middle East", 31.5, 34.45),
    (760, "Syria", "SYR", "Middle East", 35.0, 38.0),
    (466, "Mali", "MLI", "Western Africa", 14.0, -4.0),
    (332, "Haiti", "HTI", "Caribbean", 18.5, -72.3),
    (566, "Nigeria", "NIG", "Western Africa", 9.0, 8.0),
)
EVENTS = (
    ("Political violence", "Battles", "Armed clash", 1, 2),
    ("Political violence", "Explosions/Remote violence", "Shelling/artillery/missile attack", 1, 7),
    ("Political violence", "Explosions/Remote violence", "Air/drone strike", 8, 7),
    ("Political violence", "Violence against civilians", "Attack", 3, 7),
    ("Political violence", "Violence against civilians", "Abduction/forced disappearance", 2, 7),
    ("Demonstrations", "Protests", "Peaceful protest", 6, 0),
    ("Demonstrations", "Riots", "Mob violence", 5, 7),
    ("Strategic developments", "Strategic developments", "Looting/property destruction", 3, 7),
    ("Strategic developments", "Strategic developments", "Arrests", 1, 7),
)
ACTORS = {
    0: "",
    1: "Military Forces",
    2: "Rebel Group",
    3: "Political Militia",
    5: "Rioters",
    6: "Protesters",
    7: "Civilians",
    8: "Foreign Forces",
}
PLACES = ("the market", "a village", "the main road", "a checkpoint", "a school", "the town centre")
HEALTH_PLACES = ("the district hospital", "a health clinic", "an ambulance", "a medical centre")
SOURCES = ("Local media", "Radio station", "Partner report", "International news agency")


def acled_rows(count: int, rng: random.Random) -> Iterator[list[str]]:
    start = datetime.date(2022, 1, 1)
    for number in range(1, count + 1):
        numeric, country, prefix, region, lat, lon = rng.choice(COUNTRIES)
        disorder, event_type, sub_event, inter1, inter2 = rng.choice(EVENTS)
        day = start + datetime.timedelta(days=rng.randrange(0, 730))
        health = rng.random() < 1 / 30
        place = rng.choice(HEALTH_PLACES if health else PLACES)
        killed = rng.choice((0, 0, 0, 1, 2, 5))
        notes = (
            f"On {day.day} {day:%B %Y}, {ACTORS[inter1].lower()} clashed near {place} in the "
            f"{rng.choice(('north', 'south', 'east', 'west'))} of the district. {killed} reported killed."
        )
        yield [
            f"{prefix}{number}",
            day.isoformat(),
            str(day.year),
            rng.choice(("1", "1", "1", "2", "3")),
            disorder,
            event_type,
            sub_event,
            f"{ACTORS[inter1]} ({country})",
            "",
            str(inter1),
            f"{ACTORS[inter2]} ({country})" if inter2 else "",
            "Health Workers (" + country + ")" if health and rng.random() < 0.3 else "",
            str(inter2),
            f"{inter1}{inter2}",
            "Civilian targeting" if inter2 == 7 else "",
            str(numeric),
            region,
            country,
            f"Province {rng.randrange(1, 20)}",
            f"District {rng.randrange(1, 80)}",
            "",
            f"Town {rng.randrange(1, 500)}",
            f"{lat + rng.uniform(-2, 2):.4f}",
            f"{lon + rng.uniform(-2, 2):.4f}",
            str(rng.choice((1, 1, 2, 3))),
            rng.choice(SOURCES),
            rng.choice(("National", "Subnational", "International")),
            notes,
            str(killed),
            "",
            str(1_650_000_000 + number),
        ]


SHCC_HEADERS = (
    [
        "Date",
        "Country",
        "Country ISO",
        "Reported Perpetrator",
        "Reported Perpetrator Name",
        "Weapon Carried/Used",
    ]
    + [
        "Number of Attacks on Health Facilities Reporting Destruction",
        "Number of Attacks on Health Facilities Reporting Damaged",
        "Forceful Entry into Health Facility",
        "Occupation of Health Facility",
        "Health Transportation Destroyed",
        "Health Transportation Damaged",
        "Health Transportation Stolen/Highjacked",
        "Looting/Theft/Robbery/Burglary of Health Supplies",
        "Obstruction to Health Care",
        "Health Workers Killed",
        "Health Workers Injured",
        "Health Workers Kidnapped",
        "Health Workers Arrested",
        "Known Kidnapping or Arrest Outcome",
        "Health Workers Threatened",
        "Health Workers Assaulted",
        "Health Workers Sexually Assaulted",
        "Reported Health Worker Profession",
    ]
    + [f"Disaggregation {n}" for n in range(25, 62)]
    + [
        "Conflict-Related Violence",
        "Political-Related Violence",
        "COVID-19-Related Violence",
        "Ebola-Related Violence",
        "Vaccination-Related Violence",
        "SiND Event ID",
    ]
)
SHCC_HXL = ["#date", "#country +name", "#country +ISO", "#group +perp", "#group +perp +name", "#weapon"] + [
    "" for _ in SHCC_HEADERS[6:]
]
SHCC_COUNTRIES = (("Ukraine", "UKR"), ("Myanmar", "MMR"), ("Sudan", "SDN"), ("OPT", "PSE"), ("DRC", "COD"))
PERPETRATORS = ("NSA", "Police", "No Information", "Criminal", "Foreign Forces - Military")
WEAPONS = ("Firearms", "Shelling", "Aerial Bomb: Drone", "Stones, Sticks and Gravel", "Arson", "")


def shcc_rows(count: int, rng: random.Random) -> Iterator[list[object]]:
    for number in range(1, count + 1):
        country, iso = rng.choice(SHCC_COUNTRIES)
        day = datetime.date(2022, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365))
        counts = [rng.choice((0, 0, 0, 1, 2)) for _ in range(8)]
        people = [rng.choice((0, 0, 1)) for _ in range(4)]
        yield [
            day.isoformat(),
            country,
            iso,
            rng.choice(PERPETRATORS),
            "",
            rng.choice(WEAPONS),
            *counts,
            rng.choice((0, 1)),
            *people,
            "NoInformation",
            *(rng.choice((0, 0, 1)) for _ in range(3)),
            "Doctor",
            *(0 for _ in range(37)),
            "ConflictEvent",
            "NotApplicable",
            "NotApplicable",
            "NotApplicable",
            "NotApplicable",
            100_000 + number,
        ]


def write(layout: str, count: int, path: Path, seed: int = 1) -> Path:
    rng = random.Random(seed)  # noqa: S311 - reproducible made-up data, not secrets
    if layout == "acled":
        header, hxl, rows = list(ACLED_COLUMNS), None, acled_rows(count, rng)
    else:
        header, hxl, rows = SHCC_HEADERS, SHCC_HXL, shcc_rows(count, rng)  # type: ignore[assignment]
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet("Sheet1")
        sheet.append(header)
        if hxl:
            sheet.append(hxl)
        for row in rows:
            sheet.append(row)
        workbook.save(path)
        return path
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        if hxl:
            writer.writerow(hxl)
        writer.writerows(rows)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("layout", choices=("acled", "shcc"))
    parser.add_argument("rows", type=int)
    parser.add_argument("path", type=Path, help="where to write (.csv, or .xlsx)")
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args(argv)
    if arguments.rows < 1:
        parser.error("rows must be at least 1")
    write(arguments.layout, arguments.rows, arguments.path, arguments.seed)
    print(f"wrote {arguments.rows:,} {arguments.layout} rows to {arguments.path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
