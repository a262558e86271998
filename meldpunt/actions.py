"""Writing reports, messages and files: the report form, the receipt follow-up, the CLI and (later) the API
and the phone intake call these. Each change is audited in its own transaction, with ids, codes and field
names only; never with what the reporter wrote.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import keys
from accounts.permissions import granting_roles
from accounts.roles import Permission
from audit.chain import Detail, record
from meldpunt import attachments, notifications, routing, sealing, workdays
from meldpunt.models import Message, OrganisationPolicy, Party, Report, ReportKey
from meldpunt.vocabulary import ContactPreference, DatePrecision, InCare
from zorgveilig import crypto

logger = logging.getLogger(__name__)

IDENTITY_FIELDS = ("name", "employer", "role")
CONTACT_FIELDS = ("email", "phone")


@dataclass(frozen=True)
class Upload:
    """A file as it came from the form: the name the browser sent and the bytes."""

    name: str
    data: bytes


def handlers_of(organisation: Any) -> list[Any]:
    """Members of `organisation` whose role lets them handle cases (superusers only through a membership)."""
    return list(
        get_user_model()
        ._default_manager.filter(
            is_active=True,
            memberships__organisation=organisation,
            memberships__role__in=granting_roles(Permission.HANDLE_CASES),
        )
        .distinct()
        .order_by("pk")
    )


def _wrap_for_staff(report: Report, data_key: bytes) -> int:
    """Wrap the report key for every handler with a key pair and for the recovery key; returns how many."""
    handlers = handlers_of(report.organisation)
    public_keys = keys.public_keys_for(handlers)
    wrapped = [
        ReportKey(
            report=report,
            kind=ReportKey.Kind.HANDLER,
            user_id=user_id,
            wrapped_key=crypto.wrap_key(
                public_key, data_key, context=sealing.handler_key_context(report.pk, user_id)
            ),
        )
        for user_id, public_key in sorted(public_keys.items())
    ]
    recovery = keys.recovery_public_key(report.organisation)
    if recovery is not None:
        wrapped.append(
            ReportKey(
                report=report,
                kind=ReportKey.Kind.RECOVERY,
                wrapped_key=crypto.wrap_key(
                    recovery, data_key, context=sealing.recovery_key_context(report.pk)
                ),
            )
        )
    ReportKey.objects.bulk_create(wrapped)
    return len(wrapped)


def _checked_files(files: Sequence[Upload], *, already_stored: int = 0) -> list[attachments.CheckedFile]:
    try:
        return attachments.check_files(
            ((upload.name, upload.data) for upload in files), already_stored=already_stored
        )
    except ValidationError as error:
        raise ValidationError({"attachments": error.error_list}) from None


def _store_all(
    report: Report,
    data_key: bytes,
    checked: Sequence[attachments.CheckedFile],
    uploaded_by: Party,
    stored: list[Any],
) -> list[Any]:
    """Store the files, appending each to `stored` at once: the caller removes their bytes again when the
    transaction does not commit (the storage is not part of the database transaction)."""
    for upload in checked:
        stored.append(attachments.store(report, data_key, upload, uploaded_by))
    return stored


@dataclass(frozen=True)
class _ReceiptSecrets:
    """What the report stores about its receipt code, and the key derived from it (never stored)."""

    lookup: str
    salt: bytes
    key: bytes
    memory_kib: int
    iterations: int

    @classmethod
    def derive(cls, code: str) -> _ReceiptSecrets:
        salt = crypto.new_salt()
        memory_kib, iterations = settings.KDF_MEMORY_KIB, settings.KDF_ITERATIONS
        return cls(
            lookup=crypto.receipt_lookup_hash(code),
            salt=salt,
            key=sealing.derive_receipt_key(code, salt, memory_kib=memory_kib, iterations=iterations),
            memory_kib=memory_kib,
            iterations=iterations,
        )


def _occurred(cleaned: dict[str, Any]) -> tuple[date, str]:
    day = cleaned.get("occurred_day")
    month_start = date(int(cleaned["occurred_year"]), int(cleaned["occurred_month"]), 1)
    if day:
        return month_start.replace(day=int(day)), DatePrecision.DAY
    return month_start, DatePrecision.MONTH


def _text(cleaned: dict[str, Any], name: str) -> str:
    return str(cleaned.get(name) or "").strip()


def submit_report(
    cleaned: dict[str, Any],
    files: Sequence[Upload] = (),
    *,
    source: str = Report.Source.WEB,
    entered_by: Any = None,
) -> tuple[Report, str]:
    """Take a report from the form's cleaned data; returns the report and its receipt code.

    `source` says how it came in; for a phone intake `entered_by` is the staff member who typed it in (the
    audit names them; the report stays the caller's, with the receipt code handed over to them).

    The receipt code is returned once and stored nowhere: only its lookup hash, and the report key sealed
    with a key derived from it. Raises ValidationError when no organisation receives reports of this
    profession and sector (field "profession"), or when a file is refused (field "attachments").
    """
    organisation = routing.receiving_organisation(cleaned["profession"], cleaned["sector"])
    if organisation is None:
        raise ValidationError(
            {
                "profession": ValidationError(
                    _(
                        "No organisation receives reports for this profession and sector yet, so this report "
                        "cannot be taken. Please contact your professional association or employer directly."
                    ),
                    code="no_route",
                )
            }
        )
    checked = _checked_files(files)

    identity = {name: _text(cleaned, name) for name in IDENTITY_FIELDS if _text(cleaned, name)}
    contact = {name: _text(cleaned, name) for name in CONTACT_FIELDS if _text(cleaned, name)}
    code = crypto.new_receipt_code()
    data_key = crypto.new_data_key()
    # The two Argon2id derivations (a good part of a second at the production cost) happen before the
    # transaction: on SQLite the write lock is held for the whole transaction, and nothing here needs it.
    receipt = _ReceiptSecrets.derive(code)
    stored: list[Any] = []
    try:
        report = _create_report(
            cleaned, organisation, identity, contact, receipt, data_key, checked, stored, source, entered_by
        )
    except BaseException:
        attachments.discard(stored)
        raise
    return report, code


def _create_report(
    cleaned: dict[str, Any],
    organisation: Any,
    identity: dict[str, str],
    contact: dict[str, str],
    receipt: _ReceiptSecrets,
    data_key: bytes,
    checked: Sequence[attachments.CheckedFile],
    stored: list[Any],
    source: str,
    entered_by: Any,
) -> Report:
    occurred_on, precision = _occurred(cleaned)
    with transaction.atomic():
        report = Report.objects.create(
            organisation=organisation,
            kinds=sorted(cleaned["kinds"]),
            channel=cleaned["channel"],
            place=cleaned["place"],
            perpetrator=cleaned["perpetrator"],
            perpetrator_in_care=cleaned.get("perpetrator_in_care") or InCare.UNKNOWN,
            occurred_on=occurred_on,
            occurred_precision=precision,
            frequency=cleaned["frequency"],
            profession=cleaned["profession"],
            sector=cleaned["sector"],
            province=cleaned.get("province") or "",
            consequences=sorted(cleaned.get("consequences") or []),
            steps_taken=sorted(cleaned.get("steps_taken") or []),
            contact_preference=cleaned.get("contact_preference") or ContactPreference.RECEIPT_ONLY,
            is_anonymous=not (identity or contact),
            source=source,
            receipt_lookup=receipt.lookup,
            report_salt=receipt.salt,
            receipt_kdf_memory_kib=receipt.memory_kib,
            receipt_kdf_iterations=receipt.iterations,
        )
        policy = OrganisationPolicy.for_organisation(organisation)
        report.acknowledge_by = workdays.deadline_after(
            report.created_at, policy.acknowledge_within_working_days
        )
        report.sealed_narrative = sealing.seal_json(
            data_key,
            report.pk,
            sealing.NARRATIVE,
            {"text": _text(cleaned, "narrative"), "platform": _text(cleaned, "channel_platform")},
        )
        report.sealed_identity = sealing.seal_json(data_key, report.pk, sealing.IDENTITY, identity)
        report.sealed_contact = sealing.seal_json(data_key, report.pk, sealing.CONTACT, contact)
        report.save(update_fields=["acknowledge_by", "sealed_narrative", "sealed_identity", "sealed_contact"])

        ReportKey.objects.create(
            report=report,
            kind=ReportKey.Kind.RECEIPT,
            wrapped_key=crypto.seal(receipt.key, data_key, context=sealing.receipt_key_context(report.pk)),
        )
        staff_keys = _wrap_for_staff(report, data_key)
        _store_all(report, data_key, checked, Party.REPORTER, stored)
        # Which sealed fields hold something: names only, never what was written.
        platform = ["channel_platform"] if _text(cleaned, "channel_platform") else []
        sealed_fields: list[Detail] = [*sorted(["narrative", *identity, *contact, *platform])]
        record(
            "meldpunt.report_submitted",
            actor=entered_by,
            target=report,
            organisation=organisation,
            details={
                "is_anonymous": report.is_anonymous,
                "attachment_ids": [attachment.pk for attachment in stored],
                "staff_keys": staff_keys,
                "fields": sealed_fields,
                "source": str(source),
            },
        )
        transaction.on_commit(lambda: notifications.new_report(report))
        if staff_keys == 0:
            # Still accepted: the reporter gets in with the receipt code. Nobody at the organisation can read
            # it until someone has a key pair and the report key is wrapped for them (by a recovery step).
            logger.warning(
                "Report %s for organisation %s cannot be read by its staff: no handler has a key pair and "
                "there is no recovery key.",
                report.pk,
                organisation.pk,
            )
            record(
                "meldpunt.report_unreadable_by_staff",
                actor=None,
                target=report,
                organisation=organisation,
                details={"handlers_without_key": len(handlers_of(organisation))},
            )
    return report


def add_message(
    report: Report, data_key: bytes, body: str, *, author_kind: Party, author: Any = None
) -> Message:
    """A message on a report, sealed with the report key (reporters: author None, author_kind REPORTER)."""
    body = body.strip()
    if not body:
        raise ValidationError({"body": ValidationError(_("Write a message first."), code="required")})
    with transaction.atomic():
        message = Message.objects.create(
            report=report, author_kind=author_kind, author=author if author_kind == Party.HANDLER else None
        )
        message.sealed_body = crypto.seal(
            data_key, body.encode(), context=sealing.message_context(report.pk, message.pk)
        )
        message.save(update_fields=["sealed_body"])
        record(
            "meldpunt.message_added",
            actor=author,
            target=message,
            organisation=report.organisation,
            details={"report_id": report.pk, "author_kind": str(author_kind)},
        )
        if author_kind == Party.REPORTER:
            transaction.on_commit(lambda: notifications.reporter_wrote(report))
    return message


def add_files(
    report: Report, data_key: bytes, files: Sequence[Upload], *, uploaded_by: Party, actor: Any = None
) -> list[Any]:
    """Add files to a report after checking them; raises ValidationError (field "attachments")."""
    if not files:
        raise ValidationError(
            {"attachments": ValidationError(_("Choose at least one file."), code="required")}
        )
    stored: list[Any] = []
    try:
        with transaction.atomic():
            checked = _checked_files(files, already_stored=attachments.stored_size(report))
            _store_all(report, data_key, checked, uploaded_by, stored)
            record(
                "meldpunt.files_added",
                actor=actor,
                target=report,
                organisation=report.organisation,
                details={"attachment_ids": [a.pk for a in stored], "uploaded_by": str(uploaded_by)},
            )
            if uploaded_by == Party.REPORTER:
                transaction.on_commit(lambda: notifications.reporter_wrote(report))
    except BaseException:
        attachments.discard(stored)
        raise
    return stored


def mark_read_by_reporter(report: Report) -> int:
    """Handlers' messages the reporter has now seen."""
    return Message.objects.filter(report=report, author_kind=Party.HANDLER, read_at__isnull=True).update(
        read_at=timezone.now()
    )
