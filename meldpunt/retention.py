"""Erasing a report's content: on the reporter's request (themselves, or through a handler) and when the
organisation's retention period after closing has run out.

What erasure removes: every wrapped copy of the report key, the messages, internal notes and attachments
(rows, and the sealed files in storage once the transaction has committed), the sealed narrative, identity
and contact details, the notes of referrals, the receipt lookup hash and salt, and the assignment. The day
the incident happened is reduced to its month.

What stays is the row with the structured, non-identifying answers (meldpunt.vocabulary codes, the month,
status and outcome, the dates of receipt, acknowledgement and closing) for statistics, with the referrals
(where to, status, VPT code, date; their note is blanked) and the status history (from, to, who, when).
None of those hold anything a reporter wrote. A case that was still open is closed with the outcome
"withdrawn", so an erased report never counts as work waiting.

The database engine must not keep the old bytes either: on SQLite `secure_delete` overwrites freed space
with zeros, and `compact_database` (run by the periodic tasks) empties the write-ahead log, which still holds
the pages as they were before the erasure. Backups keep what they held; see docs/threat-model.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.db.models import F, Q, QuerySet
from django.tasks import TaskContext, task
from django.utils import timezone
from django.utils.translation import gettext_lazy, ngettext

from audit.chain import record
from jobs import progress, registry
from meldpunt.models import (
    Attachment,
    InternalNote,
    Message,
    OrganisationPolicy,
    Referral,
    Report,
    ReportKey,
    StatusChange,
)
from meldpunt.vocabulary import DatePrecision, Outcome

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], Any]


class Reason(StrEnum):
    REPORTER_REQUEST = "reporter_request"  # the reporter, through the receipt follow-up
    HANDLER_ON_REQUEST = "handler_on_request"  # a handler, on the reporter's request (by phone, email)
    RETENTION = "retention"  # the retention period after closing ran out


# Related rows that hold content and go entirely, and those kept (their sealed fields are blanked). A test
# checks that every model pointing at Report is in one of the two, so a new one cannot be forgotten.
DELETED_MODELS: tuple[type[models.Model], ...] = (ReportKey, Message, InternalNote, Attachment)
KEPT_MODELS: tuple[type[models.Model], ...] = (Referral, StatusChange)

# Storage names of sealed attachment files start with this (see meldpunt.attachments.store).
STORAGE_DIRECTORY = "meldpunt"


@dataclass(frozen=True)
class Erasure:
    """What one erasure removed: counts only, as in its audit event."""

    report_id: int
    already_erased: bool = False
    keys: int = 0
    messages: int = 0
    notes: int = 0
    attachments: int = 0
    referral_notes: int = 0
    closed: bool = False


def sealed_fields(model: type[models.Model]) -> list[str]:
    """The names of a model's sealed columns (binary fields named sealed_*)."""
    return [
        field.name
        for field in model._meta.concrete_fields
        if isinstance(field, models.BinaryField) and field.name.startswith("sealed_")
    ]


def _overwrite_freed_space() -> None:
    # Deleted rows and replaced values otherwise stay readable in free pages of the SQLite file. The pragma
    # is per connection and also works inside a transaction; many builds have it on by default.
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")


def _delete_files(storage_names: Iterable[str]) -> None:
    for name in storage_names:
        try:
            default_storage.delete(name)
        except Exception:
            # Left for sweep_orphan_files, which removes files no attachment row refers to.
            logger.exception("Could not delete the sealed file %s of an erased report", name)


