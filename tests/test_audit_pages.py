"""Who sees which audit events on the audit log page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from audit.chain import record
from audit.views import visible_events
from tests.conftest import login_verified


@pytest.fixture
def admins_and_members(make_member: Any, organisation: Any, other_organisation: Any) -> dict[str, Any]:
    return {
        "admin": make_member(Role.ADMIN, organisation, username="admin-a"),
        "member": make_member(Role.CASE_HANDLER, organisation, username="member-a"),
        "outsider": make_member(Role.CASE_HANDLER, other_organisation, username="member-b"),
    }


def actions_seen_by(user: Any) -> set[str]:
    return set(visible_events(user).values_list("action", flat=True))


def test_administrator_sees_the_events_of_the_organisation(
    admins_and_members: dict[str, Any], organisation: Any, other_organisation: Any
) -> None:
    record("test.in_own_organisation", organisation=organisation)
    record("test.in_other_organisation", organisation=other_organisation)
    seen = actions_seen_by(admins_and_members["admin"])
    assert "test.in_own_organisation" in seen
    assert "test.in_other_organisation" not in seen


def test_administrator_sees_logins_of_members_but_not_of_outsiders(
    admins_and_members: dict[str, Any],
) -> None:
    member, outsider = admins_and_members["member"], admins_and_members["outsider"]
    record("test.member_logged_in", actor=member, target=member)
    record("test.outsider_logged_in", actor=outsider, target=outsider)
    record("test.failed_login_of_member", target=member)
    seen = actions_seen_by(admins_and_members["admin"])
    assert {"test.member_logged_in", "test.failed_login_of_member"} <= seen
    assert "test.outsider_logged_in" not in seen


def test_what_a_member_did_in_another_organisation_stays_there(
    admins_and_members: dict[str, Any], make_member: Any, other_organisation: Any
) -> None:
    member = admins_and_members["member"]
    make_member(Role.ANALYST, other_organisation, username="member-a-elsewhere")
    record("test.member_acted_elsewhere", actor=member, organisation=other_organisation)
    assert "test.member_acted_elsewhere" not in actions_seen_by(admins_and_members["admin"])


def test_platform_events_without_anyone_are_for_superusers_only(
    admins_and_members: dict[str, Any], django_user_model: Any
) -> None:
    record("test.platform")
    superuser = django_user_model.objects.create_superuser("root-test", password=None)
    assert "test.platform" not in actions_seen_by(admins_and_members["admin"])
    assert "test.platform" in actions_seen_by(superuser)


def test_audit_page_lists_the_members_login(client: Client, admins_and_members: dict[str, Any]) -> None:
    member = admins_and_members["member"]
    record("accounts.login", actor=member, target=member)
    login_verified(client, admins_and_members["admin"])
    page = client.get(reverse("audit:list")).content.decode()
    assert "accounts.login" in page
    assert "member-a" in page
