"""Evidence actions: adding files with their collection metadata, and recording custody.

The views, the API and other apps call these; every one leaves a custody event and an audit event.

For other apps (a field report, an incident):

    from evidence.actions import add_evidence, items_for

    item = add_evidence(
        actor,                      # the user adding it (request.user); None for the system
        organisation,               # whose evidence it is (accounts.models.Organisation)
        upload,                     # a seekable binary file object with a name: an UploadedFile from
                                    # request.FILES, a django File, or ContentFile(data, name="x.jpg")
        "photo",                    # evidence.models.Kind: photo, video, document, witness_statement,
                                    # web_capture
        {                           # collection metadata (keys as the fields of evidence.models.EvidenceItem)
            "collected_by": "A. Field",                 # required: who collected it (a name, not an account)
            "collected_at": timezone.now(),             # default now; not in the future
            "how": "recorded_on_scene",                 # evidence.models.How; default recorded_on_scene
            "tool_or_device": "Phone camera",           # optional
            "notes": "North wall of the clinic",        # optional
            # web captures: original_url, captured_at and capturer are required
        },
        target=field_report,        # optional: the saved object it documents (any model)
    )
    items_for(field_report)         # -> QuerySet of EvidenceItem documenting it, newest first

A statement typed on the spot rather than uploaded: `add_typed_statement(actor, organisation, witness=...,
statement=..., metadata, target=...)` stores it as a UTF-8 text file (a short header naming the witness, the
language, who took it and when, then the statement as typed) and hashes those bytes like any file.

`add_evidence` raises django.core.exceptions.ValidationError, with messages that name the field (metadata)
or the file (its type, size or content), and then nothing is stored. Whether the actor may add evidence to
the organisation is the caller's check (evidence.access.may_add); a target that has an `organisation_id`
must belong to the same organisation. The template `evidence/attach.html` gives a page an upload form for
a target: `{% include "evidence/attach.html" with target=field_report %}`.

Custody: `record_view` (a file was opened or downloaded) and `record_transfer` (an item, or its physical
original, was handed to someone); exporting is recorded by evidence.bundle.build_bundle. Each custody event is
a row (CustodyEvent) and an audit event (`evidence.collected`, `evidence.viewed`, `evidence.exported`,
`evidence.transferred`) holding the item's SHA-256 and the SHA-256 of the reason and recipient, never their
text: the audit log holds no free text, and the hashes let a bundle's custody log prove its reasons.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation
from audit.chain import record
from evidence import store
from evidence.filetypes import Refusal
from evidence.models import Bundle, CustodyEvent, EvidenceItem, How, Kind

METADATA_FIELDS = (
    "collected_by",
    "collected_at",
    "how",
    "original_url",
    "captured_at",
    "capturer",
    "tool_or_device",
    "notes",
)
WEB_CAPTURE_REQUIRED = ("original_url", "captured_at", "capturer")
# Clocks of phones and servers differ a little; a time further ahead than this is a mistake.
CLOCK_SLACK = timedelta(minutes=10)


def _text_hash(text: str) -> str | None:
    return hashlib.sha256(text.encode("utf-8")).hexdigest() if text else None


def display_name(name: str) -> str:
    """The last part of a file name as the browser sent it, without control characters, at most 200 long."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(char for char in name if char.isprintable()).strip()[:200]


# Metadata ---------------------------------------------------------------------------------------------------


def _check_metadata(kind: str, metadata: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(metadata) - set(METADATA_FIELDS))
    if unknown:
        raise ValidationError(
            _("Unknown metadata: %(names)s. Known are: %(known)s.")
            % {"names": ", ".join(unknown), "known": ", ".join(METADATA_FIELDS)},
            code="unknown_metadata",
        )
    if kind not in Kind.values:
        raise ValidationError(
            {
                "kind": _("Unknown kind of evidence: choose one of %(kinds)s.")
                % {"kinds": ", ".join(Kind.values)}
            }
        )
    values: dict[str, Any] = {
        name: (value.strip() if isinstance(value, str) else value)
        for name, value in metadata.items()
        if value is not None
    }
    values.setdefault("collected_at", timezone.now())
    values.setdefault("how", How.CAPTURED_ONLINE if kind == Kind.WEB_CAPTURE else How.RECORDED_ON_SCENE)
    errors: dict[str, list[str]] = {}
    if kind == Kind.WEB_CAPTURE:
        for name in WEB_CAPTURE_REQUIRED:
            if not values.get(name):
                errors.setdefault(name, []).append(_("A web capture needs this."))
    latest = timezone.now() + CLOCK_SLACK
    for name in ("collected_at", "captured_at"):
        moment = values.get(name)
        if isinstance(moment, datetime) and moment > latest:
            errors.setdefault(name, []).append(_("This time is in the future."))
    if errors:
        raise ValidationError(errors)
    return values


