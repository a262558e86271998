"""Every facilities URL against every role, anonymous visitors and superusers, in the form of
tests/test_role_matrix.py's rows.

The role matrix takes one permission per row; these pages are open to either of two (documenting attacks
or analysing data), so each row here may name `also`. ROWS is written so that it can be moved into the
matrix once its Row has that field (docs/facilities.md, "Permissions").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from accounts.models import Organisation, User
from accounts.roles import GRANTS, Permission, Role
from facilities import actions
from facilities.models import Facility, Notification, Party
from tests.conftest import login_verified

pytestmark = pytest.mark.django_db

DOCUMENT = Permission.DOCUMENT_ATTACKS
ANALYSE = Permission.ANALYSE_DATA
GLOBAL = "global"  # the permission in any organisation; 403 without it
ORGANISATION = "organisation"  # the permission in the object's organisation; 404 without it


@dataclass(frozen=True)
class World:
    organisation: Organisation


@dataclass(frozen=True)
class Row:
    url_name: str
    scope: str
    permission: Permission
    method: str = "get"
    ok: int = 200
    kwargs: Callable[[World], dict[str, Any]] = field(default=lambda world: {})
    data: Callable[[World], dict[str, Any]] = field(default=lambda world: {})
    also: tuple[Permission, ...] = ()


def _facility(world: World) -> dict[str, Any]:
    found = Facility.objects.filter(name="Matrix Hospital").first() or actions.register_facility(
        None,
        world.organisation,
        {
            "name": "Matrix Hospital",
            "facility_type": "hospital",
            "country_iso3": "SYR",
            "latitude": 36.2,
            "longitude": 37.1,
        },
    )
    return {"pk": found.pk}


def _party(world: World) -> dict[str, Any]:
    found, _created = Party.objects.get_or_create(
        name="Matrix party", defaults={"kind": Party.Kind.ARMED_FORCES}
    )
    return {"pk": found.pk}


def _notification(world: World) -> dict[str, Any]:
    found = Notification.objects.first()
    if found is None:
        found = actions.create_notification(
            None,
            world.organisation,
            facilities=[Facility.objects.get(pk=_facility(world)["pk"])],
            parties=[Party.objects.get(pk=_party(world)["pk"])],
            language="en",
        )
    return {"pk": found.pk}


# Facilities are shared data: DOCUMENT_ATTACKS or ANALYSE_DATA anywhere sees them (403 otherwise); changes
# need DOCUMENT_ATTACKS (a facility's own facts: in its organisation, where every persona here is a member).
# Forms posted empty are refused (400) once past the permission check. Notifications belong to their
# organisation: 404 for anyone without the permission there.
ROWS = [
    Row("facilities:list", GLOBAL, DOCUMENT, also=(ANALYSE,)),
    Row("facilities:detail", GLOBAL, DOCUMENT, also=(ANALYSE,), kwargs=_facility),
    Row("facilities:new", GLOBAL, DOCUMENT),
    Row("facilities:new", GLOBAL, DOCUMENT, method="post", ok=400),
    Row("facilities:edit", GLOBAL, DOCUMENT, kwargs=_facility),
    Row("facilities:edit", GLOBAL, DOCUMENT, method="post", ok=400, kwargs=_facility),
    Row("facilities:status", GLOBAL, DOCUMENT, method="post", ok=400, kwargs=_facility),
    Row("facilities:import", GLOBAL, DOCUMENT),
    Row("facilities:import", GLOBAL, DOCUMENT, method="post", ok=400),
    Row("facilities:check_proximity", GLOBAL, DOCUMENT, also=(ANALYSE,), method="post", ok=302),
    Row("facilities:parties", GLOBAL, DOCUMENT, also=(ANALYSE,)),
    Row("facilities:party_new", GLOBAL, DOCUMENT),
    Row("facilities:party_new", GLOBAL, DOCUMENT, method="post", ok=400),
    Row("facilities:party_edit", GLOBAL, DOCUMENT, kwargs=_party),
    Row("facilities:notifications", GLOBAL, DOCUMENT, also=(ANALYSE,)),
    Row("facilities:notification_new", GLOBAL, DOCUMENT),
    Row("facilities:notification_new", GLOBAL, DOCUMENT, method="post", ok=400),
    Row("facilities:notification", ORGANISATION, DOCUMENT, also=(ANALYSE,), kwargs=_notification),
    Row("facilities:notification_package", ORGANISATION, DOCUMENT, also=(ANALYSE,), kwargs=_notification),
    Row("facilities:notification_sent", ORGANISATION, DOCUMENT, method="post", ok=400, kwargs=_notification),
    Row(
        "facilities:notification_acknowledge",
        ORGANISATION,
        DOCUMENT,
        method="post",
        ok=400,
        kwargs=_notification,
    ),
]

ANONYMOUS = "anonymous"
SUPERUSER = "superuser"
PERSONAS = [ANONYMOUS, *(role.value for role in Role), SUPERUSER]


def expected_status(row: Row, persona: str) -> int:
    if persona == ANONYMOUS:
        return 302
    if persona == SUPERUSER:
        return row.ok
    granted = GRANTS[Role(persona)]
    if row.permission in granted or any(permission in granted for permission in row.also):
        return row.ok
    return 403 if row.scope == GLOBAL else 404


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("row", ROWS, ids=lambda row: f"{row.method}-{row.url_name}")
def test_facility_url_by_role(row: Row, persona: str, organisation: Organisation, make_member: Any) -> None:
    world = World(organisation)
    url = reverse(row.url_name, kwargs=row.kwargs(world))
    client = Client()
    if persona == SUPERUSER:
        login_verified(client, User.objects.create_superuser("root"))
    elif persona != ANONYMOUS:
        login_verified(client, make_member(Role(persona)))

    response = getattr(client, row.method)(url, row.data(world))

    expected = expected_status(row, persona)
    assert response.status_code == expected, f"{persona} {row.method.upper()} {url}: {response.status_code}"
    if persona == ANONYMOUS:
        assert urlsplit(response["Location"]).path == reverse("accounts:login")


def test_every_facilities_url_has_a_row() -> None:
    from facilities.urls import urlpatterns

    named = {f"facilities:{pattern.name}" for pattern in urlpatterns if isinstance(pattern, URLPattern)}
    assert named == {row.url_name for row in ROWS}