def erase_report(report: Report, *, actor: Any, reason: Reason | str) -> Erasure:
    """Erase the content of `report`, keeping only its statistics row; see the module text for what goes.

    `actor` is the handler who erased it (None for the reporter and for the retention task). Runs in one
    transaction with its audit event; the sealed files are deleted from storage only after it commits, so a
    rollback leaves everything as it was. Erasing an erased report changes nothing and returns
    `already_erased=True`.
    """
    reason = Reason(reason)
    with transaction.atomic():
        _overwrite_freed_space()
        current = (
            Report.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=report.pk)
        )
        if current.erased_at is not None:
            return Erasure(report.pk, already_erased=True)
        storage_names = list(Attachment.objects.filter(report=current).values_list("storage_name", flat=True))
        counts = {
            model: model._default_manager.filter(report=current).delete()[0] for model in DELETED_MODELS
        }
        referral_notes = 0
        for model in KEPT_MODELS:
            blank = dict.fromkeys(sealed_fields(model), b"")
            if blank:
                with_content = Q()
                for name in blank:
                    with_content |= ~Q(**{name: b""})
                changed = model._default_manager.filter(with_content, report=current).update(**blank)
                if model is Referral:
                    referral_notes = changed

        now = timezone.now()
        changes: dict[str, Any] = dict.fromkeys(sealed_fields(Report), b"")
        changes.update(
            receipt_lookup=None,
            report_salt=b"",
            assigned_to=None,
            erased_at=now,
            occurred_on=current.occurred_on.replace(day=1),
            occurred_precision=DatePrecision.MONTH,
            # A handler's change based on the case as it was is refused (meldpunt.cases._bump).
            version=F("version") + 1,
        )
        closed = current.status != Report.Status.CLOSED
        if closed:
            changes.update(
                status=Report.Status.CLOSED, closed_at=now, outcome=current.outcome or Outcome.WITHDRAWN
            )
            StatusChange.objects.create(
                report=current,
                from_status=current.status,
                to_status=Report.Status.CLOSED,
                changed_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
        Report.objects.filter(pk=current.pk).update(**changes)

        erasure = Erasure(
            current.pk,
            keys=counts[ReportKey],
            messages=counts[Message],
            notes=counts[InternalNote],
            attachments=counts[Attachment],
            referral_notes=referral_notes,
            closed=closed,
        )
        record(
            "meldpunt.report_erased",
            actor=actor,
            target=current,
            organisation=current.organisation,
            details={
                "reason": reason.value,
                "keys": erasure.keys,
                "messages": erasure.messages,
                "notes": erasure.notes,
                "attachments": erasure.attachments,
                "referral_notes": erasure.referral_notes,
                "closed": erasure.closed,
            },
        )
        transaction.on_commit(lambda: _delete_files(storage_names))
    report.refresh_from_db()
    return erasure


# Retention ---------------------------------------------------------------------------------------------------


def _retention_condition(now: datetime) -> Q:
    """Closed before `now` minus each organisation's retention period (the default where it has no policy)."""
    condition = Q(pk__in=[])
    with_policy = []
    for organisation_id, days in OrganisationPolicy.objects.values_list(
        "organisation_id", "retention_days_after_closure"
    ):
        with_policy.append(organisation_id)
        condition |= Q(organisation_id=organisation_id, closed_at__lte=now - timedelta(days=days))
    default = now - timedelta(days=OrganisationPolicy.DEFAULT_RETENTION_DAYS)
    condition |= Q(closed_at__lte=default) & ~Q(organisation_id__in=with_policy)
    return condition


def due_for_erasure(now: datetime | None = None) -> QuerySet[Report]:
    """Closed, not yet erased reports whose retention period after closing has passed at `now`."""
    moment = now or timezone.now()
    return Report.objects.filter(
        _retention_condition(moment),
        status=Report.Status.CLOSED,
        closed_at__isnull=False,
        erased_at__isnull=True,
    ).order_by("closed_at", "pk")


def erase_after(report: Report) -> date | None:
    """The day a closed report's content is erased by the retention task (or soon after); None when the
    report is open (reopening starts over) or already erased."""
    if report.erased_at is not None or report.status != Report.Status.CLOSED or report.closed_at is None:
        return None
    days = OrganisationPolicy.for_organisation(report.organisation_id).retention_days_after_closure
    return timezone.localdate(report.closed_at + timedelta(days=days))


@dataclass(frozen=True)
class RetentionRun:
    due: int
    erased: int
    failed: int
    orphan_files: int

    def as_dict(self) -> dict[str, int]:
        return {
            "due": self.due,
            "erased": self.erased,
            "failed": self.failed,
            "orphan_files": self.orphan_files,
        }


def erase_expired(now: datetime | None = None, *, on_progress: Progress | None = None) -> RetentionRun:
    """Erase every report that is due at `now`, each in its own transaction.

    Each report is checked again under its lock before it is erased: a case reopened since the list was
    made is left alone. A report that fails to erase is logged and counted, and the others go on.
    """
    moment = now or timezone.now()
    report_ids = list(due_for_erasure(moment).values_list("pk", flat=True))
    total = len(report_ids)
    erased = failed = 0
    if on_progress is not None:
        on_progress(0, total)
    for done, report_id in enumerate(report_ids, start=1):
        try:
            with transaction.atomic():
                report = due_for_erasure(moment).select_for_update().filter(pk=report_id).first()
                if (
                    report is not None
                    and not erase_report(report, actor=None, reason=Reason.RETENTION).already_erased
                ):
                    erased += 1
        except Exception:
            failed += 1
            logger.exception("Could not erase report %s after its retention period", report_id)
        if on_progress is not None:
            on_progress(done, total)
    orphans = sweep_orphan_files(moment)
    compact_database()
    return RetentionRun(due=total, erased=erased, failed=failed, orphan_files=orphans)


ORPHAN_GRACE = timedelta(days=1)


def sweep_orphan_files(now: datetime | None = None) -> int:
    """Delete sealed files in storage that no attachment row refers to; returns how many.

    Such files are left when deleting failed after an erasure, or when a process died between storing a
    file and rolling back its transaction. Files younger than ORPHAN_GRACE are left alone: an upload stores
    its file before its transaction commits.
    """
    moment = now or timezone.now()
    try:
        _directories, names = default_storage.listdir(STORAGE_DIRECTORY)
    except (FileNotFoundError, NotImplementedError):
        return 0
    candidates = {f"{STORAGE_DIRECTORY}/{name}" for name in names}
    if not candidates:
        return 0
    known = set(Attachment.objects.filter(storage_name__in=candidates).values_list("storage_name", flat=True))
    removed = 0
    for name in sorted(candidates - known):
        try:
            if default_storage.get_modified_time(name) > moment - ORPHAN_GRACE:
                continue
            default_storage.delete(name)
        except (OSError, NotImplementedError):
            logger.exception("Could not remove the orphaned file %s", name)
            continue
        removed += 1
    return removed


def compact_database() -> bool:
    """On SQLite, copy the write-ahead log into the database file and empty it: until then it holds pages as
    they were before an erasure. Returns False when readers kept it from finishing (the next run tries
    again); True otherwise, also on other databases."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return True
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        row = cursor.fetchone()
    return row is None or not row[0]


@task(takes_context=True)
def erase_expired_reports(context: TaskContext) -> dict[str, int]:
    """The periodic retention task: erase closed reports whose retention period has passed."""

    def on_progress(done: int, total: int) -> None:
        progress.report(context, done, total, force=done == 0)

    return erase_expired(on_progress=on_progress).as_dict()


def describe_retention(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    erased = int(value.get("erased", 0))
    text = ngettext(
        "%(count)s report erased after its retention period",
        "%(count)s reports erased after their retention period",
        erased,
    ) % {"count": erased}
    failed = int(value.get("failed", 0))
    if failed:
        text += "; " + ngettext(
            "%(count)s could not be erased (see the log)",
            "%(count)s could not be erased (see the log)",
            failed,
        ) % {"count": failed}
    return text


registry.register(
    erase_expired_reports, gettext_lazy("Erase reports after their retention period"), describe_retention
)


# The organisation's policy -----------------------------------------------------------------------------------

POLICY_FIELDS = ("acknowledge_within_working_days", "retention_days_after_closure", "notify_by_email")


def change_policy(organisation: Any, actor: Any, **values: Any) -> tuple[OrganisationPolicy, list[str]]:
    """Set the organisation's report handling policy; returns the policy and the names of changed fields.

    `values` holds any of POLICY_FIELDS, already validated (the policy form does that). A new deadline
    applies to reports that come in from now on; a new retention period to every closed report, from the
    next run of the retention task. The audit event names each changed field with its old and new value.
    """
    unknown = set(values) - set(POLICY_FIELDS)
    if unknown:
        raise ValueError(f"not policy fields: {sorted(unknown)}")
    with transaction.atomic():
        policy = OrganisationPolicy.objects.select_for_update().filter(organisation=organisation).first()
        if policy is None:
            policy = OrganisationPolicy(organisation=organisation)
        changed = [name for name in POLICY_FIELDS if name in values and getattr(policy, name) != values[name]]
        if not changed:
            return policy, []
        before = {name: getattr(policy, name) for name in changed}
        for name in changed:
            setattr(policy, name, values[name])
        policy.full_clean()
        policy.save()
        details: dict[str, Any] = {"changed": list(changed)}
        details.update({name: [before[name], getattr(policy, name)] for name in changed})
        record(
            "meldpunt.policy_changed",
            actor=actor,
            target=policy,
            organisation=organisation,
            details=details,
        )
    return policy, changed
