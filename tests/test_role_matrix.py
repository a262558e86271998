"""Every staff URL against every role (and anonymous visitors and superusers), as accounts.roles.GRANTS says.

The table below must list every URL under the staff prefix: `test_every_staff_url_is_in_the_matrix` fails
when a new staff URL is added without a row here, so no page can be forgotten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import pytest
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation

from accounts.models import Membership, Organisation, User
from accounts.roles import GRANTS, Permission, Role
from tests.conftest import login_verified

pytestmark = pytest.mark.django_db


class Scope(Enum):
    PUBLIC = "public"  # anyone, logged in or not
    LOGGED_IN = "logged_in"  # any logged-in account
    GLOBAL = "global"  # the permission in any organisation; 403 without it
    ORGANISATION = "organisation"  # the permission in this organisation; 404 without it (no leak)


@dataclass
class World:
    organisation: Organisation
    target: Membership  # another member, acted on by the member-management endpoints
    outsider: User  # an account that is no member yet, to add


@dataclass(frozen=True)
class Row:
    url_name: str
    scope: Scope
    permission: Permission | None = None
    method: str = "get"
    ok: int = 200
    kwargs: Callable[[World], dict[str, Any]] = field(default=lambda world: {})
    data: Callable[[World], dict[str, Any]] = field(default=lambda world: {})


def _org(world: World) -> dict[str, Any]:
    return {"slug": world.organisation.slug}


def _member(world: World) -> dict[str, Any]:
    return {"slug": world.organisation.slug, "membership_id": world.target.pk}


MATRIX = [
    Row("accounts:staff_home", Scope.GLOBAL, Permission.VIEW_STAFF_HOME),
    Row("accounts:login", Scope.PUBLIC),
    Row("accounts:logout", Scope.PUBLIC, method="post", ok=302),
    Row("accounts:password_change", Scope.LOGGED_IN),
    Row("accounts:two_factor_setup", Scope.LOGGED_IN),
    Row("accounts:two_factor_qr", Scope.LOGGED_IN),
    # Already verified: verification sends the user on.
    Row("accounts:two_factor_verify", Scope.LOGGED_IN, ok=302),
    Row("accounts:organisation", Scope.ORGANISATION, Permission.VIEW_ORGANISATION, kwargs=_org),
    Row(
        "accounts:member_add",
        Scope.ORGANISATION,
        Permission.MANAGE_MEMBERS,
        method="post",
        ok=302,
        kwargs=_org,
        data=lambda world: {"username": world.outsider.username, "role": Role.VIEWER.value},
    ),
    Row(
        "accounts:member_change_role",
        Scope.ORGANISATION,
        Permission.MANAGE_MEMBERS,
        method="post",
        ok=302,
        kwargs=_member,
        data=lambda world: {f"member-{world.target.pk}-role": Role.ANALYST.value},
    ),
    Row(
        "accounts:member_remove",
        Scope.ORGANISATION,
        Permission.MANAGE_MEMBERS,
        method="post",
        ok=302,
        kwargs=_member,
    ),
    Row("audit:list", Scope.GLOBAL, Permission.VIEW_AUDIT_LOG),
    # Queues a verification task and sends the user to it.
    Row("audit:verify", Scope.GLOBAL, Permission.RUN_MAINTENANCE_TASKS, method="post", ok=302),
    Row("jobs:list", Scope.GLOBAL, Permission.VIEW_TASKS),
    # A task that does not exist: 404 once past the permission check, 403 before it.
    Row(
        "jobs:detail",
        Scope.GLOBAL,
        Permission.VIEW_TASKS,
        ok=404,
        kwargs=lambda world: {"result_id": UUID(int=1)},
    ),
]

ANONYMOUS = "anonymous"
SUPERUSER = "superuser"
PERSONAS = [ANONYMOUS, *(role.value for role in Role), SUPERUSER]


def expected_status(row: Row, persona: str) -> int:
    if row.scope is Scope.PUBLIC:
        return row.ok
    if persona == ANONYMOUS:
        return 302  # to the login page
    if persona == SUPERUSER or row.scope is Scope.LOGGED_IN:
        return row.ok
    assert row.permission is not None
    if row.permission in GRANTS[Role(persona)]:
        return row.ok
    return 403 if row.scope is Scope.GLOBAL else 404


@pytest.fixture
def world(organisation: Organisation, make_member: Any) -> World:
    target = Membership.objects.get(user=make_member(Role.VIEWER, username="target"))
    outsider = User.objects.create_user("outsider")
    return World(organisation, target, outsider)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("row", MATRIX, ids=lambda row: row.url_name)
def test_role_matrix(row: Row, persona: str, world: World, make_member: Any) -> None:
    try:
        url = reverse(row.url_name, kwargs=row.kwargs(world))
    except NoReverseMatch:
        pytest.skip(f"{row.url_name} does not exist yet")
    client = Client()
    if persona == SUPERUSER:
        login_verified(client, User.objects.create_superuser("root"))
    elif persona != ANONYMOUS:
        login_verified(client, make_member(Role(persona)))
    response = getattr(client, row.method)(url, row.data(world))
    expected = expected_status(row, persona)
    assert response.status_code == expected, (
        f"{persona} {row.method.upper()} {url}: expected {expected}, got {response.status_code}"
    )
    if persona == ANONYMOUS and row.scope is not Scope.PUBLIC:
        assert urlsplit(response["Location"]).path == reverse("accounts:login")
    if expected == 302 and row.method == "post" and row.scope is Scope.ORGANISATION:
        # The change went through, without an error message.
        follow = client.get(response["Location"])
        assert "message-error" not in follow.content.decode()


def _named_routes(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            route = "" if type(entry.pattern).__name__ == "LocalePrefixPattern" else str(entry.pattern)
            yield from _named_routes(entry.url_patterns, prefix + route, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield prefix + str(entry.pattern), namespace + entry.name


def test_every_staff_url_is_in_the_matrix() -> None:
    with translation.override("en"):
        staff_routes = {
            name for route, name in _named_routes(get_resolver().url_patterns) if route.startswith("staff/")
        }
    assert "accounts:staff_home" in staff_routes
    missing = staff_routes - {row.url_name for row in MATRIX}
    assert not missing, f"add these staff URLs to MATRIX in {__file__}: {sorted(missing)}"


def test_admin_of_one_organisation_cannot_manage_members_of_another(
    client: Client, make_member: Any, organisation: Organisation, other_organisation: Organisation
) -> None:
    login_verified(client, make_member(Role.ADMIN, organisation))
    stranger = make_member(Role.VIEWER, other_organisation)
    theirs = Membership.objects.get(user=stranger)
    slug = other_organisation.slug
    assert client.get(reverse("accounts:organisation", kwargs={"slug": slug})).status_code == 404
    assert (
        client.post(
            reverse("accounts:member_add", kwargs={"slug": slug}), {"username": "x", "role": "viewer"}
        )
    ).status_code == 404
    kwargs = {"slug": slug, "membership_id": theirs.pk}
    assert client.post(reverse("accounts:member_remove", kwargs=kwargs)).status_code == 404
    assert (
        client.post(
            reverse("accounts:member_change_role", kwargs=kwargs), {f"member-{theirs.pk}-role": "admin"}
        )
    ).status_code == 404
    assert Membership.objects.filter(pk=theirs.pk, role=Role.VIEWER).exists()


def test_membership_of_another_organisation_is_not_reachable_through_ones_own(
    client: Client, make_member: Any, organisation: Organisation, other_organisation: Organisation
) -> None:
    login_verified(client, make_member(Role.ADMIN, organisation))
    theirs = Membership.objects.get(user=make_member(Role.VIEWER, other_organisation))
    kwargs = {"slug": organisation.slug, "membership_id": theirs.pk}
    assert client.post(reverse("accounts:member_remove", kwargs=kwargs)).status_code == 404
    assert Membership.objects.filter(pk=theirs.pk).exists()


def test_unknown_organisation_looks_the_same_as_a_foreign_one(client: Client, make_member: Any) -> None:
    login_verified(client, make_member(Role.ADMIN))
    assert client.get(reverse("accounts:organisation", kwargs={"slug": "does-not-exist"})).status_code == 404
