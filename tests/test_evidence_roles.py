"""Every evidence URL against every role, anonymous visitors and superusers (docs/evidence.md, "Permissions").

The pages that show no one object need the permission in some organisation (403 without); an item, bundle or
key of the organisation needs it there (404 without, the same as for one that does not exist). Seeing and
exporting needs DOCUMENT_ATTACKS or ANALYSE_DATA; adding and recording a hand-over needs DOCUMENT_ATTACKS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone

from accounts.models import Organisation, User
from accounts.roles import GRANTS, Permission, Role
from evidence.models import Bundle, EvidenceItem
from tests import test_evidence_helpers
from tests.conftest import login_verified

data_dir = test_evidence_helpers.data_dir  # the fixture, shared

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("data_dir")]

ADD = frozenset({Permission.DOCUMENT_ATTACKS})
SEE = frozenset({Permission.DOCUMENT_ATTACKS, Permission.ANALYSE_DATA})


def _item(organisation: Organisation) -> dict[str, Any]:
    """An item of the organisation: a row only, its file is not in the store (the download then sends the
    user back to the item's page)."""
    item = EvidenceItem.objects.filter(organisation=organisation).first() or EvidenceItem.objects.create(
        organisation=organisation,
        kind="photo",
        sha256="0" * 64,
        size=1,
        content_type="image/png",
        collected_by="Matrix",
        collected_at=timezone.now(),
        how="recorded_on_scene",
    )
    return {"pk": item.pk}


def _bundle(organisation: Organisation) -> dict[str, Any]:
    bundle = Bundle.objects.filter(organisation=organisation).first() or Bundle.objects.create(
        organisation=organisation, created_at=timezone.now(), reason="Matrix", signer_fingerprint=""
    )
    return {"pk": bundle.pk}


@dataclass(frozen=True)
class Row:
    url_name: str
    global_page: bool  # True: 403 without the permission anywhere; False: 404 without it in the organisation
    permissions: frozenset[Permission]
    method: str = "get"
    ok: int = 200
    kwargs: Callable[[Organisation], dict[str, Any]] = field(default=lambda organisation: {})
    data: dict[str, Any] = field(default_factory=dict)


ROWS = [
    Row("evidence:list", True, SEE),
    Row("evidence:upload", True, ADD),
    Row("evidence:upload", True, ADD, method="post", ok=400),
    Row("evidence:web_capture", True, ADD),
    Row("evidence:web_capture", True, ADD, method="post", ok=400),
    Row("evidence:statement", True, ADD),
    Row("evidence:statement", True, ADD, method="post", ok=400),
    Row("evidence:bundles", True, SEE),
    Row("evidence:bundle_new", True, SEE),
    Row("evidence:bundle_new", True, SEE, method="post", ok=400),
    Row("evidence:detail", False, SEE, kwargs=_item),
    Row("evidence:file", False, SEE, ok=302, kwargs=_item),
    Row(
        "evidence:transfer",
        False,
        ADD,
        method="post",
        ok=302,
        kwargs=_item,
        data={"recipient": "Investigator", "reason": "Matrix"},
    ),
    Row("evidence:bundle_detail", False, SEE, kwargs=_bundle),
    Row("evidence:public_key", False, SEE, kwargs=lambda organisation: {"slug": organisation.slug}),
]
PERSONAS = ["anonymous", *(role.value for role in Role), "superuser"]


def expected(row: Row, persona: str) -> int:
    if persona == "anonymous":
        return 302
    if persona == "superuser" or row.permissions & GRANTS[Role(persona)]:
        return row.ok
    return 403 if row.global_page else 404


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("row", ROWS, ids=lambda row: f"{row.method}-{row.url_name}")
def test_evidence_url_answers_each_persona_as_the_permissions_say(
    row: Row, persona: str, organisation: Organisation, make_member: Any
) -> None:
    address = reverse(row.url_name, kwargs=row.kwargs(organisation))
    client = Client()
    if persona == "superuser":
        login_verified(client, User.objects.create_superuser("root"))
    elif persona != "anonymous":
        login_verified(client, make_member(Role(persona)))
    response = getattr(client, row.method)(address, row.data)
    assert response.status_code == expected(row, persona), f"{persona} {row.method.upper()} {address}"
    if persona == "anonymous":
        assert urlsplit(response["Location"]).path == reverse("accounts:login")


def test_every_evidence_url_is_in_the_table() -> None:
    from evidence import urls

    names = {f"evidence:{pattern.name}" for pattern in urls.urlpatterns if isinstance(pattern, URLPattern)}
    assert names == {row.url_name for row in ROWS}
