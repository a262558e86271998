"""The shapes of what the API takes and returns, for validation and for the OpenAPI document.

Input that has translated rules on the website (the report form, a reply) is validated by the same Django
form, so these schemas take plain strings there and the form decides.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema

from meldpunt.models import Report


class ErrorOut(Schema):
    detail: str = Field(
        description="What went wrong, in a sentence (Dutch unless Accept-Language asks else)."
    )
    errors: dict[str, list[str]] = Field(
        default_factory=dict, description="Messages per field; `__all__` for those of no one field."
    )


class StaleOut(ErrorOut):
    version: int = Field(description="The case's version now: load the case again and retry with this.")
    status: str


class ReceiptOut(Schema):
    receipt_code: str = Field(
        description="Shown once, stored nowhere: the reporter follows up with it on the follow-up page."
    )
    status: str = Field(examples=["new"])
    received_on: date


def _enum(values: list[str]) -> dict[str, Any]:
    return {"enum": values}


class CaseFilters(Schema):
    """Strings here, checked by api.cases.CaseFilterForm so that messages are translated."""

    status: str = Field(
        "",
        description="Only cases with this status. Without it: every case that is not closed.",
        json_schema_extra=_enum(["", *Report.Status.values]),
    )
    assigned: str = Field(
        "",
        description="`me`: assigned to you; `nobody`: to no one.",
        json_schema_extra=_enum(["", "me", "nobody"]),
    )
    overdue: str = Field(
        "",
        description="`true`: only new cases past their acknowledgement deadline.",
        json_schema_extra=_enum(["", "true", "false"]),
    )
    organisation: str = Field("", description="Only cases of this organisation (its short name).")
    page: str = Field("", description="Page number, from 1.", json_schema_extra={"pattern": "^[0-9]*$"})
    per_page: str = Field("", description="Cases per page, 1 to 100 (25 without it).")


class CaseOut(Schema):
    """The structured part of a case: choices, dates and status. Never what anyone wrote."""

    id: int
    organisation: str = Field(description="The organisation's short name.")
    status: str
    version: int = Field(description="Send this back when changing the case (optimistic concurrency).")
    received_at: datetime
    acknowledge_by: datetime | None
    acknowledged_at: datetime | None
    overdue: bool
    assigned_to: str | None = Field(description="User name of the handler the case is assigned to.")
    source: str = Field(description="web, phone or api")
    is_anonymous: bool
    kinds: list[str]
    channel: str
    place: str
    perpetrator: str
    perpetrator_in_care: str
    occurred_on: date
    occurred_precision: str = Field(description="day, or month (occurred_on is then the 1st)")
    frequency: str
    profession: str
    sector: str
    province: str
    consequences: list[str]
    steps_taken: list[str]
    contact_preference: str
    outcome: str
    closed_at: datetime | None
    readable: bool = Field(
        description="Whether the report key is shared with you, so you can read the content."
    )


class CasePage(Schema):
    count: int
    page: int
    pages: int
    per_page: int
    items: list[CaseOut]


class MessageOut(Schema):
    id: int
    party: str = Field(description="reporter or handler")
    author: str | None = Field(description="The handler's user name; null for the reporter.")
    sent_at: datetime
    read_at: datetime | None = Field(description="When the reporter read a handler's message.")
    body: str


class NoteOut(Schema):
    id: int
    internal: bool = Field(True, description="Always true: notes are never shown to the reporter.")
    author: str | None
    written_at: datetime
    body: str


class ReferralOut(Schema):
    id: int
    kind: str
    status: str
    vpt_code: str
    referred_on: date
    recorded_by: str | None
    recorded_at: datetime
    note: str | None = Field(description="null when the case is not readable for you")


class AttachmentOut(Schema):
    id: str
    sha256: str = Field(description="Of the original file, to check a copy against.")
    size: int
    content_type: str
    uploaded_by: str
    uploaded_at: datetime
    filename: str | None = Field(description="null when the case is not readable for you")


class StatusChangeOut(Schema):
    from_status: str
    to_status: str
    changed_by: str | None
    changed_at: datetime


class CaseDetailOut(CaseOut):
    unreadable_reason: str | None = Field(description="Why the content is missing, when `readable` is false.")
    narrative: str | None
    platform: str | None
    identity: dict[str, str] | None
    contact: dict[str, str] | None
    messages: list[MessageOut] | None
    notes: list[NoteOut] | None
    referrals: list[ReferralOut]
    attachments: list[AttachmentOut]
    status_history: list[StatusChangeOut]


class StatusIn(Schema):
    status: str = Field(
        description="The new status, or `reopen` for a closed case.",
        json_schema_extra=_enum([*Report.Status.values, "reopen"]),
    )
    version: int = Field(description="The case's `version` as you last loaded it.")
    outcome: str = Field("", description="Required when closing: how the case ended.")


class MessageIn(Schema):
    body: str = Field(description="The message to the reporter, who reads it with the receipt code.")


class MessageCreatedOut(Schema):
    id: int
    sent_at: datetime
