"""A labelled benchmark for the linkage: true events, and the records four sources would publish about them.

    bench = generate(events=2000, seed=1)      # or generate(records=1_000_000, seed=1)
    outcome = link(bench.frame())
    evaluate(outcome.clusters, bench.truth, bench.sources)

Each true event (country, day, place, attack-type families, resources, perpetrator, counts, the words a report
of it would use) is published by one source, and by each other source that covers such events with a small
probability, so most events are in one source only (Parada et al. 2023: 33 of 287 events in both WHO's data and
SiND; datasets.md §12.1). Each source renders the event its own way (datasets.md §4-§9):

* **who-ssa**: countries of the SSA only; no admin1, no coordinates, no description, no perpetrator; counts of
  all people; extra attack types now and then (an SSA attack lists several).
* **insecurity-insight**: admin1 with its suffix ("... Province"), coordinates jittered by a few km, a
  description starting with the month; health workers' counts, sometimes off by one or missing; the WHO SSA
  flag (`claims`) on most events that SSA has too.
* **acled**: only violent events; coordinates (sometimes a region's centre), a description "On 9 April 2022,
  ..."; fatalities of everyone, no injured; no attack type for a plain "Attack"; sometimes dated to the week.
* **awsd**: only events that hit personnel; aid workers' counts; sometimes dated to the month or with another
  region's name; `Source: ACLED` (`claims`) on some events ACLED has too; identifiers that repeat now and then.

Dates move by a day or two between sources, descriptions share some words and not others, and busy days put
several different events in one country on one day (some in the same region, with the same kind of attack):
the case that must not be linked. A few events are published twice by one source (duplicates).

`from_real(rows)` does the same from real harmonised records: each becomes an event in its own source, with
perturbed copies in the others. `fixture_rows()` loads the small hand-written fixture of the tests.
Everything is deterministic for a given seed.
"""

from __future__ import annotations

import datetime
import math
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from linkage.frame import SCHEMA, frame_from_rows, frame_row

