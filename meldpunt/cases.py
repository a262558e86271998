"""Handling a report as a case: the queue, states, assignment, internal notes, replies and referrals.

The web pages, the API and the CLI call these functions; they check nothing about who is asking beyond
what is passed in, except `case_for`, which is how every caller gets a case: it raises Http404 for anyone
who may not handle cases in the report's organisation, so a handler of another organisation cannot even
learn that the case exists.

Every change carries the version of the case the handler was looking at. When another handler changed the
case in between, the change is refused with StaleCase instead of silently overwriting theirs (optimistic
concurrency: `Report.version` grows with each change). Messages and notes only add, so they need no version.

Reading a case needs the report key, which only exists wrapped for each handler's public key: callers pass
the handler's private key (from the web session, or opened with an API token) to `report_key_for`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import keys
from accounts.permissions import has_permission, organisations_with
from accounts.roles import Permission
from audit.chain import record
from meldpunt import actions, notifications, sealing
from meldpunt.models import (
    InternalNote,
    Message,
    Party,
    Referral,
    Report,
    ReportKey,
    StatusChange,
)
from meldpunt.vocabulary import Outcome, ReferralKind, ReferralStatus, VptCode
from zorgveilig import crypto

Status = Report.Status

# Where a case may go from each state. Closing needs an outcome; a closed case only comes back by reopening.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.IN_TRIAGE, Status.IN_PROGRESS, Status.REFERRED, Status.CLOSED}),
    Status.IN_TRIAGE: frozenset({Status.IN_PROGRESS, Status.REFERRED, Status.CLOSED}),
    Status.IN_PROGRESS: frozenset({Status.IN_TRIAGE, Status.REFERRED, Status.CLOSED}),
    Status.REFERRED: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}
POLICE_REFERRALS = frozenset({ReferralKind.POLICE_MELDING, ReferralKind.POLICE_AANGIFTE})
NOTE_CONTEXT = "note"
REFERRAL_CONTEXT = "referral-note"


class StaleCase(Exception):
    """The case changed since the handler loaded it; they should look again before changing it."""

    def __init__(self, report: Report) -> None:
        self.report = report
        super().__init__(
            _(
                "Someone else changed this case while you were looking at it. Your change was not saved: "
                "look at the case as it is now and make your change again if it still applies."
            )
        )


class NoKey(Exception):
    """The handler cannot open this report: the report key was never wrapped for them, or their key is
    not unlocked in this session. A colleague who can read the case can give them access."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "You cannot read this case yet: its key has not been shared with you. A colleague who can "
                "read it can give you access, or an administrator with the recovery key."
            )
        )


# Finding cases -----------------------------------------------------------------------------------------------


def cases_for(user: Any) -> QuerySet[Report]:
    """The reports `user` may handle: those of organisations where they hold HANDLE_CASES, not erased."""
    organisations = organisations_with(user, Permission.HANDLE_CASES)
    return (
        Report.objects.filter(organisation__in=organisations, erased_at__isnull=True)
        .select_related("organisation", "assigned_to")
        .order_by("-created_at", "-pk")
    )


def queue_for(
    user: Any,
    *,
    status: str = "",
    organisation: Any = None,
    assigned: str = "",
    overdue: bool = False,
) -> QuerySet[Report]:
    """The queue, filtered. `assigned` is "me", "nobody" or "" (everyone); without a status, the open cases."""
    reports = cases_for(user)
    reports = reports.filter(status=status) if status else reports.exclude(status=Status.CLOSED)
    if organisation is not None:
        reports = reports.filter(organisation=organisation)
    if assigned == "me":
        reports = reports.filter(assigned_to=user)
    elif assigned == "nobody":
        reports = reports.filter(assigned_to__isnull=True)
    if overdue:
        reports = reports.filter(status=Status.NEW, acknowledge_by__lt=timezone.now())
    return reports


