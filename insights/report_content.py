"""What a report holds: the document's context (selection, headline figures, summary, sections, method,
the releases and linkage run it drew on) and how a rebuilt report's releases and figures compare."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from insights import analytics_db, labels, queries
from insights.filters import DEDUPLICATED, PER_SOURCE, Selection
from insights.models import PolicyReport
from insights.report_blocks import (
    Block,
    Figure,
    Section,
    _areas_block,
    _change,
    _countries_blocks,
    _counts_block,
    _date,
    _families_block,
    _map_block,
    _moment,
    _month_block,
    _n,
    _percent,
    _perpetrators_block,
    _resources_block,
    _sources_block,
    _unit,
    _year_block,
)

# -- What the report holds ------------------------------------------------------------------------------------


def gather(report: PolicyReport, selection: Selection, built_at: datetime.datetime) -> dict[str, Any]:
    """The document's context: headline figures, summary, sections of charts and tables, method and
    citations. Charts are specifications here; `build_report` draws them."""
    totals = queries.totals(selection)
    years = queries.per_year(selection)
    releases = releases_used(selection)
    run = linkage_run()
    analytics_built = analytics_built_at()
    brief = report.kind == PolicyReport.Kind.COUNTRY_BRIEF
    sections = country_sections(selection) if brief else periodic_sections(selection)
    number = 0
    for section in sections:
        for block in section.blocks:
            number += 1
            block.number = number
    earlier = report.rebuilt_from
    comparison = None
    if earlier is not None:
        comparison = {
            "report": earlier,
            "releases": compare_releases(earlier.releases, releases),
            "figures": compare_figures(earlier.figures, {"totals": totals}),
        }
    return {
        "report": report,
        "brief": brief,
        "country": labels.country_label(selection.countries[0]) if brief and selection.countries else "",
        "built_at": built_at,
        "selection": selection_words(selection, totals),
        "unit": _unit(selection),
        "headline": headline(totals, selection),
        "summary": summary(totals, years, selection, brief=brief),
        "sections": sections,
        "method": method(selection, run, analytics_built, releases),
        "releases": releases,
        "citations": [
            {**row, "vintage": _date(row["vintage_date"]), "records_text": _n(row["records"])}
            for row in releases
        ],
        "linkage_run": run,
        "analytics_built_at": analytics_built,
        "comparison": comparison,
        "figures": {
            "totals": totals,
            "per_year": {str(row["year"]): row["events"] for row in years},
        },
    }


def selection_words(selection: Selection, totals: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """The selection as label and words, with countries and sources by name; without a period, the dates
    of the first and last event found (from `totals`)."""
    words = selection.describe()
    if not (selection.date_from or selection.date_to) and totals and totals.get("first_date"):
        words["period"] = _("%(start)s to %(end)s (every date in the data)") % {
            "start": _date(totals["first_date"]),
            "end": _date(totals["last_date"]),
        }
    countries = ", ".join(labels.country_label(code) for code in selection.countries)
    sources = ", ".join(labels.source_label(slug) for slug in selection.sources)
    certainty = ", ".join(labels.certainty_label(code) for code in selection.certainty)
    return [
        (_("Period"), words["period"]),
        (_("Countries"), countries or words["countries"]),
        (_("Sources"), sources or words["sources"]),
        (_("Counted"), labels.view_label(selection.view)),
        (_("Certainty"), certainty or words["certainty"]),
    ]


def headline(totals: dict[str, Any], selection: Selection) -> list[Figure]:
    figures = [Figure("events", _unit(selection), _n(totals["events"]))]
    if len(selection.countries) != 1:
        figures.append(Figure("countries", labels.count_label("countries"), _n(totals["countries"])))
    figures += [Figure(name, labels.count_label(name), _n(totals[name])) for name in queries.HEADLINE_COUNTS]
    return figures


def summary(
    totals: dict[str, Any], years: list[dict[str, Any]], selection: Selection, *, brief: bool
) -> list[str]:
    """A few sentences in plain words: how many, when most, the latest year, where, and by whom."""
    events = int(totals["events"])
    if not events:
        return [_("The selection holds no events: nothing was recorded for this period, place and sources.")]
    sentences = []
    if selection.deduplicated:
        text = ngettext(
            "%(count)s incident of violence against health care was recorded from %(first)s to %(last)s.",
            "%(count)s incidents of violence against health care were recorded from %(first)s to %(last)s.",
            events,
        )
    else:
        text = ngettext(
            "The sources hold %(count)s record of violence against health care from %(first)s to %(last)s.",
            "The sources hold %(count)s records of violence against health care from %(first)s to %(last)s.",
            events,
        )
    sentences.append(
        text % {"count": _n(events), "first": _date(totals["first_date"]), "last": _date(totals["last_date"])}
    )
    if len(years) > 1:
        peak = max(years, key=lambda row: (row["events"], row["year"]))
        sentences.append(
            _("The most were recorded in %(year)s: %(count)s.")
            % {"year": peak["year"], "count": _n(peak["events"])}
        )
        last, before = years[-1], years[-2]
        if before["year"] == last["year"] - 1:
            sentences.append(
                _("In %(year)s there were %(count)s, %(change)s on %(previous)s (%(previous_count)s).")
                % {
                    "year": last["year"],
                    "count": _n(last["events"]),
                    "change": _change(last["change_percent"]),
                    "previous": before["year"],
                    "previous_count": _n(before["events"]),
                }
            )
        last_date = totals["last_date"]
        if last_date and last_date[:4] == str(last["year"]) and last_date[5:] != "12-31":
            sentences.append(
                _(
                    "The figures for %(year)s run to %(date)s only: the newest vintages of the sources end "
                    "there, and sources add events months after they happen."
                )
                % {"year": last["year"], "date": _date(last_date)}
            )
    if not brief and int(totals["countries"]) > 1:
        top = queries.per_country(selection, 1)
        if top:
            sentences.append(
                _("%(country)s had the most: %(count)s (%(share)s of all).")
                % {
                    "country": labels.country_label(top[0]["country"]),
                    "count": _n(top[0]["events"]),
                    "share": _percent(round(top[0]["events"] * 100 / events, 1)),
                }
            )
    perpetrators = queries.per_perpetrator(selection)
    if perpetrators["known"]:
        sentences.append(
            _("Where the perpetrator is known (%(known)s), state actors were named in %(share)s.")
            % {"known": _n(perpetrators["known"]), "share": _percent(perpetrators["state_share_percent"])}
        )
    return sentences


def periodic_sections(selection: Selection) -> list[Section]:
    trend = Section(
        "trend", _("Over time"), blocks=_present([_year_block(selection), _month_block(selection)])
    )
    places = Section("places", _("Where"), blocks=_countries_blocks(selection))
    harm = Section("harm", _("Health workers and facilities"), blocks=[_counts_block(selection)])
    kinds = Section(
        "kinds",
        _("What happened and who did it"),
        blocks=_present(
            [_families_block(selection), _resources_block(selection), _perpetrators_block(selection)]
        ),
    )
    sources = Section("sources", _("The sources side by side"), blocks=_present([_sources_block(selection)]))
    sources.paragraphs.append(_overlap_sentence(selection))
    return [section for section in (trend, places, harm, kinds, sources) if section.blocks]


def country_sections(selection: Selection) -> list[Section]:
    trend = Section(
        "trend", _("Over time"), blocks=_present([_year_block(selection), _month_block(selection)])
    )
    places = Section("places", _("Where"), blocks=_present([_areas_block(selection), _map_block(selection)]))
    harm = Section("harm", _("Health workers and facilities"), blocks=[_counts_block(selection)])
    kinds = Section(
        "kinds",
        _("What happened and who did it"),
        blocks=_present([_families_block(selection), _perpetrators_block(selection)]),
    )
    sources = Section("sources", _("The sources side by side"), blocks=_present([_sources_block(selection)]))
    sources.paragraphs.append(_overlap_sentence(selection))
    return [section for section in (trend, places, harm, kinds, sources) if section.blocks]


def _present(blocks: Iterable[Block | None]) -> list[Block]:
    return [block for block in blocks if block is not None and (block.table is not None or block.spec)]


def _overlap_sentence(selection: Selection) -> str:
    found = queries.overlap(selection)
    incidents = int(queries.totals(Selection(**{**_fields(selection), "view": DEDUPLICATED}))["events"])
    return ngettext(
        "Of the %(incidents)s de-duplicated incident, %(several)s was reported by more than one source.",
        "Of the %(incidents)s de-duplicated incidents, %(several)s were reported by more than one source.",
        incidents,
    ) % {"incidents": _n(incidents), "several": _n(found["in_several_sources"])}


def _fields(selection: Selection) -> dict[str, Any]:
    return {
        "date_from": selection.date_from,
        "date_to": selection.date_to,
        "countries": selection.countries,
        "sources": selection.sources,
        "view": selection.view,
        "certainty": selection.certainty,
        "public": selection.public,
    }


def method(
    selection: Selection,
    run: dict[str, Any] | None,
    analytics_built: datetime.datetime | None,
    releases: list[dict[str, Any]],
) -> list[str]:
    """The method section, paragraph by paragraph."""
    paragraphs = [
        _(
            "A record is one row of a source's dataset: one event as that source reports it. Only the newest "
            "vintage of each dataset is used, and only records about health care. Several sources often "
            "report the same attack, so their records cannot simply be added up."
        ),
        _(
            "An incident is one attack as ZorgVeilig's registry sees it: the records of different sources "
            "that describe the same event are linked into one incident (de-duplication), so an attack that "
            "three sources report counts once. Records are linked by a probabilistic model (Fellegi-Sunter, "
            "with Splink) that compares date, place, type of attack and the figures; uncertain pairs are "
            "checked by analysts, and their decisions hold in every later run."
        ),
    ]
    if selection.deduplicated:
        paragraphs.append(_("This report counts de-duplicated incidents."))
    else:
        paragraphs.append(
            _(
                "This report counts records per source: an attack that several sources report counts once per source."
            )
        )
    if run is not None:
        paragraphs.append(
            _("The incidents come from linkage run %(run)s, finished on %(date)s.")
            % {"run": run["id"], "date": _moment(run["finished_at"])}
        )
    else:
        paragraphs.append(_("No linkage run has finished yet: every record is its own incident."))
    paragraphs.append(
        _(
            "Counts of people and facilities are the sums of the figures the sources give; an event for "
            "which a source gives no figure adds nothing, so these sums are lower bounds. For an incident, "
            "the registry takes one figure from its records, not their sum."
        )
    )
    paragraphs.append(
        _(
            "Events are counted by the date they took place. A source may add or correct events in a later "
            "vintage, so the figures of recent months are likely to rise."
        )
    )
    if analytics_built is not None:
        paragraphs.append(
            _("The figures were read from the analytics database built on %(date)s.")
            % {"date": _moment(analytics_built)}
        )
    if not releases:
        paragraphs.append(_("No release of the chosen sources holds records for this selection."))
    return paragraphs


def releases_used(selection: Selection) -> list[dict[str, Any]]:
    """Every release the selection's figures draw on, with its vintage, SHA-256, citation and how many of its
    records fall in the selection (the current release of each product the selection has records of)."""
    from sources.models import Release

    rows = queries.releases_used(selection)
    where, params = selection.where(view=PER_SOURCE)
    cursor = analytics_db.connection().cursor()
    try:
        counts = dict(
            cursor.execute(
                f"SELECT release_id, count(*) FROM facts WHERE {where} GROUP BY release_id",  # noqa: S608
                params,
            ).fetchall()
        )
    finally:
        cursor.close()
    stored = {
        release.pk: release
        for release in Release.objects.select_related("product__source").filter(
            pk__in=[row["release_id"] for row in rows]
        )
    }
    used = []
    for row in rows:
        records = int(counts.get(row["release_id"], 0))
        if not records:
            continue
        release = stored.get(row["release_id"])
        source = release.product.source if release is not None else None
        used.append(
            {
                "release_id": row["release_id"],
                "source": row["source"],
                "source_name": (source.name if source is not None else row.get("source_name"))
                or labels.source_name(row["source"]),
                "product": row["product"],
                "vintage_date": row["vintage_date"],
                "vintage_label": row["vintage_label"] or "",
                "sha256": release.sha256 if release is not None else "",
                "file_name": release.file_name if release is not None else "",
                "citation": release.citation if release is not None else "",
                "licence": source.licence if source is not None else "",
                "url": source.url if source is not None else "",
                "records": records,
            }
        )
    return used


def linkage_run() -> dict[str, Any] | None:
    """The latest finished linkage run (the one the registry's incidents come from)."""
    from linkage.models import LinkageRun

    run = (
        LinkageRun.objects.filter(status=LinkageRun.Status.DONE, finished_at__isnull=False)
        .order_by("-finished_at", "-pk")
        .first()
    )
    if run is None:
        return None
    return {"id": run.pk, "finished_at": run.finished_at}


def analytics_built_at() -> datetime.datetime | None:
    """When the analytics database was built (read as UTC: DuckDB would need pytz for a TIMESTAMPTZ)."""
    try:
        row = analytics_db.connection().execute("SELECT built_at AT TIME ZONE 'UTC' FROM meta").fetchone()
    except analytics_db.AnalyticsError:
        raise
    except Exception:  # an older file without the meta table
        return None
    if not row or row[0] is None:
        return None
    built: datetime.datetime = row[0]
    return built.replace(tzinfo=datetime.UTC)


# -- Comparing a rebuilt report with the one it came from -----------------------------------------------------


@dataclass(frozen=True)
class ReleaseChange:
    source: str
    product: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @property
    def status(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        same = (self.before.get("release_id"), self.before.get("sha256")) == (
            self.after.get("release_id"),
            self.after.get("sha256"),
        )
        return "same" if same else "changed"

    @property
    def label(self) -> str:
        return str(
            {
                "same": _("same release"),
                "changed": _("newer release"),
                "added": _("new in this report"),
                "removed": _("no longer used"),
            }[self.status]
        )


def compare_releases(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[ReleaseChange]:
    """Release by release (per source and product): the same, changed (another vintage), added or gone."""
    old = {(row["source"], row["product"]): row for row in before}
    new = {(row["source"], row["product"]): row for row in after}
    keys = sorted(set(old) | set(new))
    return [
        ReleaseChange(source, product, old.get((source, product)), new.get((source, product)))
        for source, product in keys
    ]


def compare_figures(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """The headline figures of both reports, side by side."""
    old = before.get("totals", {}) if before else {}
    new = after.get("totals", {})
    rows = []
    for name in ("events", "countries", *queries.HEADLINE_COUNTS):
        rows.append(
            {
                "label": labels.count_label(name),
                "before": _n(old.get(name)),
                "after": _n(new.get(name)),
                "same": old.get(name) == new.get(name),
            }
        )
    return rows
