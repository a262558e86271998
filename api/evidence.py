"""`/api/v1/evidence`: evidence metadata and custody logs for staff with a token; never the files themselves.

The same rules as the staff pages (evidence/access.py): items of organisations where the token's user may see
evidence (Permission.DOCUMENT_ATTACKS or ANALYSE_DATA); an item of another organisation is a 404, like one
that does not exist; a user who may see evidence nowhere gets a 403. File contents are only downloaded on the
staff pages, where each download is a custody event; bundles are exported there too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.core.paginator import EmptyPage, Paginator
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema

from api.auth import TokenAuth
from api.errors import ApiError, form_errors, invalid_input
from api.schemas import ErrorOut
from evidence import access
from evidence.models import CustodyEvent, EvidenceItem, Kind

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
AUTH_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 429: ErrorOut}


class EvidenceTokenAuth(TokenAuth):
    """A staff token (api.auth.TokenAuth, with its throttle), for anyone who may see evidence somewhere."""

    refusal_text = gettext_lazy(
        "This account does not document attacks or analyse data, so it sees no evidence."
    )

    def allows(self, user: Any) -> bool:
        return access.may_view(user)


router = Router(tags=["evidence"], auth=EvidenceTokenAuth())


def _enum(values: list[str]) -> dict[str, Any]:
    return {"enum": values}


class TargetOut(Schema):
    type: str = Field(
        description="What kind of object, as `app_label.model`.", examples=["registry.fieldreport"]
    )
    id: str


class EvidenceOut(Schema):
    id: int
    organisation: str = Field(description="The organisation's short name.")
    kind: str = Field(json_schema_extra=_enum(Kind.values))
    sha256: str = Field(description="SHA-256 of the file as it was received (hex).")
    size: int = Field(description="Size in bytes.")
    content_type: str = Field(description="The type detected from the file's content.")
    original_filename: str
    collected_by: str
    collected_at: datetime
    how: str
    original_url: str
    captured_at: datetime | None
    capturer: str
    tool_or_device: str
    notes: str
    documents: TargetOut | None = Field(description="What the item documents, if linked.")
    added_by: str | None
    added_at: datetime


class CustodyOut(Schema):
    event: str = Field(json_schema_extra=_enum(CustodyEvent.Kind.values))
    occurred_at: datetime
    actor: str
    reason: str
    recipient: str
    bundle: str | None
    audit_sequence: int = Field(description="The event's number in the hash-chained audit log.")
    audit_hash: str


class EvidenceDetailOut(EvidenceOut):
    custody: list[CustodyOut]


class EvidencePage(Schema):
    count: int
    page: int
    pages: int
    per_page: int
    items: list[EvidenceOut]


class EvidenceFilters(Schema):
    organisation: str = Field("", description="Only this organisation's evidence (short name).")
    kind: str = Field("", description="Only this kind.", json_schema_extra=_enum(["", *Kind.values]))
    page: str = ""
    per_page: str = ""


class EvidenceFilterForm(forms.Form):
    organisation = forms.SlugField(required=False, max_length=60)
    kind = forms.ChoiceField(
        choices=[("", ""), *Kind.choices],
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Unknown kind: choose one of the kinds of evidence.")},
    )
    page = forms.IntegerField(required=False, min_value=1)
    per_page = forms.IntegerField(required=False, min_value=1, max_value=MAX_PER_PAGE)


def evidence_out(item: EvidenceItem) -> dict[str, Any]:
    target = None
    if item.target_type is not None:
        target = {"type": f"{item.target_type.app_label}.{item.target_type.model}", "id": item.target_id}
    return {
        "id": item.pk,
        "organisation": item.organisation.slug,
        "kind": item.kind,
        "sha256": item.sha256,
        "size": item.size,
        "content_type": item.content_type,
        "original_filename": item.original_filename,
        "collected_by": item.collected_by,
        "collected_at": item.collected_at,
        "how": item.how,
        "original_url": item.original_url,
        "captured_at": item.captured_at,
        "capturer": item.capturer,
        "tool_or_device": item.tool_or_device,
        "notes": item.notes,
        "documents": target,
        "added_by": item.added_by.get_username() if item.added_by is not None else None,
        "added_at": item.added_at,
    }


@router.get(
    "",
    response={200: EvidencePage, 400: ErrorOut, 404: ErrorOut, **AUTH_ERRORS},
    summary="List evidence",
    description="Metadata of the evidence of your organisations, newest first. Never the files.",
)
def list_evidence(request: HttpRequest, filters: Query[EvidenceFilters]) -> dict[str, Any]:
    user = request.auth.user  # type: ignore[attr-defined]
    form = EvidenceFilterForm(filters.model_dump())
    if not form.is_valid():
        raise invalid_input(form_errors(form))
    chosen = form.cleaned_data
    items = access.visible_items(user).select_related("organisation", "target_type", "added_by")
    if chosen["organisation"]:
        if not any(o.slug == chosen["organisation"] for o in access.organisations_to_view(user)):
            raise invalid_input(
                {"organisation": [_("You see no evidence of an organisation with this short name.")]}
            )
        items = items.filter(organisation__slug=chosen["organisation"])
    if chosen["kind"]:
        items = items.filter(kind=chosen["kind"])
    per_page = chosen["per_page"] or DEFAULT_PER_PAGE
    paginator = Paginator(items, per_page)
    try:
        page = paginator.page(chosen["page"] or 1)
    except EmptyPage:
        raise ApiError(404, _("There is no page %(page)s.") % {"page": chosen["page"]}) from None
    return {
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "per_page": per_page,
        "items": [evidence_out(item) for item in page.object_list],
    }


@router.get(
    "/{int:item_id}",
    response={200: EvidenceDetailOut, 404: ErrorOut, **AUTH_ERRORS},
    summary="One evidence item",
    description="The item's metadata and its custody log (collected, viewed, transferred, exported). Never the file.",
)
def evidence_detail(request: HttpRequest, item_id: int) -> dict[str, Any]:
    user = request.auth.user  # type: ignore[attr-defined]
    item = (
        EvidenceItem.objects.select_related("organisation", "target_type", "added_by")
        .filter(pk=item_id)
        .first()
    )
    if item is None or not access.may_view(user, item.organisation):
        raise ApiError(404, _("There is no evidence item %(id)s that you may see.") % {"id": item_id})
    result = evidence_out(item)
    result["custody"] = [
        {
            "event": event.kind,
            "occurred_at": event.occurred_at,
            "actor": event.actor_label,
            "reason": event.reason,
            "recipient": event.recipient,
            "bundle": str(event.bundle_id) if event.bundle_id else None,
            "audit_sequence": event.audit_event.sequence,
            "audit_hash": event.audit_event.hash,
        }
        for event in item.custody_events.select_related("audit_event")
    ]
    return result