def case_for(user: Any, report_id: int | str) -> Report:
    """The report when `user` may handle cases in its organisation; Http404 otherwise (also when erased)."""
    try:
        number = int(report_id)
    except (TypeError, ValueError):
        raise Http404("No such case.") from None
    report = (
        Report.objects.select_related("organisation", "assigned_to")
        .filter(pk=number, erased_at__isnull=True)
        .first()
    )
    if report is None or not has_permission(user, Permission.HANDLE_CASES, report.organisation):
        raise Http404("No such case.")
    return report


def is_overdue(report: Report, now: Any = None) -> bool:
    moment = now or timezone.now()
    return (
        report.status == Status.NEW and report.acknowledge_by is not None and report.acknowledge_by < moment
    )


def record_view(user: Any, report: Report, what: str = "case") -> None:
    """Every look at a case leaves an audit event: who, which case, what part (the case, a file, an export)."""
    record(
        "meldpunt.case_viewed",
        actor=user,
        target=report,
        organisation=report.organisation,
        details={"view": what},
    )


# Keys --------------------------------------------------------------------------------------------------------


def report_key_for(user: Any, private_key: bytes | None, report: Report) -> bytes:
    """The report key for `user`, unwrapped with their private key; NoKey when that is not possible."""
    if private_key is None:
        raise NoKey
    wrapped = (
        ReportKey.objects.filter(report=report, kind=ReportKey.Kind.HANDLER, user=user)
        .values_list("wrapped_key", flat=True)
        .first()
    )
    if wrapped is None:
        raise NoKey
    try:
        return crypto.unwrap_key(
            private_key, bytes(wrapped), context=sealing.handler_key_context(report.pk, user.pk)
        )
    except crypto.DecryptionError:
        raise NoKey from None


def can_read(user: Any, report: Report) -> bool:
    return ReportKey.objects.filter(report=report, kind=ReportKey.Kind.HANDLER, user=user).exists()


def share_key(report: Report, data_key: bytes, colleague: Any, *, actor: Any) -> bool:
    """Wrap the report key for a colleague who handles cases in the report's organisation.

    Returns False when they already have it. ValidationError when they may not handle this organisation's
    cases or have never logged in (so have no key pair yet).
    """
    if not has_permission(colleague, Permission.HANDLE_CASES, report.organisation):
        raise ValidationError(
            {"assignee": ValidationError(_("This person does not handle cases here."), code="not_handler")}
        )
    if can_read(colleague, report):
        return False
    public_key = keys.public_keys_for([colleague]).get(colleague.pk)
    if public_key is None:
        raise ValidationError(
            {
                "assignee": ValidationError(
                    _(
                        "%(name)s has not logged in since getting the case handler role, so there is no key "
                        "to share this case with yet. Ask them to log in once."
                    )
                    % {"name": colleague.get_username()},
                    code="no_key_pair",
                )
            }
        )
    with transaction.atomic():
        ReportKey.objects.create(
            report=report,
            kind=ReportKey.Kind.HANDLER,
            user=colleague,
            wrapped_key=crypto.wrap_key(
                public_key, data_key, context=sealing.handler_key_context(report.pk, colleague.pk)
            ),
        )
        record(
            "meldpunt.case_key_shared",
            actor=actor,
            target=report,
            organisation=report.organisation,
            details={"with_user_id": colleague.pk},
        )
    return True


# Changing a case ---------------------------------------------------------------------------------------------


def _still_at(report: Report, expected_version: int) -> None:
    """StaleCase before anything else when the caller's version is already outdated: otherwise a change
    based on an older state would be judged against the current one (and refused as, say, "already has
    this status") instead of being reported as outdated. `_bump` still guards the write itself."""
    if report.version != expected_version:
        report.refresh_from_db()
        raise StaleCase(report)