SOURCES = ("who-ssa", "insecurity-insight", "acled", "awsd")
SSA_COUNTRIES = ("PSE", "UKR", "COD", "MMR", "AFG", "SYR", "CAF", "LBY", "SDN", "YEM", "NGA", "ISR", "MLI", "BFA", "IRQ", "SSD", "HTI", "LBN", "SOM", "ARM", "AZE")  # fmt: skip
OTHER_COUNTRIES = ("ETH", "CMR", "MOZ", "NER", "PAK", "COL", "MEX", "BRA", "VEN", "TCD", "KEN", "PHL", "BGD", "TUR", "IND", "EGY", "IRN", "GTM", "HND", "SLV", "PER", "ECU", "BDI", "RWA", "UGA", "TZA", "ZWE", "AGO", "GIN", "SEN", "TGO", "BEN", "GHA", "CIV", "SLE", "LBR", "DZA", "TUN", "MAR", "JOR", "SAU", "THA", "IDN", "LKA", "NPL", "MDG", "ZAF", "PNG", "GEO")  # fmt: skip
# Which sources publish an event first, and the chance that each other source has it too (when it covers
# such events at all). With these, about two events in three are in one source only.
PRIMARY_WEIGHTS = {"who-ssa": 0.27, "insecurity-insight": 0.35, "acled": 0.23, "awsd": 0.15}
ALSO = {"who-ssa": 0.17, "insecurity-insight": 0.2, "acled": 0.13, "awsd": 0.17}
BUSY_DAY = 0.12  # chance that an event has other events in its country on its day
DUPLICATE = 0.004  # chance that a source publishes a record twice
RECORDS_PER_EVENT = 1.4  # about what the probabilities above give
FAMILIES = {
    "heavy_weapons": (0.28, ["shelled", "airstrike", "missile", "artillery", "bombed"]),
    "individual_weapons": (0.25, ["gunmen", "shot", "opened", "fire", "grenade"]),
    "deprivation_of_liberty": (0.11, ["kidnapped", "abducted", "arrested", "detained"]),
    "threat": (0.07, ["threatened", "intimidated", "warned"]),
    "obstruction": (0.07, ["blocked", "denied", "access", "checkpoint"]),
    "armed_entry": (0.08, ["raided", "stormed", "occupied", "searched"]),
    "looting": (0.06, ["looted", "stole", "robbed", "supplies"]),
    "physical_assault": (0.05, ["beaten", "assaulted", "punched"]),
    "arson": (0.03, ["burned", "fire", "torched"]),
}
OBJECTS = {
    "facility": ["hospital", "clinic", "health centre", "maternity ward", "pharmacy", "dispensary"],
    "transport": ["ambulance", "mobile clinic", "medical convoy"],
    "personnel": ["nurse", "doctor", "paramedic", "midwife", "volunteer", "vaccinator", "driver", "guard"],
    "supplies": ["medicines", "warehouse", "vaccines"],
    "patients": ["patients", "wounded"],
}
CONFUSED = {
    "heavy_weapons": "individual_weapons",
    "individual_weapons": "physical_assault",
    "physical_assault": "individual_weapons",
    "deprivation_of_liberty": "physical_assault",
    "armed_entry": "threat",
    "threat": "obstruction",
    "obstruction": "threat",
    "looting": "armed_entry",
    "arson": "heavy_weapons",
}
RESOURCES = {"facility": 0.45, "personnel": 0.3, "transport": 0.15, "supplies": 0.06, "patients": 0.04}
PERPETRATORS = {"state": 0.38, "non_state_armed_group": 0.3, "criminal": 0.08, "individual": 0.08, "other": 0.04, "unknown": 0.12}  # fmt: skip
DETAILS = ["morning", "evening", "night", "market", "bridge", "road", "convoy", "camp", "displaced", "vaccination", "campaign", "polio", "cholera", "outbreak", "emergency", "surgery", "generator", "fuel", "windows", "roof", "ward", "entrance", "gate", "checkpoint", "village", "outskirts", "border", "river", "valley", "mountain", "district", "compound", "office", "residence", "family", "mother", "children", "students", "teachers", "elders", "tribesmen", "militia", "youths", "soldiers", "police", "drone", "rocket", "mortar", "mine", "explosive", "device", "motorcycle", "truck", "pickup", "rifle", "pistol", "machete", "knife", "stones", "tents", "shelter", "water", "electricity", "oxygen", "laboratory", "pharmacy", "blood", "bank", "staff", "quarters", "morgue", "dormitory", "kitchen", "storeroom", "minibus", "taxi", "crossing", "highway", "junction", "bakery", "mosque", "church", "school", "stadium", "airport", "harbour", "railway", "station", "barracks", "prison", "courthouse"]  # fmt: skip
SYLLABLES = ["ka", "ra", "mo", "lu", "ve", "ta", "shi", "ne", "bo", "da", "ri", "go", "za", "mi", "ul", "ar", "ko", "pe", "si", "ha", "ny", "ti", "ba", "lo", "en", "du", "fa", "ga", "il", "ja", "ke", "lo", "ma", "no", "ok", "pa", "qu", "ru", "su", "to", "va", "we", "ya", "zo"]  # fmt: skip
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
SUFFIXES = ("Province", "Oblast", "Governorate", "State", "Region")
END = datetime.date(2025, 12, 31)


@dataclass
class Event:
    number: int
    country: str
    day: datetime.date
    admin1: str | None
    latitude: float | None
    longitude: float | None
    families: list[str]
    resources: list[str]
    perpetrator: str
    killed: int | None
    injured: int | None
    words: list[str]  # what a report of it would say: place, actor, object, act, details
    admin1_other: str | None = None  # a neighbouring region, for a source that codes the place elsewhere


