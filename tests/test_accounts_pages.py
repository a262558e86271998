"""The staff pages: start page, organisation and its members, password change; accessible and audited."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from accounts import actions
from accounts.models import Membership, Organisation, User
from accounts.permissions import has_permission, organisation_for, organisations_with
from accounts.roles import Permission, Role
from audit.models import Event
from tests.conftest import PERSONA_PASSWORD, give_device, login_verified

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]


def optional_url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


class PageAudit(HTMLParser):
    """Collects what the accessibility and CSP checks need from a page."""

    def __init__(self) -> None:
        super().__init__()
        self.h1 = 0
        self.inputs: list[dict[str, str | None]] = []
        self.labels: set[str] = set()
        self.inline_scripts = 0
        self.style_attributes = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if "style" in attributes:
            self.style_attributes += 1
        if tag == "h1":
            self.h1 += 1
        elif tag == "label" and attributes.get("for"):
            self.labels.add(attributes["for"] or "")
        elif tag in {"input", "select", "textarea"} and attributes.get("type") not in {"hidden", "submit"}:
            self.inputs.append(attributes)
        elif tag == "script":
            self._in_script = "src" not in attributes
        elif tag == "style":
            self.inline_scripts += 1

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False


def audit_page(response: Any) -> PageAudit:
    parser = PageAudit()
    parser.feed(response.content.decode())
    assert parser.h1 == 1, "one h1 per page"
    assert parser.inline_scripts == 0
    assert parser.style_attributes == 0
    for field in parser.inputs:
        assert field.get("id") in parser.labels, f"input without a label: {field}"
    return parser


def row_of(page: str, username: str) -> str:
    match = re.search(rf"<tr>\s*<td>{re.escape(username)}</td>.*?</tr>", page, re.S)
    assert match is not None, f"no table row for {username}"
    return match.group(0)


def test_staff_home_greets_and_lists_organisations_and_roles(
    client: Client, make_member: Any, organisation: Organisation, other_organisation: Organisation
) -> None:
    user = make_member(Role.CASE_HANDLER)
    Membership.objects.create(user=user, organisation=other_organisation, role=Role.VIEWER)
    login_verified(client, user)
    response = client.get(reverse("accounts:staff_home"))
    page = response.content.decode()
    audit_page(response)
    assert "Test Beroepsvereniging" in page
    assert "Test Ziekenhuis" in page
    assert reverse("accounts:organisation", kwargs={"slug": organisation.slug}) in page
    assert reverse("accounts:password_change") in page


@pytest.mark.parametrize(
    ("role", "tasks", "audit_log"),
    [(Role.ADMIN, True, True), (Role.ANALYST, True, False), (Role.VIEWER, False, False)],
)
def test_staff_home_links_only_to_pages_the_role_may_open(
    client: Client, make_member: Any, role: Role, tasks: bool, audit_log: bool
) -> None:
    login_verified(client, make_member(role))
    page = client.get(reverse("accounts:staff_home")).content.decode()
    jobs_url, audit_url = optional_url("jobs:list"), optional_url("audit:list")
    if jobs_url:
        assert (f'href="{jobs_url}"' in page) is tasks
    if audit_url:
        assert (f'href="{audit_url}"' in page) is audit_log


def test_organisation_page_lists_members_with_role_and_two_factor_state(
    client: Client, make_member: Any, organisation: Organisation
) -> None:
    viewer = make_member(Role.VIEWER, username="with-app")
    give_device(viewer)
    make_member(Role.ANALYST, username="without-app")
    login_verified(client, viewer)
    response = client.get(reverse("accounts:organisation", kwargs={"slug": organisation.slug}))
    page = response.content.decode()
    audit_page(response)
    row_with = row_of(page, "with-app")
    row_without = row_of(page, "without-app")
    assert "Viewer" in row_with and "Not set up" not in row_with
    assert "Analyst" in row_without and "Not set up" in row_without
    # A viewer sees no management forms.
    assert reverse("accounts:member_add", kwargs={"slug": organisation.slug}) not in page


def test_admin_sees_management_forms_with_labels(
    client: Client, make_member: Any, organisation: Organisation
) -> None:
    make_member(Role.VIEWER)
    login_verified(client, make_member(Role.ADMIN))
    response = client.get(reverse("accounts:organisation", kwargs={"slug": organisation.slug}))
    parser = audit_page(response)
    assert len([field for field in parser.inputs if (field.get("name") or "").endswith("-role")]) == 2
    assert reverse("accounts:member_add", kwargs={"slug": organisation.slug}) in response.content.decode()


def test_admin_adds_an_existing_account_as_member(
    client: Client, make_member: Any, organisation: Organisation
) -> None:
    admin = make_member(Role.ADMIN)
    login_verified(client, admin)
    newcomer = User.objects.create_user("newcomer")
    response = client.post(
        reverse("accounts:member_add", kwargs={"slug": organisation.slug}),
        {"username": "newcomer", "role": Role.CASE_HANDLER},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=newcomer, organisation=organisation)
    assert membership.role == Role.CASE_HANDLER
    event = Event.objects.get(action="accounts.member_added")
    assert event.actor_id == admin.pk
    assert event.organisation_id == organisation.pk
    assert event.details == {"user_id": newcomer.pk, "role": "case_handler"}


def test_adding_an_unknown_account_shows_the_error_at_the_field(
    client: Client, make_member: Any, organisation: Organisation
) -> None:
    login_verified(client, make_member(Role.ADMIN))
    response = client.post(
        reverse("accounts:member_add", kwargs={"slug": organisation.slug}),
        {"username": "nobody-here", "role": Role.VIEWER},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is no account with this user name." in page
    assert 'aria-describedby="id_username_error"' in page
    assert 'aria-invalid="true"' in page


def test_adding_someone_twice_is_refused(
    client: Client, make_member: Any, organisation: Organisation
) -> None:
    login_verified(client, make_member(Role.ADMIN))
    make_member(Role.VIEWER, username="already")
    response = client.post(
        reverse("accounts:member_add", kwargs={"slug": organisation.slug}),
        {"username": "already", "role": Role.ADMIN},
    )
    assert "already a member" in response.content.decode()
    assert Membership.objects.get(user__username="already").role == Role.VIEWER


def test_admin_changes_a_role(client: Client, make_member: Any, organisation: Organisation) -> None:
    login_verified(client, make_member(Role.ADMIN))
    membership = Membership.objects.get(user=make_member(Role.VIEWER))
    response = client.post(
        reverse(
            "accounts:member_change_role", kwargs={"slug": organisation.slug, "membership_id": membership.pk}
        ),
        {f"member-{membership.pk}-role": Role.ANALYST},
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.ANALYST
    event = Event.objects.get(action="accounts.membership_changed")
    assert event.details["old_role"] == "viewer"
    assert event.details["new_role"] == "analyst"


def test_last_admin_cannot_be_demoted(client: Client, make_member: Any, organisation: Organisation) -> None:
    admin = make_member(Role.ADMIN)
    login_verified(client, admin)
    membership = Membership.objects.get(user=admin)
    url = reverse(
        "accounts:member_change_role", kwargs={"slug": organisation.slug, "membership_id": membership.pk}
    )
    response = client.post(url, {f"member-{membership.pk}-role": Role.VIEWER}, follow=True)
    assert "needs at least one administrator" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN


def test_last_admin_cannot_be_removed(client: Client, make_member: Any, organisation: Organisation) -> None:
    admin = make_member(Role.ADMIN)
    login_verified(client, admin)
    membership = Membership.objects.get(user=admin)
    url = reverse(
        "accounts:member_remove", kwargs={"slug": organisation.slug, "membership_id": membership.pk}
    )
    response = client.post(url, follow=True)
    assert "needs at least one administrator" in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert not Event.objects.filter(action="accounts.member_removed").exists()


def test_an_admin_can_step_down_when_another_admin_remains(
    make_member: Any, organisation: Organisation
) -> None:
    first = make_member(Role.ADMIN)
    make_member(Role.ADMIN)
    membership = Membership.objects.get(user=first)
    actions.change_role(first, membership, Role.VIEWER)
    assert Membership.objects.get(pk=membership.pk).role == Role.VIEWER


def test_admin_removes_a_member(client: Client, make_member: Any, organisation: Organisation) -> None:
    login_verified(client, make_member(Role.ADMIN))
    leaving = make_member(Role.CASE_HANDLER)
    membership = Membership.objects.get(user=leaving)
    url = reverse(
        "accounts:member_remove", kwargs={"slug": organisation.slug, "membership_id": membership.pk}
    )
    assert client.post(url).status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert User.objects.filter(pk=leaving.pk).exists()
    event = Event.objects.get(action="accounts.member_removed")
    assert event.object_id == str(membership.pk)


def test_password_change_keeps_the_session_and_is_audited(
    client: Client, make_member: Any, organisation: Organisation
) -> None:
    user = make_member(Role.VIEWER, password=PERSONA_PASSWORD)
    login_verified(client, user)
    page = client.get(reverse("accounts:password_change"))
    audit_page(page)
    assert 'autocomplete="current-password"' in page.content.decode()
    assert 'autocomplete="new-password"' in page.content.decode()
    new_password = "a-much-longer-new-passphrase"
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PERSONA_PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)
    assert client.get(reverse("accounts:staff_home")).status_code == 200
    assert Event.objects.filter(action="accounts.password_changed", actor_id=user.pk).count() == 1


def test_password_change_with_wrong_old_password_is_refused(client: Client, make_member: Any) -> None:
    user = make_member(Role.VIEWER, password=PERSONA_PASSWORD)
    login_verified(client, user)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "not it",
            "new_password1": "x-long-passphrase-1",
            "new_password2": "x-long-passphrase-1",
        },
    )
    assert response.status_code == 200
    assert 'aria-describedby="id_old_password_error"' in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PERSONA_PASSWORD)


def test_login_page_is_accessible(client: Client, db: None) -> None:
    response = client.get(reverse("accounts:login"))
    page = response.content.decode()
    audit_page(response)
    assert 'autocomplete="username"' in page
    assert 'autocomplete="current-password"' in page


def test_two_factor_pages_are_accessible(client: Client, make_member: Any) -> None:
    user = make_member(Role.VIEWER)
    client.force_login(user)
    setup = client.get(reverse("accounts:two_factor_setup"))
    audit_page(setup)
    assert 'inputmode="numeric"' in setup.content.decode()
    assert 'autocomplete="one-time-code"' in setup.content.decode()
    user.totp_device.confirmed = True
    user.totp_device.save()
    verify = client.get(reverse("accounts:two_factor_verify"))
    audit_page(verify)
    assert 'inputmode="numeric"' in verify.content.decode()


def test_pages_are_translated_paths_in_english(client: Client, make_member: Any) -> None:
    login_verified(client, make_member(Role.VIEWER))
    assert client.get("/en/staff/").status_code == 200
    assert client.get("/en/staff/password/").status_code == 200


def test_permission_helpers_follow_the_grants(
    make_member: Any, organisation: Organisation, other_organisation: Organisation
) -> None:
    analyst = make_member(Role.ANALYST)
    assert has_permission(analyst, Permission.VIEW_TASKS)
    assert has_permission(analyst, Permission.VIEW_TASKS, organisation)
    assert not has_permission(analyst, Permission.VIEW_TASKS, other_organisation)
    assert not has_permission(analyst, Permission.MANAGE_MEMBERS)
    assert organisations_with(analyst, Permission.VIEW_TASKS) == [organisation]
    assert organisation_for(analyst, organisation.slug, Permission.VIEW_ORGANISATION) == organisation
    root = User.objects.create_superuser("root")
    assert has_permission(root, Permission.MANAGE_MEMBERS, other_organisation)
    inactive = make_member(Role.ADMIN)
    inactive.is_active = False
    inactive.save()
    assert not has_permission(inactive, Permission.VIEW_STAFF_HOME)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/accounts/user/",
        "/admin/accounts/organisation/",
        "/admin/accounts/membership/",
        "/admin/accounts/membership/add/",
        "/admin/accounts/totpdevice/",
        "/admin/accounts/backupcode/",
        "/admin/accounts/throttlefailure/",
    ],
)
def test_accounts_models_are_in_the_admin(client: Client, db: None, path: str) -> None:
    login_verified(client, User.objects.create_superuser("root"))
    assert client.get(path).status_code == 200


def test_admin_shows_the_user_with_memberships_but_never_the_totp_secret(
    client: Client, make_member: Any
) -> None:
    member = make_member(Role.ANALYST)
    totp = give_device(member)
    login_verified(client, User.objects.create_superuser("root"))
    user_page = client.get(f"/admin/accounts/user/{member.pk}/change/").content.decode()
    assert "Test Beroepsvereniging" in user_page
    device_page = client.get(f"/admin/accounts/totpdevice/{member.totp_device.pk}/change/").content.decode()
    assert totp.secret not in device_page


def test_membership_changes_in_the_admin_are_audited(
    client: Client, make_member: Any, organisation: Organisation
) -> None:
    root = User.objects.create_superuser("root")
    login_verified(client, root)
    newcomer = User.objects.create_user("newcomer")
    response = client.post(
        "/admin/accounts/membership/add/",
        {"user": newcomer.pk, "organisation": organisation.pk, "role": Role.VIEWER},
    )
    assert response.status_code == 302
    event = Event.objects.get(action="accounts.member_added")
    assert event.actor_id == root.pk
