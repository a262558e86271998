"""What a figure is about: period, countries, sources (or the de-duplicated incidents) and certainty.

One `Selection` serves the dashboard, the map, the report builder, the exports and the API; `from_query`
reads it from query parameters, with an error per parameter that names it and the value it refused.

A `public` selection holds only the rows that may be published (registry.publication: records and incidents
at the level "rumour" are never shown or counted in public). Selections are not public unless asked for
(`Selection(public=True)`, `from_query(..., public=True)`): every public output asks (the map, the public
API and the public exports do; docs/publication.md lists them).
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from registry.publication import UNPUBLISHED_CERTAINTY

DEDUPLICATED = "deduplicated"
PER_SOURCE = "per_source"
VIEWS = (DEDUPLICATED, PER_SOURCE)

# Sources in the order the pages show them: the local field reports, then the international datasets.
SOURCE_ORDER = ("local", "who-ssa", "shcc", "insecurity-insight", "acled", "awsd", "inso")


class SelectionError(ValueError):
    """Refused query parameters: `problems` maps each parameter to what is wrong with it."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{name}: {problem}" for name, problem in problems.items()))


@dataclass(frozen=True)
class Selection:
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    countries: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # none: every source
    view: str = DEDUPLICATED  # DEDUPLICATED: incidents; PER_SOURCE: source records
    certainty: tuple[str, ...] = ()  # none: every level
    # Only what may be published (registry.publication.publishable): every public output asks for it.
    public: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def deduplicated(self) -> bool:
        return self.view == DEDUPLICATED

    def where(self, *, view: str | None = None) -> tuple[str, list[Any]]:
        """A SQL condition on the `facts` table and its parameters. Lists become `IN (?, ?)` and the
        de-duplicated view's sources a bit mask (`source_mask`): both far faster on millions of rows than
        list functions."""
        deduplicated = (view or self.view) == DEDUPLICATED
        conditions = ["unit = ?"]
        params: list[Any] = ["incident" if deduplicated else "record"]

        def among(column: str, values: tuple[str, ...]) -> None:
            conditions.append(f"{column} IN ({', '.join('?' for _ in values)})")
            params.extend(values)

        if self.sources:
            if deduplicated:
                marks = ", ".join("?" for _ in self.sources)
                bits = f"SELECT coalesce(sum(bit), 0) FROM source_bits WHERE source IN ({marks})"  # noqa: S608
                conditions.append(f"(source_mask & ({bits})) <> 0")
                params.extend(self.sources)
            else:
                among("source", self.sources)
        if self.date_from is not None:
            conditions.append("event_date >= ?")
            params.append(self.date_from)
        if self.date_to is not None:
            conditions.append("event_date <= ?")
            params.append(self.date_to)
        if self.countries:
            among("country_iso3", self.countries)
        if self.certainty:
            among("certainty", self.certainty)
        if self.public:
            unpublished = sorted(UNPUBLISHED_CERTAINTY)
            conditions.append(f"coalesce(certainty, '') NOT IN ({', '.join('?' for _ in unpublished)})")
            params.extend(unpublished)
        return " AND ".join(conditions), params

    def key(self) -> str:
        """A short, stable text for cache keys."""
        text = "|".join(
            [
                str(self.date_from or ""),
                str(self.date_to or ""),
                ",".join(self.countries),
                ",".join(self.sources),
                self.view,
                ",".join(self.certainty),
                *(["public"] if self.public else []),
            ]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def as_query(self) -> dict[str, Any]:
        """Query parameters that `from_query` reads back into this selection."""
        query: dict[str, Any] = {"view": self.view}
        if self.date_from:
            query["from"] = self.date_from.isoformat()
        if self.date_to:
            query["to"] = self.date_to.isoformat()
        if self.countries:
            query["country"] = list(self.countries)
        if self.sources:
            query["source"] = list(self.sources)
        if self.certainty:
            query["certainty"] = list(self.certainty)
        return query

    def describe(self) -> dict[str, str]:
        """The selection in words, for page headings, report method sections and export metadata."""
        return {
            "period": _("%(start)s to %(end)s")
            % {
                "start": self.date_from.isoformat() if self.date_from else _("the first record"),
                "end": self.date_to.isoformat() if self.date_to else _("the last record"),
            },
            "countries": ", ".join(self.countries) or _("all countries"),
            "sources": ", ".join(self.sources) or _("all sources"),
            "view": _("de-duplicated incidents") if self.deduplicated else _("records per source"),
            "certainty": ", ".join(self.certainty) or _("every certainty level"),
        }


def _values(data: Any, name: str) -> list[str]:
    if hasattr(data, "getlist"):
        raw = data.getlist(name)
    else:
        value = data.get(name)
        raw = value if isinstance(value, list | tuple) else ([] if value in (None, "") else [value])
    values: list[str] = []
    for item in raw:
        values.extend(part.strip() for part in str(item).split(",") if part.strip())
    return values


def _date(data: Any, name: str, problems: dict[str, str]) -> datetime.date | None:
    values = _values(data, name)
    if not values:
        return None
    if len(values) > 1:
        problems[name] = _("give one date, not %(count)d") % {"count": len(values)}
        return None
    text = values[0]
    try:
        if len(text) == 4 and text.isdigit():  # a year: its first or last day
            year = int(text)
            return datetime.date(year, 12, 31) if name == "to" else datetime.date(year, 1, 1)
        return datetime.date.fromisoformat(text)
    except ValueError:
        problems[name] = _("%(value)r is not a date (YYYY-MM-DD) or a year (YYYY)") % {"value": text[:40]}
        return None


def from_query(
    data: Any,
    *,
    known_sources: tuple[str, ...] | None = None,
    known_certainty: tuple[str, ...] | None = None,
    default_view: str = DEDUPLICATED,
    public: bool = False,
) -> Selection:
    """Read a selection from query parameters: `from`, `to` (a date or a year), `country` (ISO3, repeated
    or comma-separated), `source`, `view` (deduplicated | per_source) and `certainty`. With `public`, only
    what may be published (see the module's docstring)."""
    from sources.crosswalks import crosswalks

    problems: dict[str, str] = {}
    date_from = _date(data, "from", problems)
    date_to = _date(data, "to", problems)
    if date_from and date_to and date_from > date_to:
        problems["to"] = _("the end (%(end)s) is before the start (%(start)s)") % {
            "end": date_to.isoformat(),
            "start": date_from.isoformat(),
        }
    countries = tuple(sorted({value.upper() for value in _values(data, "country")}))
    wrong = [code for code in countries if len(code) != 3 or not code.isalpha()]
    if wrong:
        problems["country"] = _("%(codes)s: not a three-letter country code (ISO 3166-1 alpha-3)") % {
            "codes": ", ".join(wrong[:5])
        }
    sources = tuple(sorted(set(_values(data, "source")), key=_source_rank))
    if known_sources is not None:
        unknown = [slug for slug in sources if slug not in known_sources]
        if unknown:
            problems["source"] = _("unknown source %(names)s; the sources are %(known)s") % {
                "names": ", ".join(unknown[:5]),
                "known": ", ".join(known_sources),
            }
    views = _values(data, "view")
    view = views[0] if views else default_view
    if view not in VIEWS or len(views) > 1:
        problems["view"] = _("%(value)r is not a view; use deduplicated or per_source") % {
            "value": ",".join(views)[:40]
        }
    certainty = tuple(sorted(set(_values(data, "certainty"))))
    levels = known_certainty if known_certainty is not None else tuple(crosswalks().certainty_levels)
    unknown_levels = [level for level in certainty if level not in levels]
    if unknown_levels:
        problems["certainty"] = _("unknown certainty %(names)s; the levels are %(known)s") % {
            "names": ", ".join(unknown_levels[:5]),
            "known": ", ".join(levels),
        }
    if problems:
        raise SelectionError(problems)
    return Selection(date_from, date_to, countries, sources, view, certainty, public=public)


def _source_rank(slug: str) -> tuple[int, str]:
    return (SOURCE_ORDER.index(slug) if slug in SOURCE_ORDER else len(SOURCE_ORDER), slug)
