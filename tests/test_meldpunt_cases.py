"""The case queue, the actions' optimistic concurrency under real parallel writers, and the demo cases."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import demo
from accounts.models import Membership, Organisation, User
from accounts.roles import Role
from accounts.twofactor import VERIFIED_SESSION_KEY
from audit.models import Event
from meldpunt import actions, case_views, cases, sealing
from meldpunt.models import Message, Party, Report, ReportKey, StatusChange
from tests.conftest import login_verified
from tests.meldpunt_helpers import cleaned_report_data, give_key_pair, route_everything_to

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]

STALE = "Someone else changed this case while you were looking at it"


def report_for(organisation: Organisation, **overrides: Any) -> tuple[Report, str]:
    route_everything_to(organisation)
    return actions.submit_report(cleaned_report_data(**overrides))


def queue_html(client: Client, **filters: Any) -> str:
    response = client.get(reverse("cases:queue"), filters)
    assert response.status_code == 200
    return response.content.decode()


def case_link(report: Report) -> str:
    return f'href="{reverse("cases:detail", args=[report.pk])}"'


@pytest.fixture
def handler(make_member: Any) -> User:
    return make_member(Role.CASE_HANDLER, username="queue-handler")


@pytest.fixture
def client_(handler: User) -> Client:
    return login_verified(Client(), handler)


# The queue ---------------------------------------------------------------------------------------------------


def test_queue_lists_open_cases_of_own_organisations_only(
    client_: Client, organisation: Organisation, other_organisation: Organisation
) -> None:
    mine, _code = report_for(organisation)
    closed, _code = report_for(organisation)
    Report.objects.filter(pk=closed.pk).update(status="closed", outcome="other")
    route_everything_to(other_organisation, profession="apotheker")
    theirs, _code = actions.submit_report(cleaned_report_data(profession="apotheker"))
    assert theirs.organisation == other_organisation

    html = queue_html(client_)
    assert case_link(mine) in html
    assert case_link(closed) not in html
    assert case_link(theirs) not in html
    assert "<caption>1 case, newest first</caption>" in html
    assert "Intimidation, Verbal threat" in html
    assert "General practitioner (huisarts)" in html
    assert '<th scope="col">' in html

    closed_only = queue_html(client_, status="closed")
    assert case_link(closed) in closed_only and case_link(mine) not in closed_only


def test_queue_filters_by_assignee(client_: Client, handler: User, organisation: Organisation) -> None:
    give_key_pair(handler)
    mine, _code = report_for(organisation)
    nobodys, _code = report_for(organisation)
    cases.assign(mine, handler, handler, expected_version=1)

    html = queue_html(client_, assigned="me")
    assert case_link(mine) in html and case_link(nobodys) not in html
    assert handler.username in html
    html = queue_html(client_, assigned="nobody")
    assert case_link(nobodys) in html and case_link(mine) not in html


def test_queue_marks_and_filters_overdue_cases_in_words(client_: Client, organisation: Organisation) -> None:
    late, _code = report_for(organisation)
    fresh_report, _code = report_for(organisation)
    Report.objects.filter(pk=late.pk).update(acknowledge_by=timezone.now() - timedelta(hours=1))

    html = queue_html(client_)
    assert html.count('class="overdue">Overdue</strong>') == 1
    overdue_only = queue_html(client_, overdue="on")
    assert case_link(late) in overdue_only and case_link(fresh_report) not in overdue_only


def test_queue_filters_by_organisation_for_handlers_of_several(
    make_member: Any, organisation: Organisation, other_organisation: Organisation
) -> None:
    handler = make_member(Role.CASE_HANDLER, organisation)
    Membership.objects.create(user=handler, organisation=other_organisation, role=Role.CASE_HANDLER)
    client = login_verified(Client(), handler)
    ours, _code = report_for(organisation)
    route_everything_to(other_organisation, profession="apotheker")
    theirs, _code = actions.submit_report(cleaned_report_data(profession="apotheker"))

    html = queue_html(client)
    assert case_link(ours) in html and case_link(theirs) in html
    assert "Test Ziekenhuis" in html  # the organisation column appears with more than one
    only_theirs = queue_html(client, organisation=other_organisation.pk)
    assert case_link(theirs) in only_theirs and case_link(ours) not in only_theirs


def test_queue_shows_unread_reporter_messages(client_: Client, organisation: Organisation) -> None:
    report, code = report_for(organisation)
    key = sealing.unlock_with_receipt(report, code)
    assert key is not None
    actions.add_message(report, key, "Is er al nieuws?", author_kind=Party.REPORTER)
    actions.add_message(report, key, "Ik hoor graag van u.", author_kind=Party.REPORTER)
    assert '<strong class="unread">2 messages</strong>' in queue_html(client_)


def test_unread_counts_of_the_queue_match_the_single_case_count(organisation: Organisation) -> None:
    """The queue counts in one query what unread_from_reporter counts per case: messages from the reporter
    since the handler last wrote."""
    quiet, _code = report_for(organisation)
    answered, answered_code = report_for(organisation)
    waiting, waiting_code = report_for(organisation)
    for report, code, parties in [
        (answered, answered_code, [Party.REPORTER, Party.HANDLER]),
        (waiting, waiting_code, [Party.REPORTER, Party.HANDLER, Party.REPORTER, Party.REPORTER]),
    ]:
        key = sealing.unlock_with_receipt(report, code)
        assert key is not None
        start = timezone.now() - timedelta(hours=1)
        for minute, party in enumerate(parties):
            message = actions.add_message(report, key, "bericht", author_kind=party)
            # One minute apart: the order must not depend on the clock's resolution.
            Message.objects.filter(pk=message.pk).update(created_at=start + timedelta(minutes=minute))
    annotated = cases.with_unread_counts(Report.objects.all())
    counted = {report.pk: report.unread for report in annotated}  # type: ignore[attr-defined]
    assert counted == {quiet.pk: 0, answered.pk: 0, waiting.pk: 2}
    assert counted == {report.pk: cases.unread_from_reporter(report) for report in Report.objects.all()}


def test_queue_is_paginated(client_: Client, organisation: Organisation, monkeypatch: Any) -> None:
    monkeypatch.setattr(case_views, "PAGE_SIZE", 2)
    reports = [report_for(organisation)[0] for _number in range(3)]
    first = queue_html(client_)
    assert "Page 1 of 2" in first
    assert case_link(reports[2]) in first and case_link(reports[0]) not in first
    second = queue_html(client_, page=2)
    assert case_link(reports[0]) in second
    assert 'rel="prev"' in second


def test_empty_queue_says_so(client_: Client) -> None:
    assert "There are no open cases." in queue_html(client_)
    assert "No cases match these filters." in queue_html(client_, status="referred")


def test_queue_needs_the_case_handling_permission(make_member: Any) -> None:
    analyst = login_verified(Client(), make_member(Role.ANALYST))
    assert analyst.get(reverse("cases:queue")).status_code == 403


# Optimistic concurrency in the actions -----------------------------------------------------------------------


def test_change_on_an_outdated_version_is_stale_before_it_is_judged(
    handler: User, organisation: Organisation
) -> None:
    report, _code = report_for(organisation)
    cases.change_status(report, handler, "in_triage", expected_version=1)
    # The other handler still had version 1 and chose what is now the current status.
    theirs = Report.objects.get(pk=report.pk)
    with pytest.raises(cases.StaleCase) as stale:
        cases.change_status(theirs, handler, "in_triage", expected_version=1)
    assert stale.value.report.version == 2
    with pytest.raises(cases.StaleCase):
        cases.reopen(theirs, handler, expected_version=1)
    with pytest.raises(cases.StaleCase):
        cases.assign(theirs, handler, None, expected_version=1)
    assert StatusChange.objects.filter(report=report).count() == 1


def _is_shared_cache_sqlite() -> bool:
    return connection.vendor == "sqlite" and bool(connection.is_in_memory_db())  # type: ignore[attr-defined]


@pytest.mark.django_db(transaction=True)
def test_two_threads_change_one_case_at_once_and_exactly_one_wins(
    organisation: Organisation, make_member: Any
) -> None:
    if _is_shared_cache_sqlite():
        # Threads share the in-memory test database through SQLite's shared cache, whose table locks fail at
        # once instead of waiting. test_two_processes_... below races two processes on a SQLite file.
        pytest.skip("in-memory SQLite: see test_two_processes_change_one_case_at_once_and_exactly_one_wins")
    first, second = make_member(Role.CASE_HANDLER), make_member(Role.CASE_HANDLER)
    report, _code = report_for(organisation)
    start = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def work(user: User, to_status: str) -> None:
        try:
            mine = Report.objects.get(pk=report.pk)  # both load version 1
            start.wait(timeout=10)
            cases.change_status(mine, user, to_status, expected_version=mine.version)
            outcomes[user.pk] = "won"
        except cases.StaleCase:
            outcomes[user.pk] = "stale"
        except BaseException as error:
            outcomes[user.pk] = repr(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=work, args=(first, "in_triage")),
        threading.Thread(target=work, args=(second, "in_progress")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()) == ["stale", "won"], outcomes
    report.refresh_from_db()
    winner = next(user_id for user_id, outcome in outcomes.items() if outcome == "won")
    assert report.version == 2
    assert report.status == ("in_triage" if winner == first.pk else "in_progress")
    assert list(StatusChange.objects.filter(report=report).values_list("changed_by_id", flat=True)) == [
        winner
    ]
    assert Event.objects.filter(action="meldpunt.case_status_changed").count() == 1


RACER = """
import os, time
from pathlib import Path
from accounts.models import User
from meldpunt import cases
from meldpunt.models import Report
report = Report.objects.get()
user = User.objects.get(username=os.environ["RACER"])
Path(os.environ["RACER_READY"]).touch()  # has loaded version 1
go = Path(os.environ["RACER_GO"])
while not go.exists():
    time.sleep(0.002)
