"""The report key and what is sealed with it: one context per report and field, so a sealed value cannot be
moved to another report or another field without failing to open.

The case-handling side uses the same contexts to unwrap its copy of the key (handler_key_context,
recovery_key_context) and to open what the reporter wrote.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from meldpunt.models import Attachment, Message, Report, ReportKey
from zorgveilig import crypto

RECEIPT_KEY_PURPOSE = "receipt-report-key"

NARRATIVE = "narrative"
IDENTITY = "identity"
CONTACT = "contact"


def field_context(report_id: int, name: str) -> str:
    return f"report:{report_id}:{name}"


def message_context(report_id: int, message_id: int) -> str:
    return f"report:{report_id}:message:{message_id}"


def attachment_context(report_id: int, file_id: str) -> str:
    return f"report:{report_id}:attachment:{file_id}"


def attachment_name_context(report_id: int, file_id: str) -> str:
    return f"report:{report_id}:attachment-name:{file_id}"


def handler_key_context(report_id: int, user_id: int) -> str:
    return f"report:{report_id}:handler-key:{user_id}"


def recovery_key_context(report_id: int) -> str:
    return f"report:{report_id}:recovery-key"


def receipt_key_context(report_id: int) -> str:
    return f"report:{report_id}:receipt-key"


def seal_json(key: bytes, report_id: int, name: str, value: dict[str, Any]) -> bytes:
    plaintext = json.dumps(value, ensure_ascii=False, sort_keys=True).encode()
    return crypto.seal(key, plaintext, context=field_context(report_id, name))


def open_json(key: bytes, report_id: int, name: str, blob: bytes) -> dict[str, Any]:
    if not blob:
        return {}
    value = json.loads(crypto.open_sealed(key, bytes(blob), context=field_context(report_id, name)))
    return value if isinstance(value, dict) else {}


def derive_receipt_key(code: str, salt: bytes, *, memory_kib: int, iterations: int) -> bytes:
    return crypto.derive_key(
        code, salt, purpose=RECEIPT_KEY_PURPOSE, memory_kib=memory_kib, iterations=iterations
    )


def receipt_key(code: str, report: Report) -> bytes:
    return derive_receipt_key(
        code,
        bytes(report.report_salt),
        memory_kib=report.receipt_kdf_memory_kib,
        iterations=report.receipt_kdf_iterations,
    )


def unlock_with_receipt(report: Report, code: str) -> bytes | None:
    """The report key, opened with the key derived from the receipt code; None when the code does not fit."""
    wrapped = ReportKey.objects.filter(report=report, kind=ReportKey.Kind.RECEIPT).first()
    if wrapped is None:
        return None
    try:
        return crypto.open_sealed(
            receipt_key(code, report), bytes(wrapped.wrapped_key), context=receipt_key_context(report.pk)
        )
    except crypto.DecryptionError:
        return None


@dataclass(frozen=True)
class ReportContent:
    """What was sealed in a report, opened for someone holding its key."""

    narrative: str = ""
    platform: str = ""
    identity: dict[str, str] = field(default_factory=dict)
    contact: dict[str, str] = field(default_factory=dict)


def open_report(key: bytes, report: Report) -> ReportContent:
    narrative = open_json(key, report.pk, NARRATIVE, bytes(report.sealed_narrative))
    return ReportContent(
        narrative=str(narrative.get("text", "")),
        platform=str(narrative.get("platform", "")),
        identity=open_json(key, report.pk, IDENTITY, bytes(report.sealed_identity)),
        contact=open_json(key, report.pk, CONTACT, bytes(report.sealed_contact)),
    )


def open_message(key: bytes, message: Message) -> str:
    return crypto.open_sealed(
        key, bytes(message.sealed_body), context=message_context(message.report_id, message.pk)
    ).decode()


def open_attachment_name(key: bytes, attachment: Attachment) -> str:
    return crypto.open_sealed(
        key,
        bytes(attachment.sealed_filename),
        context=attachment_name_context(attachment.report_id, attachment.file_id),
    ).decode()