@dataclass
class Benchmark:
    rows: list[dict[str, Any]]  # harmonised fields as linkage.frame.frame_from_rows takes them
    truth: dict[int, int]  # unique_id -> event number
    events: int
    seed: int = 0
    notes: list[str] = field(default_factory=list)

    def frame(self) -> pa.Table:
        return frame_from_rows(self.rows)

    @property
    def sources(self) -> dict[int, str]:
        return {row["unique_id"]: row["source"] for row in self.rows}


class _Places:
    """Per country: regions and towns with coordinates, and armed actors; made on first use from the seed."""

    def __init__(self, rng: random.Random) -> None:
        self.seed = rng.random()
        self.countries: dict[str, dict[str, Any]] = {}

    def name(self, rng: random.Random, syllables: int) -> str:
        return "".join(rng.choice(SYLLABLES) for _ in range(syllables)).capitalize()

    def country(self, iso3: str) -> dict[str, Any]:
        if iso3 not in self.countries:
            rng = random.Random(f"{self.seed}:{iso3}")  # noqa: S311 - reproducible made-up data, not secrets
            lat, lon = rng.uniform(-30, 45), rng.uniform(-80, 120)
            regions = [
                (self.name(rng, 3), lat + rng.uniform(-4, 4), lon + rng.uniform(-4, 4)) for _ in range(10)
            ]
            towns = []
            for _ in range(160):
                region, rlat, rlon = rng.choice(regions)
                towns.append(
                    (
                        self.name(rng, rng.choice((3, 3, 4))),
                        region,
                        rlat + rng.gauss(0, 0.6),
                        rlon + rng.gauss(0, 0.6),
                    )
                )
            kinds = ("Liberation Front", "Defence Forces", "Brigade", "Militia", "Army")
            actors = [f"{self.name(rng, 3)} {rng.choice(kinds)}" for _ in range(6)]
            self.countries[iso3] = {"regions": regions, "towns": towns, "actors": actors}
        return self.countries[iso3]


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _count(rng: random.Random, zero: float) -> int:
    return 0 if rng.random() < zero else min(60, int(rng.expovariate(0.45)) + 1)