def _bump(report: Report, expected_version: int, **changes: Any) -> None:
    """Apply `changes` only if the case is still at `expected_version`; StaleCase otherwise."""
    updated = Report.objects.filter(pk=report.pk, version=expected_version, erased_at__isnull=True).update(
        version=F("version") + 1, **changes
    )
    if updated != 1:
        report.refresh_from_db()
        raise StaleCase(report)
    report.refresh_from_db()


def change_status(
    report: Report, user: Any, to_status: str, *, expected_version: int, outcome: str = ""
) -> Report:
    """Move the case to `to_status`. Closing needs an outcome; reopening goes through `reopen`."""
    if to_status not in Status.values:
        raise ValidationError(
            {
                "status": ValidationError(
                    _("Unknown status: %(status)s") % {"status": to_status}, code="invalid"
                )
            }
        )
    _still_at(report, expected_version)
    from_status = report.status
    if to_status == from_status:
        raise ValidationError(
            {"status": ValidationError(_("The case already has this status."), code="unchanged")}
        )
    if to_status not in TRANSITIONS[from_status]:
        raise ValidationError(
            {
                "status": ValidationError(
                    _("A case that is “%(from)s” cannot become “%(to)s”.")
                    % {"from": Status(from_status).label, "to": Status(to_status).label},
                    code="not_allowed",
                )
            }
        )
    changes: dict[str, Any] = {"status": to_status}
    if to_status == Status.CLOSED:
        if outcome not in Outcome.values:
            raise ValidationError(
                {
                    "outcome": ValidationError(
                        _("Choose the outcome of the case to close it."), code="required"
                    )
                }
            )
        changes.update(outcome=outcome, closed_at=timezone.now())
    if from_status == Status.NEW and report.acknowledged_at is None:
        changes["acknowledged_at"] = timezone.now()
    with transaction.atomic():
        _bump(report, expected_version, **changes)
        StatusChange.objects.create(
            report=report, from_status=from_status, to_status=to_status, changed_by=user
        )
        details: dict[str, Any] = {"from": from_status, "to": to_status}
        if outcome and to_status == Status.CLOSED:
            details["outcome"] = outcome
        record(
            "meldpunt.case_status_changed",
            actor=user,
            target=report,
            organisation=report.organisation,
            details=details,
        )
    return report


def close(report: Report, user: Any, *, outcome: str, expected_version: int) -> Report:
    return change_status(report, user, Status.CLOSED, expected_version=expected_version, outcome=outcome)


def reopen(report: Report, user: Any, *, expected_version: int) -> Report:
    """A closed case back to "in progress"; its outcome and closing time are cleared."""
    _still_at(report, expected_version)
    if report.status != Status.CLOSED:
        raise ValidationError(
            {"status": ValidationError(_("Only a closed case can be reopened."), code="not_closed")}
        )
    with transaction.atomic():
        _bump(report, expected_version, status=Status.IN_PROGRESS, outcome="", closed_at=None)
        StatusChange.objects.create(
            report=report, from_status=Status.CLOSED, to_status=Status.IN_PROGRESS, changed_by=user
        )
        record(
            "meldpunt.case_reopened",
            actor=user,
            target=report,
            organisation=report.organisation,
            details={"from": Status.CLOSED.value, "to": Status.IN_PROGRESS.value},
        )
    return report


def assign(
    report: Report, user: Any, assignee: Any, *, expected_version: int, data_key: bytes | None = None
) -> Report:
    """Give the case to `assignee` (None: to nobody). When the assignee cannot read the case yet and the
    assigning handler can (`data_key`), the report key is shared with them in the same step."""
    _still_at(report, expected_version)
    if assignee is not None:
        if not has_permission(assignee, Permission.HANDLE_CASES, report.organisation):
            raise ValidationError(
                {
                    "assignee": ValidationError(
                        _("This person does not handle cases here."), code="not_handler"
                    )
                }
            )
        if not can_read(assignee, report) and data_key is None:
            raise ValidationError({"assignee": NoKey().args[0]})
    with transaction.atomic():
        if assignee is not None and data_key is not None:
            share_key(report, data_key, assignee, actor=user)
        _bump(report, expected_version, assigned_to=assignee)
        record(
            "meldpunt.case_assigned",
            actor=user,
            target=report,
            organisation=report.organisation,
            details={"assignee_id": assignee.pk if assignee is not None else None},
        )
        if assignee is not None and assignee != user:
            transaction.on_commit(lambda: notifications.assigned(report, assignee))
    return report


