"""The report handling policy page: only an organisation's administrators, clear errors, audited changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation
from accounts.roles import Role
from audit.models import Event
from meldpunt import actions, retention
from meldpunt.models import OrganisationPolicy, Report
from tests.conftest import MakeMember, verified_client
from tests.meldpunt_helpers import cleaned_report_data, route_everything_to

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]

VALID = {
    "acknowledge_within_working_days": "5",
    "retention_days_after_closure": "90",
    "notify_by_email": "on",
}


def policy_url(organisation: Organisation) -> str:
    return reverse("report_policy:edit", kwargs={"slug": organisation.slug})


@pytest.fixture
def admin(make_member: MakeMember) -> Client:
    return verified_client(make_member(Role.ADMIN))


def test_admin_sees_the_defaults_with_labels(admin: Client, organisation: Organisation) -> None:
    response = admin.get(policy_url(organisation))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert organisation.name in html
    assert "standard settings" in html
    assert '<label for="id_acknowledge_within_working_days"' in html
    assert '<label for="id_retention_days_after_closure"' in html
    assert 'value="2"' in html and 'value="365"' in html
    assert 'id="id_notify_by_email" checked' in html


def test_admin_saves_the_policy_and_the_change_is_audited(
    admin: Client, organisation: Organisation, make_member: MakeMember
) -> None:
    response = admin.post(policy_url(organisation), VALID)
    assert response.status_code == 302
    assert response["Location"] == policy_url(organisation)
    policy = OrganisationPolicy.objects.get(organisation=organisation)
    assert (policy.acknowledge_within_working_days, policy.retention_days_after_closure) == (5, 90)
    assert policy.notify_by_email is True
    event = Event.objects.get(action="meldpunt.policy_changed")
    assert event.organisation_id == organisation.pk
    assert event.details == {
        "changed": ["acknowledge_within_working_days", "retention_days_after_closure"],
        "acknowledge_within_working_days": [2, 5],
        "retention_days_after_closure": [365, 90],
    }
    assert (
        "The report handling policy has been saved." in admin.get(policy_url(organisation)).content.decode()
    )

    admin.post(policy_url(organisation), {**VALID, "notify_by_email": ""})
    assert OrganisationPolicy.objects.get(organisation=organisation).notify_by_email is False
    latest = Event.objects.filter(action="meldpunt.policy_changed").latest("sequence")
    assert latest.details == {"changed": ["notify_by_email"], "notify_by_email": [True, False]}


def test_saving_without_a_change_records_nothing(admin: Client, organisation: Organisation) -> None:
    admin.post(policy_url(organisation), VALID)
    admin.post(policy_url(organisation), VALID)
    assert Event.objects.filter(action="meldpunt.policy_changed").count() == 1
    assert "Nothing was changed." in admin.get(policy_url(organisation)).content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("acknowledge_within_working_days", "0", "Enter a number of working days from 1 to 30."),
        ("acknowledge_within_working_days", "31", "Enter a number of working days from 1 to 30."),
        ("acknowledge_within_working_days", "twee", "Enter a whole number of working days from 1 to 30."),
        ("acknowledge_within_working_days", "", "Enter a number of working days from 1 to 30."),
        ("retention_days_after_closure", "0", "Enter a number of days from 1 to 3650."),
        ("retention_days_after_closure", "3651", "Enter a number of days from 1 to 3650."),
        ("retention_days_after_closure", "1.5", "Enter a whole number of days from 1 to 3650."),
    ],
)
def test_bad_numbers_are_refused_with_a_clear_message(
    admin: Client, organisation: Organisation, field: str, value: str, message: str
) -> None:
    response = admin.post(policy_url(organisation), {**VALID, field: value})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'class="error-summary"' in html
    assert f'href="#id_{field}"' in html
    assert message in html
    assert 'aria-invalid="true"' in html
    assert not OrganisationPolicy.objects.exists()
    assert not Event.objects.filter(action="meldpunt.policy_changed").exists()


def test_admin_of_another_organisation_gets_404(
    make_member: MakeMember, organisation: Organisation, other_organisation: Organisation
) -> None:
    theirs = verified_client(make_member(Role.ADMIN, other_organisation))
    assert theirs.get(policy_url(organisation)).status_code == 404
    assert theirs.post(policy_url(organisation), VALID).status_code == 404
    assert theirs.get(policy_url(other_organisation)).status_code == 200
    assert not OrganisationPolicy.objects.filter(organisation=organisation).exists()


@pytest.mark.parametrize("role", [Role.CASE_HANDLER, Role.VIEWER, Role.ANALYST])
def test_members_who_are_not_admins_get_404(
    make_member: MakeMember, organisation: Organisation, role: Role
) -> None:
    member = verified_client(make_member(role))
    assert member.get(policy_url(organisation)).status_code == 404
    assert member.post(policy_url(organisation), VALID).status_code == 404
    assert not OrganisationPolicy.objects.exists()


def test_anonymous_visitors_go_to_the_login(client: Client, organisation: Organisation) -> None:
    response = client.get(policy_url(organisation))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_unknown_organisation_is_404(admin: Client) -> None:
    assert admin.get(reverse("report_policy:edit", kwargs={"slug": "does-not-exist"})).status_code == 404


def test_organisation_page_links_to_the_policy_for_admins_only(
    admin: Client, make_member: MakeMember, organisation: Organisation
) -> None:
    page = reverse("accounts:organisation", kwargs={"slug": organisation.slug})
    assert f'href="{policy_url(organisation)}"' in admin.get(page).content.decode()
    viewer = verified_client(make_member(Role.VIEWER))
    assert f'href="{policy_url(organisation)}"' not in viewer.get(page).content.decode()


def test_change_policy_refuses_unknown_fields(organisation: Organisation) -> None:
    with pytest.raises(ValueError):
        retention.change_policy(organisation, None, colour="blue")


def test_new_retention_period_applies_to_reports_closed_before(
    admin: Client, organisation: Organisation
) -> None:
    route_everything_to(organisation)
    report, _code = actions.submit_report(cleaned_report_data())
    Report.objects.filter(pk=report.pk).update(
        status=Report.Status.CLOSED, outcome="advice_given", closed_at=timezone.now() - timedelta(days=11)
    )
    assert not retention.due_for_erasure().exists()
    admin.post(policy_url(organisation), {**VALID, "retention_days_after_closure": "10"})
    assert list(retention.due_for_erasure()) == [report]
