"""What the reporter sees and takes home (AVG: the reporter's own export from the receipt login).

The reporter sees their report, its status, the messages and the list of files with their SHA-256. Handlers'
internal notes (once case handling exists) are never part of this.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.chain import record
from meldpunt import attachments, sealing
from meldpunt.models import Attachment, Message, Party, Report
from meldpunt.vocabulary import (
    Channel,
    Consequence,
    ContactPreference,
    DatePrecision,
    Frequency,
    InCare,
    Kind,
    Perpetrator,
    Place,
    Profession,
    Province,
    Sector,
    StepTaken,
)


def _labels(choices: Any, codes: list[str]) -> list[str]:
    labels = dict(choices.choices)
    return [str(labels.get(code, code)) for code in codes]


def _label(choices: Any, code: str) -> str:
    return str(dict(choices.choices).get(code, code)) if code else ""


def _messages(report: Report, key: bytes) -> list[dict[str, Any]]:
    return [
        {
            "from": message.author_kind,
            "from_label": str(Party(message.author_kind).label),
            "sent_at": timezone.localtime(message.created_at),
            "body": sealing.open_message(key, message),
        }
        for message in Message.objects.filter(report=report)
    ]


def _files(report: Report, key: bytes) -> list[dict[str, Any]]:
    return [
        {
            "attachment": attachment,
            "name": sealing.open_attachment_name(key, attachment),
            "sha256": attachment.sha256,
            "size": attachment.size,
            "content_type": attachment.content_type,
            "uploaded_by": attachment.uploaded_by,
            "uploaded_by_label": str(Party(attachment.uploaded_by).label),
            "uploaded_at": timezone.localtime(attachment.created_at),
        }
        for attachment in Attachment.objects.filter(report=report)
    ]


def _facts(report: Report) -> list[tuple[str, str]]:
    """The structured answers as (question, answer) pairs, in the reader's language."""
    meta = Report._meta
    when = (
        report.occurred_on.strftime("%Y-%m-%d")
        if report.occurred_precision == DatePrecision.DAY
        else report.occurred_on.strftime("%Y-%m")
    )
    return [
        (str(meta.get_field("kinds").verbose_name), ", ".join(_labels(Kind, report.kinds))),
        (str(meta.get_field("channel").verbose_name), _label(Channel, report.channel)),
        (str(meta.get_field("place").verbose_name), _label(Place, report.place)),
        (str(meta.get_field("perpetrator").verbose_name), _label(Perpetrator, report.perpetrator)),
        (str(meta.get_field("perpetrator_in_care").verbose_name), _label(InCare, report.perpetrator_in_care)),
        (str(meta.get_field("occurred_on").verbose_name), when),
        (str(meta.get_field("frequency").verbose_name), _label(Frequency, report.frequency)),
        (str(meta.get_field("profession").verbose_name), _label(Profession, report.profession)),
        (str(meta.get_field("sector").verbose_name), _label(Sector, report.sector)),
        (str(meta.get_field("province").verbose_name), _label(Province, report.province)),
        (
            str(meta.get_field("consequences").verbose_name),
            ", ".join(_labels(Consequence, report.consequences)),
        ),
        (str(meta.get_field("steps_taken").verbose_name), ", ".join(_labels(StepTaken, report.steps_taken))),
        (
            str(meta.get_field("contact_preference").verbose_name),
            _label(ContactPreference, report.contact_preference),
        ),
    ]


DETAIL_LABELS = {
    "name": _("Your name"),
    "employer": _("Your organisation or employer"),
    "role": _("Your position"),
    "email": _("Email address"),
    "phone": _("Phone number"),
}


def _details(content: sealing.ReportContent) -> list[tuple[str, str]]:
    values = {**content.identity, **content.contact}
    return [(str(label), values[name]) for name, label in DETAIL_LABELS.items() if values.get(name)]


def reporter_view(report: Report, key: bytes) -> dict[str, Any]:
    """Everything the follow-up page shows, opened with the report key."""
    content = sealing.open_report(key, report)
    return {
        "report": report,
        "content": content,
        "details": _details(content),
        "facts": _facts(report),
        "messages_": _messages(report, key),
        "files": _files(report, key),
    }


def reporter_export(report: Report, key: bytes) -> dict[str, Any]:
    """The reporter's report, messages and file list as plain JSON-ready data (codes and their labels)."""
    content = sealing.open_report(key, report)
    data = {
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "report": {
            "received_on": timezone.localtime(report.created_at).date().isoformat(),
            "organisation": report.organisation.name,
            "status": report.status,
            "status_label": report.get_status_display(),
            "kinds": report.kinds,
            "channel": report.channel,
            "channel_platform": content.platform,
            "place": report.place,
            "perpetrator": report.perpetrator,
            "perpetrator_in_care": report.perpetrator_in_care,
            "occurred_on": report.occurred_on.isoformat(),
            "occurred_precision": report.occurred_precision,
            "frequency": report.frequency,
            "profession": report.profession,
            "sector": report.sector,
            "province": report.province,
            "consequences": report.consequences,
            "steps_taken": report.steps_taken,
            "contact_preference": report.contact_preference,
            "narrative": content.narrative,
            "identity": content.identity,
            "contact": content.contact,
            "answers": [{"question": question, "answer": answer} for question, answer in _facts(report)],
        },
        "messages": [
            {"from": message["from"], "sent_at": message["sent_at"].isoformat(), "body": message["body"]}
            for message in _messages(report, key)
        ],
        "attachments": [
            {
                "file_name": file["name"],
                "sha256": file["sha256"],
                "size": file["size"],
                "content_type": file["content_type"],
                "uploaded_by": file["uploaded_by"],
                "uploaded_at": file["uploaded_at"].isoformat(),
            }
            for file in _files(report, key)
        ],
    }
    record(
        "meldpunt.reporter_export",
        actor=None,
        target=report,
        organisation=report.organisation,
        details={"format": "json"},
    )
    return data


def _zip_member_name(index: int, name: str) -> str:
    safe = "".join(char if char.isalnum() or char in "._- " else "_" for char in name).strip(". ") or "file"
    return f"files/{index:02d}-{safe}"


def reporter_zip(report: Report, key: bytes) -> bytes:
    """A ZIP with report.json and every file as it was sent (checked against its SHA-256 on the way)."""
    data = reporter_export(report, key)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index, file in enumerate(_files(report, key), start=1):
            member = _zip_member_name(index, file["name"])
            archive.writestr(member, attachments.read(file["attachment"], key))
            data["attachments"][index - 1]["zip_member"] = member
        archive.writestr("report.json", json.dumps(data, ensure_ascii=False, indent=2))
    record(
        "meldpunt.reporter_export",
        actor=None,
        target=report,
        organisation=report.organisation,
        details={"format": "zip"},
    )
    return buffer.getvalue()