def reply(report: Report, user: Any, data_key: bytes, body: str) -> Message:
    """A message to the reporter, who reads it with the receipt code. Replying to a new case acknowledges it."""
    if report.status == Status.CLOSED:
        raise ValidationError(
            {"body": ValidationError(_("Reopen the case before writing to the reporter."), code="closed")}
        )
    with transaction.atomic():
        message = actions.add_message(report, data_key, body, author_kind=Party.HANDLER, author=user)
        if report.acknowledged_at is None:
            Report.objects.filter(pk=report.pk, acknowledged_at__isnull=True).update(
                acknowledged_at=timezone.now()
            )
            report.refresh_from_db(fields=["acknowledged_at"])
    return message


def add_note(report: Report, user: Any, data_key: bytes, body: str) -> InternalNote:
    """An internal note for the organisation's handlers; never shown to the reporter or in their export."""
    body = body.strip()
    if not body:
        raise ValidationError({"note": ValidationError(_("Write the note first."), code="required")})
    with transaction.atomic():
        note = InternalNote.objects.create(report=report, author=user)
        note.sealed_body = crypto.seal(data_key, body.encode(), context=_note_context(report.pk, note.pk))
        note.save(update_fields=["sealed_body"])
        record(
            "meldpunt.note_added",
            actor=user,
            target=note,
            organisation=report.organisation,
            details={"report_id": report.pk},
        )
    return note


def add_referral(
    report: Report,
    user: Any,
    data_key: bytes,
    *,
    kind: str,
    referred_on: date,
    status: str = ReferralStatus.PLANNED,
    vpt_code: str = "",
    note: str = "",
) -> Referral:
    """Record a referral. For the police (melding or aangifte) whether the VPT code was asked for must be given."""
    errors: dict[str, str] = {}
    if kind not in ReferralKind.values:
        errors["kind"] = _("Choose where the case was referred to.")
    if status not in ReferralStatus.values:
        errors["status"] = _("Choose the status of the referral.")
    if kind in POLICE_REFERRALS:
        if vpt_code not in VptCode.values:
            errors["vpt_code"] = _(
                "Say whether the police were asked to register the VPT code (violence against a worker "
                "with a public task)."
            )
    elif vpt_code:
        errors["vpt_code"] = _("The VPT code only applies to police referrals.")
    if referred_on > timezone.localdate():
        errors["referred_on"] = _("The date cannot be in the future.")
    if errors:
        raise ValidationError(
            {name: ValidationError(message, code="invalid") for name, message in errors.items()}
        )
    with transaction.atomic():
        referral = Referral.objects.create(
            report=report,
            kind=kind,
            status=status,
            vpt_code=vpt_code if kind in POLICE_REFERRALS else "",
            referred_on=referred_on,
            created_by=user,
        )
        if note.strip():
            referral.sealed_note = crypto.seal(
                data_key, note.strip().encode(), context=_referral_context(report.pk, referral.pk)
            )
            referral.save(update_fields=["sealed_note"])
        record(
            "meldpunt.referral_added",
            actor=user,
            target=referral,
            organisation=report.organisation,
            details={"report_id": report.pk, "kind": kind, "status": status, "vpt_code": referral.vpt_code},
        )
    return referral


def set_referral_status(referral: Referral, user: Any, status: str) -> Referral:
    if status not in ReferralStatus.values:
        raise ValidationError(
            {"status": ValidationError(_("Choose the status of the referral."), code="invalid")}
        )
    with transaction.atomic():
        previous = referral.status
        referral.status = status
        referral.save(update_fields=["status"])
        record(
            "meldpunt.referral_updated",
            actor=user,
            target=referral,
            organisation=referral.report.organisation,
            details={"report_id": referral.report_id, "from": previous, "to": status},
        )
    return referral


