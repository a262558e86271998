"""Emails to case handlers go through the real worker and never carry anything of the report itself."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.utils import translation

from accounts.models import Organisation
from accounts.roles import Role
from meldpunt import actions, notifications
from meldpunt.models import OrganisationPolicy, Party
from meldpunt.vocabulary import Kind, Profession
from tests.conftest import MakeMember, run_worker
from tests.meldpunt_helpers import NARRATIVE, REPORTER_NAME, cleaned_report_data, route_everything_to

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("restore_signals")]


@pytest.fixture
def handlers(organisation: Organisation, make_member: MakeMember) -> list[Any]:
    route_everything_to(organisation)
    first = make_member(Role.CASE_HANDLER, organisation, username="handler-one")
    second = make_member(Role.CASE_HANDLER, organisation, username="handler-two")
    for user in (first, second):
        user.email = f"{user.username}@example.nl"
        user.save()
    return [first, second]


def _submit() -> Any:
    report, _code = actions.submit_report(cleaned_report_data(name=REPORTER_NAME, email="r@example.org"))
    return report


def test_new_report_emails_each_handler_of_the_organisation_without_content(
    handlers: list[Any], other_organisation: Organisation, make_member: MakeMember
) -> None:
    outsider = make_member(Role.CASE_HANDLER, other_organisation, username="outsider")
    outsider.email = "outsider@example.nl"
    outsider.save()
    analyst = make_member(Role.ANALYST, handlers[0].memberships.first().organisation, username="analyst")
    analyst.email = "analyst@example.nl"
    analyst.save()

    report = _submit()
    run_worker()

    assert sorted(message.to[0] for message in mail.outbox) == [
        "handler-one@example.nl",
        "handler-two@example.nl",
    ]
    for message in mail.outbox:
        assert len(message.to) == 1
        assert f"#{report.pk}" in message.subject
        assert notifications.case_url(report) in message.body
        text = f"{message.subject}\n{message.body}"
        assert NARRATIVE not in text
        assert REPORTER_NAME not in text
        assert "r@example.org" not in text
        # Nothing structured either: not the kind of incident nor the profession, in either language.
        for language in ("nl", "en"):
            with translation.override(language):
                for label in [str(Kind.VERBAL_THREAT.label), str(Profession.GENERAL_PRACTITIONER.label)]:
                    assert label not in text


def test_no_email_when_the_organisation_turned_notifications_off(
    handlers: list[Any], organisation: Organisation
) -> None:
    OrganisationPolicy.objects.create(organisation=organisation, notify_by_email=False)
    _submit()
    run_worker()
    assert mail.outbox == []


def test_reporter_message_goes_to_the_assigned_handler_only(handlers: list[Any]) -> None:
    report = _submit()
    run_worker()
    mail.outbox.clear()
    report.assigned_to = handlers[1]
    report.save(update_fields=["assigned_to"])
    # The reporter's side holds the report key through the receipt code; any key opens nothing here since
    # the body is sealed with whatever key is passed: the email path never reads it.
    actions.add_message(report, b"k" * 32, "Er is weer een brief gekomen.", author_kind=Party.REPORTER)
    run_worker()
    assert [message.to for message in mail.outbox] == [["handler-two@example.nl"]]
    assert "brief" not in mail.outbox[0].body


def test_emails_are_in_dutch_by_default(handlers: list[Any]) -> None:
    report = _submit()
    run_worker()
    assert mail.outbox[0].subject.startswith("[ZorgVeilig] ")
    assert f"Nieuwe melding #{report.pk}" in mail.outbox[0].subject


def test_assignment_emails_the_assignee_only_while_they_handle_cases_there(handlers: list[Any]) -> None:
    report = _submit()
    run_worker()
    mail.outbox.clear()
    notifications.assigned(report, handlers[1])
    run_worker()
    assert [message.to for message in mail.outbox] == [["handler-two@example.nl"]]
    assert f"Zaak #{report.pk} is aan jou toegewezen" in mail.outbox[0].subject

    mail.outbox.clear()
    handlers[1].memberships.update(role=Role.VIEWER)
    notifications.assigned(report, handlers[1])
    run_worker()
    assert mail.outbox == []