def _validated_item(
    organisation: Organisation, kind: str, values: dict[str, Any], actor: Any, target: models.Model | None
) -> EvidenceItem:
    """An unsaved item with the metadata, checked by the model's own field rules (choices, lengths, URL)."""
    item = EvidenceItem(organisation=organisation, kind=kind, **values)
    item.added_by = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    if target is not None:
        if target.pk is None:
            raise ValidationError({"target": _("The object this evidence documents is not saved yet.")})
        target_organisation = getattr(target, "organisation_id", None)
        if target_organisation is not None and target_organisation != organisation.pk:
            raise ValidationError(
                {"target": _("The object this evidence documents belongs to another organisation.")}
            )
        item.target_type = ContentType.objects.get_for_model(target)
        item.target_id = str(target.pk)
    item.full_clean(exclude=["sha256", "size", "content_type", "original_filename"])
    return item


# Adding -----------------------------------------------------------------------------------------------------


def _record_collected(actor: Any, item: EvidenceItem, stored: store.StoredFile) -> CustodyEvent:
    details: dict[str, Any] = {
        "kind": item.kind,
        "size": item.size,
        "content_type": item.content_type,
        "stored": "new" if stored.created else "existing",
    }
    if item.target_type is not None:
        details["target"] = f"{item.target_type.app_label}.{item.target_type.model}:{item.target_id}"
    return _custody(CustodyEvent.Kind.COLLECTED, actor, item, extra=details)


def add_many(
    actor: Any,
    organisation: Organisation,
    uploads: Sequence[Any],
    kind: str,
    metadata: Mapping[str, Any],
    target: models.Model | None = None,
) -> list[EvidenceItem]:
    """Add several files with the same metadata: all of them, or (with every problem named) none."""
    if not uploads:
        raise ValidationError({"uploads": _("Choose at least one file.")}, code="required")
    values = _check_metadata(kind, metadata)
    _validated_item(organisation, kind, values, actor, target)
    stored: list[tuple[str, store.StoredFile]] = []
    problems: list[ValidationError] = []
    for upload in uploads:
        name = display_name(getattr(upload, "name", "") or "")
        try:
            stored.append((name, store.put(name or _("(no name)"), upload, kind)))
        except Refusal as refusal:
            problems.append(refusal)
    try:
        if problems:
            raise ValidationError({"uploads": problems})
        with transaction.atomic():
            items = []
            for name, stored_file in stored:
                item = _validated_item(organisation, kind, values, actor, target)
                item.sha256 = stored_file.sha256
                item.size = stored_file.size
                item.content_type = stored_file.file_type.content_type
                item.original_filename = name
                item.save()
                _record_collected(actor, item, stored_file)
                items.append(item)
        return items
    except BaseException:
        _discard_unreferenced(stored)
        raise


def _discard_unreferenced(stored: Sequence[tuple[str, store.StoredFile]]) -> None:
    """Remove files this call added to the store, when nothing ended up referring to them."""
    for _name, stored_file in stored:
        if stored_file.created and not EvidenceItem.objects.filter(sha256=stored_file.sha256).exists():
            store.discard(stored_file.sha256)


def add_evidence(
    actor: Any,
    organisation: Organisation,
    upload: Any,
    kind: str,
    metadata: Mapping[str, Any],
    target: models.Model | None = None,
) -> EvidenceItem:
    """Store one file as evidence of `organisation`, with its collection metadata; see the module's text."""
    return add_many(actor, organisation, [upload], kind, metadata, target)[0]


STATEMENT_MAX_CHARACTERS = 100_000


def statement_text(*, witness: str, language: str, statement: str, taken_by: str, taken_at: datetime) -> str:
    """The text file of a typed statement: a header, then the statement with its line ends made \\n. The
    header's words are in the language of the page it was typed on; the hash is of exactly this text."""
    body = statement.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    moment = timezone.localtime(taken_at)
    header = [
        _("Witness statement"),
        _("Witness: %(witness)s") % {"witness": witness.strip()},
    ]
    if language.strip():
        header.append(_("Language: %(language)s") % {"language": language.strip()})
    header += [
        _("Taken by: %(name)s") % {"name": taken_by.strip()},
        _("Taken at: %(moment)s (%(zone)s)")
        % {"moment": moment.strftime("%Y-%m-%d %H:%M"), "zone": timezone.get_current_timezone_name()},
    ]
    return "\n".join(header) + "\n\n" + body + "\n"