def _countries(events: int) -> tuple[list[str], list[float], int]:
    """Countries with Zipf-like weights, and a date span that keeps the busiest country at a few events a day
    (as Ukraine in 2022) however large the benchmark."""
    countries = list(SSA_COUNTRIES) + list(
        OTHER_COUNTRIES[: max(5, min(len(OTHER_COUNTRIES), events // 4000))]
    )
    weights = [1 / (rank + 1) ** 0.7 for rank in range(len(countries))]
    top = weights[0] / sum(weights)
    span = int(min(max(730, events * top / 3.0), 55 * 365))
    return countries, weights, span


def _event(rng: random.Random, places: _Places, number: int, country: str, day: datetime.date) -> Event:
    info = places.country(country)
    town, region, lat, lon = rng.choice(info["towns"])
    family = _pick(rng, {name: weight for name, (weight, _) in FAMILIES.items()})
    families = [family]
    if rng.random() < 0.15:
        families.append(_pick(rng, {name: weight for name, (weight, _) in FAMILIES.items()}))
    resources = [_pick(rng, RESOURCES)]
    if rng.random() < 0.25:
        resources = sorted({*resources, "personnel"})
    violent = family in ("heavy_weapons", "individual_weapons", "physical_assault", "arson")
    killed = _count(rng, 0.55 if violent else 0.95)
    injured = _count(rng, 0.5 if violent else 0.9)
    actor = rng.choice(info["actors"])
    words = [town, *actor.split()[:1], *rng.sample(FAMILIES[family][1], 2)]
    words += [rng.choice(OBJECTS[resource]) for resource in resources] + rng.sample(DETAILS, 4)
    other = rng.choice(info["regions"])[0]
    return Event(
        number=number,
        country=country,
        day=day,
        admin1=region,
        latitude=lat,
        longitude=lon,
        families=sorted(set(families)),
        resources=resources,
        perpetrator=_pick(rng, PERPETRATORS),
        killed=killed,
        injured=injured,
        words=words,
        admin1_other=other if other != region else None,
    )


def _events(rng: random.Random, places: _Places, total: int | None, expected: int) -> Iterator[Event]:
    """Events one after another (busy days as runs of events on one day in one country), for a benchmark of
    about `expected` events; endless when `total` is None."""
    countries, weights, span = _countries(expected)
    number = 0
    while total is None or number < total:
        country = rng.choices(countries, weights=weights)[0]
        day = END - datetime.timedelta(days=rng.randrange(span))
        siblings = rng.choice((1, 1, 2, 3)) if rng.random() < BUSY_DAY else 0
        first = _event(rng, places, number, country, day)
        yield first
        number += 1
        for _ in range(siblings):
            if total is not None and number >= total:
                return
            sibling = _event(rng, places, number, country, day)
            if rng.random() < 0.5:  # the same kind of attack, and sometimes the same region: the hard case
                sibling.families = list(first.families)
                if rng.random() < 0.5:
                    sibling.admin1 = first.admin1
            yield sibling
            number += 1


def _covers(source: str, event: Event) -> bool:
    if source == "who-ssa":
        return event.country in SSA_COUNTRIES
    if source == "acled":
        return not set(event.families) <= {"threat", "obstruction"}
    if source == "awsd":
        return (
            "personnel" in event.resources or bool(event.killed) or "deprivation_of_liberty" in event.families
        )
    return True


def _sources_of(rng: random.Random, event: Event) -> list[str]:
    eligible = [source for source in SOURCES if _covers(source, event)]
    primary = rng.choices(eligible, weights=[PRIMARY_WEIGHTS[s] for s in eligible])[0]
    return [primary] + [s for s in eligible if s != primary and rng.random() < ALSO[s]]


def _shift(rng: random.Random, day: datetime.date, wide: bool = False) -> datetime.date:
    roll = rng.random()
    days = 0 if roll < 0.9 else rng.choice((-1, 1)) if roll < 0.98 else rng.choice((-2, 2))
    if wide and rng.random() < 0.5:
        days += rng.choice((-1, 1))
    return day + datetime.timedelta(days=days)


def _off(rng: random.Random, value: int | None, *, missing: float, off: float) -> int | None:
    if value is None or rng.random() < missing:
        return None
    if rng.random() < off:
        return max(0, value + rng.choice((-1, 1)))
    return value


def _recode(rng: random.Random, families: list[str], chance: float) -> list[str]:
    """Sources code the same act differently now and then (a shooting as an assault, shelling as gunfire)."""
    if not families or rng.random() >= chance:
        return list(families)
    changed = rng.randrange(len(families))
    return sorted(
        {*families[:changed], CONFUSED.get(families[changed], families[changed]), *families[changed + 1 :]}
    )


def _jitter(rng: random.Random, event: Event, km: float) -> tuple[float | None, float | None]:
    if event.latitude is None or event.longitude is None:
        return None, None
    lat = event.latitude + rng.gauss(0, km / 111)
    lon = event.longitude + rng.gauss(0, km / (111 * max(0.2, math.cos(math.radians(event.latitude)))))
    return round(lat, 5), round(lon, 5)


def _text(rng: random.Random, event: Event, keep: float, filler: list[str]) -> str:
    words = [word for word in event.words if rng.random() < keep]
    words += rng.sample(DETAILS, 1)  # a word the other sources do not use
    rng.shuffle(words)
    return " ".join(filler + words)


def _render(rng: random.Random, source: str, event: Event, claims: list[str]) -> dict[str, Any]:
    """One record of `event` as `source` publishes it (harmonised field names of sources.Record)."""
    row: dict[str, Any] = {"source": source, "country_iso3": event.country, "date_precision": "day"}
    month = MONTHS[event.day.month - 1]
    if source == "who-ssa":
        families = _recode(rng, event.families, 0.1)
        if rng.random() < 0.2:
            families.append(rng.choice(("armed_entry", "threat", "obstruction")))
        resources = list(event.resources)
        if rng.random() < 0.1:
            resources = resources[1:] or ["other"]
        row |= {
            "event_date": _shift(rng, event.day),
            "attack_families": families,
            "resources": resources,
            "people_killed": _off(rng, event.killed or 0, missing=0.0, off=0.06),
            "people_injured": _off(rng, event.injured or 0, missing=0.0, off=0.08),
        }
    elif source == "insecurity-insight":
        lat, lon = _jitter(rng, event, 3) if rng.random() < 0.9 else (None, None)
        admin1 = f"{event.admin1} {rng.choice(SUFFIXES)}" if event.admin1 and rng.random() < 0.95 else None
        row |= {
            "event_date": _shift(rng, event.day),
            "admin1": admin1,
            "latitude": lat,
            "longitude": lon,
            "attack_families": _recode(
                rng, event.families if rng.random() < 0.9 else event.families[:1], 0.15
            ),
            "resources": event.resources,
            "perpetrator_category": event.perpetrator if rng.random() < 0.85 else "unknown",
            "health_workers_killed": _off(rng, event.killed, missing=0.05, off=0.06),
            "health_workers_injured": _off(rng, event.injured, missing=0.05, off=0.08),
            "description": f"{month} {event.day.year}: "
            + _text(rng, event, 0.65, ["A", "was", "reportedly", "by"]),
            "co_reported_by": claims,
        }
    elif source == "acled":
        precise = rng.random() < 0.9
        lat, lon = _jitter(rng, event, 2 if precise else 30)
        heavy = "heavy_weapons" in event.families
        families = [f for f in event.families if heavy or f != "individual_weapons" or rng.random() < 0.5]
        families = _recode(rng, families, 0.15)
        killed = _off(rng, event.killed or 0, missing=0.0, off=0.08)
        if killed is not None and rng.random() < 0.1:
            killed += rng.randint(1, 4)  # everyone killed, not only health workers
        week = rng.random() < 0.06
        day = _shift(rng, event.day, wide=week)
        said = " Casualties unknown." if not killed else f" {killed} fatalities."
        row |= {
            "event_date": day,
            "date_precision": "week" if week else "day",
            "admin1": event.admin1,
            "latitude": lat,
            "longitude": lon,
            "attack_families": families,
            "resources": event.resources[:1],
            "perpetrator_category": event.perpetrator if rng.random() < 0.7 else "other",
            "people_killed": killed,
            "description": f"On {day.day} {MONTHS[day.month - 1]} {day.year}, {_text(rng, event, 0.6, [])}.{said}",
        }
    else:  # awsd
        lat, lon = _jitter(rng, event, 3) if rng.random() < 0.85 else (None, None)
        roll = rng.random()
        admin1 = (
            event.admin1 if roll < 0.75 else (event.admin1_other or event.admin1) if roll < 0.95 else None
        )
        day = _shift(rng, event.day)
        precision = "day"
        if rng.random() < 0.08:
            day, precision = event.day.replace(day=1), "month"
        means = {"heavy_weapons", "individual_weapons", "deprivation_of_liberty", "physical_assault"}
        families = (
            [f for f in _recode(rng, event.families, 0.25) if f in means]
            if rng.random() < 0.9
            else ["unknown"]
        )
        row |= {
            "event_date": day,
            "date_precision": precision,
            "admin1": admin1,
            "latitude": lat,
            "longitude": lon,
            "attack_families": families,
            "resources": ["personnel"],
            "perpetrator_category": event.perpetrator if rng.random() < 0.6 else "unknown",
            "people_killed": min(event.killed or 0, _off(rng, event.killed or 0, missing=0.0, off=0.1) or 0),
            "people_injured": _off(rng, event.injured or 0, missing=0.0, off=0.1),
            "description": _text(rng, event, 0.6, ["One", "staff", "member", "was"]),
            "co_reported_by": claims,
        }
    return row


class _Identifiers:
    def __init__(self) -> None:
        self.next = dict.fromkeys(SOURCES, 1)
        self.seen: dict[tuple[str, str], int] = {}
        self.last_awsd = ""

    def new(self, rng: random.Random, source: str, country: str) -> tuple[str, int]:
        number = self.next[source]
        self.next[source] += 1
        if source == "who-ssa":
            source_id = f"{country}{number:06d}"
        elif source == "acled":
            source_id = f"{country[:2]}{number}"
        elif source == "awsd" and self.last_awsd and rng.random() < 0.003:
            source_id = self.last_awsd  # AWSD's Incident ID is not unique (datasets.md §3)
        else:
            source_id = str(20_000 + number)
        if source == "awsd":
            self.last_awsd = source_id
        occurrence = self.seen.get((source, source_id), 0) + 1
        self.seen[source, source_id] = occurrence
        return source_id, occurrence


def _records_of(
    rng: random.Random, event: Event, sources: list[str], ids: _Identifiers
) -> list[dict[str, Any]]:
    rows = []
    for source in sources:
        claims: list[str] = []
        if source == "insecurity-insight" and "who-ssa" in sources and rng.random() < 0.6:
            claims = ["who-ssa"]
        if source == "awsd" and "acled" in sources and rng.random() < 0.5:
            claims = ["acled"]
        for _ in range(2 if rng.random() < DUPLICATE else 1):
            row = _render(rng, source, event, claims)
            row["source_id"], row["occurrence"] = ids.new(rng, source, event.country)
            rows.append(row)
    return rows


def _stream(seed: int, events: int | None, expected: int) -> Iterator[tuple[int, dict[str, Any]]]:
    rng = random.Random(seed)  # noqa: S311 - reproducible made-up data, not secrets
    places = _Places(rng)
    ids = _Identifiers()
    for event in _events(rng, places, events, expected):
        for row in _records_of(rng, event, _sources_of(rng, event), ids):
            yield event.number, row


def _numbered(stream: Iterator[tuple[int, dict[str, Any]]], seed: int, count: int) -> Benchmark:
    """Unique ids in a random order, so that nothing can be learnt from the order of the ids."""
    order = list(range(1, count + 1))
    random.Random(f"ids:{seed}").shuffle(order)  # noqa: S311 - reproducible made-up data, not secrets
    rows, truth = [], {}
    for (event, row), uid in zip(stream, order, strict=False):
        row["unique_id"] = uid
        rows.append(row)
        truth[uid] = event
    return Benchmark(rows, truth, len(set(truth.values())), seed)


def generate(*, events: int | None = None, records: int | None = None, seed: int = 0) -> Benchmark:
    """`events` true events and all their records, or exactly `records` records (as many events as that
    takes, the last one possibly cut short)."""
    if (events is None) == (records is None):
        raise ValueError("give events or records")
    if events is not None:
        listed = list(_stream(seed, events, events))
        return _numbered(iter(listed), seed, len(listed))
    assert records is not None
    return _numbered(_stream(seed, None, _events_for(records)), seed, records)


def _events_for(records: int) -> int:
    return max(1, int(records / RECORDS_PER_EVENT))


def frame_batches(records: int, seed: int = 0, batch: int = 50_000) -> Iterator[tuple[pa.Table, list[int]]]:
    """The frame of generate(records=...) in batches, with each row's true event, without holding the rows
    (for the million-record benchmark)."""
    order = list(range(1, records + 1))
    random.Random(f"ids:{seed}").shuffle(order)  # noqa: S311 - reproducible made-up data, not secrets
    rows: list[dict[str, Any]] = []
    events: list[int] = []
    for (event, row), uid in zip(_stream(seed, None, _events_for(records)), order, strict=False):
        row["unique_id"] = uid
        rows.append(frame_row(row))
        events.append(event)
        if len(rows) == batch:
            yield pa.Table.from_pylist(rows, schema=SCHEMA), events
            rows, events = [], []
    if rows:
        yield pa.Table.from_pylist(rows, schema=SCHEMA), events


# Perturbed copies of real records ---------------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]{4,}")


def _real_event(number: int, row: dict[str, Any]) -> Event:
    def first(*names: str) -> int | None:
        return next((int(row[name]) for name in names if row.get(name) is not None), None)

    text = row.get("description") or ""
    words = [word for word in _WORD.findall(text) if word.lower() not in {m.lower() for m in MONTHS}]
    return Event(
        number=number,
        country=row["country_iso3"],
        day=row["event_date"],
        admin1=row.get("admin1") or None,
        latitude=row.get("latitude"),
        longitude=row.get("longitude"),
        families=[f for f in row.get("attack_families") or [] if f != "unknown"],
        resources=list(row.get("resources") or []),
        perpetrator=row.get("perpetrator_category") or "unknown",
        killed=first("people_killed", "health_workers_killed"),
        injured=first("people_injured", "health_workers_injured"),
        words=words or [row.get("country_iso3", "")],
    )


def from_real(rows: Sequence[dict[str, Any]], *, seed: int = 0, limit: int | None = None) -> Benchmark:
    """Each real record (harmonised fields, `source`, `source_id`; with a date and a country) is an event:
    kept as it is in its own source, with copies rendered by the other sources that would cover it. The real
    records should come from one source, whose records are different events of one another."""
    rng = random.Random(seed)  # noqa: S311 - reproducible made-up data, not secrets
    ids = _Identifiers()
    stream: list[tuple[int, dict[str, Any]]] = []
    usable = [row for row in rows if row.get("event_date") and row.get("country_iso3")]
    if limit is not None:
        usable = rng.sample(usable, min(limit, len(usable)))
    for number, real in enumerate(usable):
        event = _real_event(number, real)
        own = {name: value for name, value in real.items() if name not in ("unique_id", "occurrence")}
        stream.append((number, {**own, "occurrence": real.get("occurrence", 1)}))
        others = [s for s in SOURCES if s != real["source"] and _covers(s, event) and rng.random() < ALSO[s]]
        for row in _records_of(rng, event, others, ids):
            row["source_id"] = f"copy-{row['source_id']}"
            stream.append((number, row))
    benchmark = _numbered(iter(stream), seed, len(stream))
    benchmark.notes.append(
        f"{len(usable)} real records as events, {len(stream) - len(usable)} perturbed copies"
    )
    return benchmark


# The hand-written fixture -----------------------------------------------------------------------------------

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "linkage" / "records.yaml"


def fixture_rows(path: Path | None = None) -> tuple[list[dict[str, Any]], dict[int, int]]:
    """The records of tests/fixtures/linkage/records.yaml as frame_from_rows takes them, and the truth
    (unique_id -> event number)."""
    data = yaml.safe_load((path or FIXTURE).read_text(encoding="utf-8"))
    rows, truth = [], {}
    for number, entry in enumerate(data["records"], start=1):
        row = dict(entry)
        event = row.pop("event")
        row.pop("note", None)
        row["unique_id"] = number
        row.setdefault("occurrence", 1)
        row["source_id"] = str(row["source_id"])
        if isinstance(row.get("event_date"), str):
            row["event_date"] = datetime.date.fromisoformat(row["event_date"])
        for name in ("resources", "attack_families", "co_reported_by"):
            row[name] = list(row.get(name) or [])
        rows.append(row)
        truth[number] = int(event)
    return rows, truth
