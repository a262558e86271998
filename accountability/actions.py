"""Recording and changing investigations: the staff pages, the API and the tests call these.

Each change is one transaction with its audit event (audit.chain.record), which holds codes, ids and the
names of the fields that changed, never the text of a note, a citation or a body's name. `check` holds the
rules an investigation must follow; the forms show its messages next to the fields they name.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accountability.models import Investigation, InvestigationSource
from accounts.models import Organisation
from audit.chain import Detail, record
from registry.models import Incident

FIELDS = ("opened", "body", "body_name", "opened_at", "status", "outcome", "outcome_at")
SOURCE_FIELDS = ("url", "citation", "note")
MAX_SOURCES = 20
# The public figure's cache (accountability.figure) is dropped on every change.
FIGURE_CACHE_KEY = "accountability:figure"


class StaleInvestigation(Exception):
    """Someone changed the investigation since it was read: `current` is its version now."""

    def __init__(self, current: int) -> None:
        self.current = current
        super().__init__(f"the investigation is at version {current}")


def check(fields: Mapping[str, Any], *, today: datetime.date | None = None) -> dict[str, str]:
    """What is wrong with these investigation fields, per field name (empty when nothing is)."""
    today = today or timezone.localdate()
    problems: dict[str, str] = {}
    opened = fields.get("opened")
    if opened not in Investigation.Opened.values:
        problems["opened"] = _("Say whether an investigation was opened: yes, no or not known.")
    body = fields.get("body") or ""
    if body and body not in Investigation.Body.values:
        problems["body"] = _("Choose who opened the investigation from the list.")
    elif opened == Investigation.Opened.YES and not body:
        problems["body"] = _("Say who opened the investigation.")
    if body == Investigation.Body.OTHER and not (fields.get("body_name") or "").strip():
        problems["body_name"] = _("Name the body when it is none of those in the list.")
    if fields.get("status") not in Investigation.Status.values:
        problems["status"] = _("Choose a status from the list.")
    outcome = fields.get("outcome") or Investigation.Outcome.NONE_YET
    if outcome not in Investigation.Outcome.values:
        problems["outcome"] = _("Choose an outcome from the list.")
    opened_at, outcome_at = fields.get("opened_at"), fields.get("outcome_at")
    if opened != Investigation.Opened.YES:
        if opened_at:
            problems["opened_at"] = _("Only an investigation that was opened has an opening date.")
        if outcome != Investigation.Outcome.NONE_YET:
            problems["outcome"] = _("Only an investigation that was opened can have an outcome.")
    if outcome_at and outcome == Investigation.Outcome.NONE_YET and "outcome" not in problems:
        problems["outcome_at"] = _("Give the date of an outcome only when there is one.")
    for name, day in (("opened_at", opened_at), ("outcome_at", outcome_at)):
        if day and name not in problems and day > today:
            problems[name] = _("This date is in the future.")
    if opened_at and outcome_at and outcome_at < opened_at and "outcome_at" not in problems:
        problems["outcome_at"] = _("The outcome cannot come before the investigation was opened.")
    return problems


def check_sources(sources: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """What is wrong with these sources, under `sources` (with the number of the source)."""
    if len(sources) > MAX_SOURCES:
        return {"sources": _("Give at most %(count)d sources.") % {"count": MAX_SOURCES}}
    for number, source in enumerate(sources, start=1):
        if not (source.get("url") or "").strip() and not (source.get("citation") or "").strip():
            return {"sources": _("Source %(number)d needs a web address or a citation.") % {"number": number}}
    return {}


def _problems(fields: Mapping[str, Any], sources: Sequence[Mapping[str, Any]]) -> None:
    problems = {**check(fields), **check_sources(sources)}
    if problems:
        raise ValidationError(
            {name: ValidationError(message, code="invalid") for name, message in problems.items()}
        )


def _active(incident: Incident) -> None:
    if incident.status != Incident.Status.ACTIVE:
        heir = incident.merged_into
        message = (
            _("Incident %(number)s was merged into %(heir)s: record the investigation there.")
            % {"number": incident.number, "heir": heir.number}
            if heir is not None
            else _("Incident %(number)s is retired.") % {"number": incident.number}
        )
        raise ValidationError({"incident": ValidationError(message, code="retired")})


def _save_sources(investigation: Investigation, sources: Sequence[Mapping[str, Any]]) -> None:
    investigation.sources.all().delete()
    InvestigationSource.objects.bulk_create(
        InvestigationSource(
            investigation=investigation,
            position=position,
            **{name: (source.get(name) or "").strip() for name in SOURCE_FIELDS},
        )
        for position, source in enumerate(sources)
    )


def _source_list(investigation: Investigation) -> list[tuple[str, str, str]]:
    return [(source.url, source.citation, source.note) for source in investigation.sources.all()]


def _details(investigation: Investigation) -> dict[str, Detail]:
    return {
        "incident": investigation.incident_id,
        "opened": investigation.opened,
        "body": investigation.body,
        "status": investigation.status,
        "outcome": investigation.outcome,
        "version": investigation.version,
    }


def record_investigation(
    actor: Any,
    organisation: Organisation,
    incident: Incident,
    fields: Mapping[str, Any],
    sources: Sequence[Mapping[str, Any]] = (),
) -> Investigation:
    """A new investigation of `incident`, recorded by `actor` for `organisation`. ValidationError names
    each field that breaks a rule (`check`), also `incident` when it is retired."""
    _active(incident)
    _problems(fields, sources)
    now = timezone.now()
    with transaction.atomic():
        investigation = Investigation.objects.create(
            incident=incident,
            organisation=organisation,
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
            created_at=now,
            updated_at=now,
            **_cleaned(fields),
        )
        _save_sources(investigation, sources)
        record(
            "accountability.investigation_recorded",
            actor=actor,
            target=investigation,
            organisation=organisation,
            details={**_details(investigation), "sources": len(sources)},
        )
    cache.delete(FIGURE_CACHE_KEY)
    return investigation


def change_investigation(
    actor: Any,
    investigation: Investigation,
    fields: Mapping[str, Any],
    sources: Sequence[Mapping[str, Any]],
    *,
    version: int | None = None,
) -> Investigation:
    """Change an investigation's fields and replace its sources. With `version`, StaleInvestigation when
    someone changed it since that version was read. Nothing is written when nothing changed."""
    _problems(fields, sources)
    with transaction.atomic():
        current = Investigation.objects.select_for_update().get(pk=investigation.pk)
        if version is not None and current.version != version:
            raise StaleInvestigation(current.version)
        new = _cleaned(fields)
        changed: list[Detail] = [name for name in FIELDS if getattr(current, name) != new[name]]
        wanted = [tuple((source.get(name) or "").strip() for name in SOURCE_FIELDS) for source in sources]
        if wanted != _source_list(current):
            changed.append("sources")
        if not changed:
            return current
        for name, value in new.items():
            setattr(current, name, value)
        current.version += 1
        current.updated_at = timezone.now()
        current.save()
        if "sources" in changed:
            _save_sources(current, sources)
        record(
            "accountability.investigation_changed",
            actor=actor,
            target=current,
            organisation=current.organisation,
            details={**_details(current), "changed": changed},
        )
    cache.delete(FIGURE_CACHE_KEY)
    return current


def _cleaned(fields: Mapping[str, Any]) -> dict[str, Any]:
    found = {name: fields.get(name) for name in FIELDS}
    for name in ("body", "body_name"):
        found[name] = (found[name] or "").strip()
    found["outcome"] = found["outcome"] or Investigation.Outcome.NONE_YET
    return found