def add_typed_statement(
    actor: Any,
    organisation: Organisation,
    *,
    witness: str,
    statement: str,
    metadata: Mapping[str, Any],
    language: str = "",
    target: models.Model | None = None,
) -> EvidenceItem:
    """A witness statement typed on the spot, stored as a text file (`statement_text`) with the collection
    metadata (`how` defaults to statement_taken). ValidationError names the field: the witness or the
    statement missing or too long, or what `add_evidence` finds wrong."""
    errors: dict[str, list[str]] = {}
    if not witness.strip():
        errors["witness"] = [_("Say who gave the statement, or describe them if they asked not to be named.")]
    if not statement.strip():
        errors["statement"] = [_("Type the statement.")]
    elif len(statement) > STATEMENT_MAX_CHARACTERS:
        errors["statement"] = [
            _("A statement can be at most %(limit)s characters long; add a longer one as a file.")
            % {"limit": f"{STATEMENT_MAX_CHARACTERS:,}"}
        ]
    values = dict(metadata)
    values.setdefault("how", How.STATEMENT_TAKEN)
    values.setdefault("collected_at", timezone.now())
    if not str(values.get("collected_by") or "").strip():
        errors["collected_by"] = [_("Say who took the statement.")]
    if errors:
        raise ValidationError(errors)
    moment = values["collected_at"]
    text = statement_text(
        witness=witness,
        language=language,
        statement=statement,
        taken_by=str(values["collected_by"]),
        taken_at=moment,
    )
    name = f"witness-statement-{timezone.localtime(moment):%Y-%m-%d-%H%M}.txt"
    upload = ContentFile(text.encode("utf-8"), name=name)
    try:
        return add_evidence(actor, organisation, upload, Kind.WITNESS_STATEMENT, values, target)
    except ValidationError as error:
        # A refused "file" here is the typed text: say so on the statement, not on a file field.
        if hasattr(error, "error_dict") and "uploads" in error.error_dict:
            error.error_dict["statement"] = error.error_dict.pop("uploads")
        raise


def items_for(target: models.Model) -> QuerySet[EvidenceItem]:
    """The evidence documenting `target`, newest first."""
    return EvidenceItem.objects.filter(
        target_type=ContentType.objects.get_for_model(target), target_id=str(target.pk)
    ).order_by("-added_at", "-pk")


# Custody ----------------------------------------------------------------------------------------------------


def _custody(
    kind: str,
    actor: Any,
    item: EvidenceItem,
    *,
    reason: str = "",
    recipient: str = "",
    bundle: Bundle | None = None,
    extra: dict[str, Any] | None = None,
) -> CustodyEvent:
    details: dict[str, Any] = {
        "custody": str(kind),
        "sha256": item.sha256,
        "reason_sha256": _text_hash(reason),
        "recipient_sha256": _text_hash(recipient),
        "bundle": str(bundle.pk) if bundle is not None else None,
        **(extra or {}),
    }
    with transaction.atomic():
        event = record(
            f"evidence.{kind}", actor=actor, target=item, organisation=item.organisation, details=details
        )
        return CustodyEvent.objects.create(
            item=item,
            kind=kind,
            occurred_at=event.occurred_at,
            actor=actor if event.actor_id is not None else None,
            actor_label=event.actor_label,
            reason=reason,
            recipient=recipient,
            bundle=bundle,
            audit_event=event,
        )


def record_view(actor: Any, item: EvidenceItem, reason: str = "") -> CustodyEvent:
    """Someone opened or downloaded the item's file."""
    return _custody(CustodyEvent.Kind.VIEWED, actor, item, reason=reason.strip())


def record_transfer(actor: Any, item: EvidenceItem, recipient: str, reason: str) -> CustodyEvent:
    """The item (or its physical original) was handed to `recipient`, for `reason`."""
    recipient, reason = recipient.strip(), reason.strip()
    errors = {}
    if not recipient:
        errors["recipient"] = _("Say to whom the evidence was handed over.")
    if not reason:
        errors["reason"] = _("Say why the evidence was handed over.")
    if errors:
        raise ValidationError(errors)
    return _custody(CustodyEvent.Kind.TRANSFERRED, actor, item, reason=reason, recipient=recipient)


def record_export(actor: Any, item: EvidenceItem, bundle: Bundle, reason: str) -> CustodyEvent:
    """The item left in `bundle` (called by evidence.bundle.build_bundle, inside its transaction)."""
    return _custody(CustodyEvent.Kind.EXPORTED, actor, item, reason=reason, bundle=bundle)