try:
    cases.change_status(report, user, os.environ["RACER_STATUS"], expected_version=report.version)
    print("won")
except cases.StaleCase:
    print("stale")
"""

SETUP = """
from accounts.models import Membership, Organisation, User
from meldpunt import actions
from meldpunt.models import RoutingRule
from tests.meldpunt_helpers import cleaned_report_data
organisation = Organisation.objects.create(name="Race", slug="race", kind="professional_association")
for name in ("racer-a", "racer-b"):
    user = User.objects.create_user(name)
    Membership.objects.create(user=user, organisation=organisation, role="case_handler")
RoutingRule.objects.create(organisation=organisation)
actions.submit_report(cleaned_report_data())
"""


def test_two_processes_change_one_case_at_once_and_exactly_one_wins(tmp_path: Path) -> None:
    """Two processes on one SQLite file (as the site's workers share it), released at the same moment."""
    root = Path(__file__).resolve().parent.parent
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    environment.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'race.sqlite3'}",
        ZORGVEILIG_DATA_DIR=str(tmp_path / "data"),
        ZORGVEILIG_HTTPS="0",
        DJANGO_SETTINGS_MODULE="zorgveilig.settings",
        PYTHONPATH=str(root),
    )
    zorgveilig = str(Path(sys.executable).parent / "zorgveilig")

    def run(*args: str) -> None:
        subprocess.run([zorgveilig, *args], env=environment, cwd=root, check=True, timeout=180)

    run("migrate", "--no-input", "--verbosity", "0")
    run("shell", "--no-imports", "-c", SETUP)
    go = tmp_path / "go"
    racers = [
        subprocess.Popen(
            [zorgveilig, "shell", "--no-imports", "-c", RACER],
            env={
                **environment,
                "RACER": name,
                "RACER_STATUS": status,
                "RACER_READY": str(tmp_path / name),
                "RACER_GO": str(go),
            },
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, status in (("racer-a", "in_triage"), ("racer-b", "in_progress"))
    ]
    for _tick in range(6000):
        if all((tmp_path / name).exists() for name in ("racer-a", "racer-b")):
            break
        assert all(racer.poll() is None for racer in racers), [racer.communicate() for racer in racers]
        threading.Event().wait(0.01)
    go.touch()
    results = []
    for racer in racers:
        out, err = racer.communicate(timeout=120)
        assert racer.returncode == 0, err
        results.append(out.strip())
    assert sorted(results) == ["stale", "won"]


# Demo data ---------------------------------------------------------------------------------------------------


def test_demo_data_fills_the_queue_with_varied_cases_once(settings: Any) -> None:
    settings.DEMO_MODE = True
    demo.load_demo()
    association = Organisation.objects.get(slug=demo.ASSOCIATION)
    reports = Report.objects.filter(organisation=association)
    assert 5 <= reports.count() <= 8
    assert set(reports.values_list("status", flat=True)) == set(Report.Status.values)
    assert reports.filter(source=Report.Source.PHONE).count() == 1
    assert Message.objects.filter(report__in=reports, author_kind=Party.REPORTER).exists()
    assert any(cases.is_overdue(report) for report in reports)
    handler = User.objects.get(username="demo-case-handler")
    admin = User.objects.get(username="demo-admin")
    assert all(cases.can_read(handler, report) and cases.can_read(admin, report) for report in reports)
    assert reports.filter(assigned_to=handler).exists()

    counts = (
        Report.objects.count(),
        Message.objects.count(),
        ReportKey.objects.count(),
        Event.objects.count(),
    )
    demo.load_demo()
    assert (
        Report.objects.count(),
        Message.objects.count(),
        ReportKey.objects.count(),
        Event.objects.count(),
    ) == counts


def test_demo_case_handler_logs_in_and_reads_a_demo_case(settings: Any) -> None:
    settings.DEMO_MODE = True
    demo.load_demo()
    client = Client()
    login = client.post(
        reverse("accounts:login"), {"username": "demo-case-handler", "password": demo.DEMO_PASSWORD}
    )
    assert login.status_code == 302
    session = client.session
    session[VERIFIED_SESSION_KEY] = True
    session.save()
    queue = client.get(reverse("cases:queue")).content.decode()
    assert "Overdue" in queue
    report = Report.objects.filter(status="in_triage").get()
    page = client.get(reverse("cases:detail", args=[report.pk])).content.decode()
    assert "[DEMO" in page
    assert "Ja, ik heb schermafbeeldingen" in page