# Reading a case ----------------------------------------------------------------------------------------------


def _note_context(report_id: int, note_id: int) -> str:
    return f"report:{report_id}:{NOTE_CONTEXT}:{note_id}"


def _referral_context(report_id: int, referral_id: int) -> str:
    return f"report:{report_id}:{REFERRAL_CONTEXT}:{referral_id}"


def open_note(data_key: bytes, note: InternalNote) -> str:
    return crypto.open_sealed(
        data_key, bytes(note.sealed_body), context=_note_context(note.report_id, note.pk)
    ).decode()


def open_referral_note(data_key: bytes, referral: Referral) -> str:
    if not bytes(referral.sealed_note):
        return ""
    return crypto.open_sealed(
        data_key, bytes(referral.sealed_note), context=_referral_context(referral.report_id, referral.pk)
    ).decode()


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened on a case, for the case page and the API, oldest first."""

    kind: str  # "message", "note", "status", "referral", "file"
    at: Any
    party: str  # "reporter" or "handler"
    author: str
    text: str = ""
    item: Any = None


def timeline(report: Report, data_key: bytes) -> list[TimelineEntry]:
    """Messages, internal notes, status changes, referrals and files of the case, opened and in order."""
    entries: list[TimelineEntry] = []
    for message in report.messages.select_related("author"):
        entries.append(
            TimelineEntry(
                "message",
                message.created_at,
                message.author_kind,
                message.author.get_username() if message.author else "",
                sealing.open_message(data_key, message),
                message,
            )
        )
    for note in report.internal_notes.select_related("author"):
        entries.append(
            TimelineEntry(
                "note",
                note.created_at,
                Party.HANDLER,
                _username(note.author),
                open_note(data_key, note),
                note,
            )
        )
    for change in report.status_changes.select_related("changed_by"):
        entries.append(
            TimelineEntry(
                "status", change.changed_at, Party.HANDLER, _username(change.changed_by), "", change
            )
        )
    for referral in report.referrals.select_related("created_by"):
        entries.append(
            TimelineEntry(
                "referral",
                referral.created_at,
                Party.HANDLER,
                _username(referral.created_by),
                open_referral_note(data_key, referral),
                referral,
            )
        )
    for attachment in report.attachments.all():
        entries.append(
            TimelineEntry(
                "file",
                attachment.created_at,
                attachment.uploaded_by,
                "",
                sealing.open_attachment_name(data_key, attachment),
                attachment,
            )
        )
    entries.sort(key=lambda entry: (entry.at, entry.kind))
    return entries


def _username(user: Any) -> str:
    return user.get_username() if user is not None else ""


def with_unread_counts(reports: QuerySet[Report]) -> QuerySet[Report]:
    """`reports` annotated with `unread`: what `unread_from_reporter` counts, for a whole page in one query."""
    last_handler = (
        Message.objects.filter(report=OuterRef("pk"), author_kind=Party.HANDLER)
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    return reports.annotate(last_handler_at=Subquery(last_handler)).annotate(
        unread=Count(
            "messages",
            filter=Q(messages__author_kind=Party.REPORTER)
            & (Q(last_handler_at__isnull=True) | Q(messages__created_at__gt=F("last_handler_at"))),
        )
    )


def unread_from_reporter(report: Report) -> int:
    """Reporter messages newer than the last handler message: a hint in the queue, not a read receipt."""
    last_handler = (
        Message.objects.filter(report=report, author_kind=Party.HANDLER)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    messages = Message.objects.filter(report=report, author_kind=Party.REPORTER)
    if last_handler is not None:
        messages = messages.filter(Q(created_at__gt=last_handler))
    return messages.count()
