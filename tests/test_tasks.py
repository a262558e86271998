"""Background tasks: the audit verification task in the real worker, progress, and the staff pages."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from django.tasks import TaskResultStatus, task
from django.test import Client
from django.urls import reverse
from django.utils.translation import override
from django_tasks_db.models import DBTaskResult

from accounts.models import Organisation
from accounts.roles import Role
from audit.actions import start_audit_verification
from audit.chain import record
from audit.models import Event
from jobs import progress
from jobs.models import TaskProgress
from tests.conftest import MakeMember, login_verified, run_worker, verified_client


@task()
def explode() -> None:
    raise ValueError("this task always fails")


def url(name: str, *args: object) -> str:
    with override("en"):
        return reverse(name, args=args)


@pytest.fixture
def admin(make_member: MakeMember) -> object:
    return make_member(Role.ADMIN)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("restore_signals")
def test_verification_runs_in_the_worker_and_shows_on_the_tasks_page(
    client: Client, make_member: MakeMember, admin: object
) -> None:
    for number in range(25):
        record("test.thing_changed", target=("test.thing", number))
    result_id = start_audit_verification(admin)

    started = Event.objects.get(action="audit.verification_started")
    assert (started.object_type, started.object_id) == ("task_result", result_id)
    assert started.actor_id == admin.pk  # type: ignore[attr-defined]

    run_worker()

    result = DBTaskResult.objects.get(id=result_id)
    assert result.status == TaskResultStatus.SUCCESSFUL
    value: dict[str, Any] = result.return_value or {}
    assert value["intact"] is True
    assert value["events"] == 26  # 25 events and the one that started the verification
    assert value["problem"] is None
    row = TaskProgress.objects.get(result_id=result_id)
    assert row.done == row.total == 26

    login_verified(client, make_member(Role.ANALYST))
    page = client.get(url("jobs:list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Verify the audit log" in html
    assert "Finished" in html
    assert "Audit log intact: 26 events" in html
    assert 'max="26" value="26"' in html
    assert "hx-trigger" not in html  # nothing queued or running: no polling

    detail = client.get(url("jobs:detail", result_id))
    assert detail.status_code == 200
    assert "Audit log intact: 26 events" in detail.content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("restore_signals")
def test_verification_of_a_damaged_log_reports_the_event(client: Client, admin: object) -> None:
    from django.db import connection

    for number in range(10):
        record("test.thing_changed", target=("test.thing", number))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_event SET object_id = 'other' WHERE sequence = 4")
    result_id = start_audit_verification(admin)
    run_worker()

    value: dict[str, Any] = DBTaskResult.objects.get(id=result_id).return_value or {}
    assert value["intact"] is False
    assert value["events"] == 3
    assert value["problem"] == "event #4 was changed after it was written"

    login_verified(client, admin)
    html = client.get(url("jobs:detail", result_id)).content.decode()
    assert "Audit log damaged: event #4 was changed after it was written" in html


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("restore_signals")
def test_failed_task_shows_its_error_class(client: Client, admin: object) -> None:
    result = explode.enqueue()
    run_worker()
    assert DBTaskResult.objects.get(id=result.id).status == TaskResultStatus.FAILED
    login_verified(client, admin)
    html = client.get(url("jobs:list")).content.decode()
    assert "Failed" in html
    assert "Error: ValueError" in html
    assert "this task always fails" not in html  # the class, never the message or traceback


@pytest.mark.django_db
def test_queued_task_page_polls_and_the_partial_stops_when_nothing_runs(
    client: Client, admin: object
) -> None:
    login_verified(client, admin)
    result_id = start_audit_verification(admin)
    page = client.get(url("jobs:list")).content.decode()
    assert f'hx-get="{url("jobs:list")}"' in page
    assert 'hx-trigger="every 2s"' in page
    assert "Queued" in page
    assert f'href="{url("jobs:list")}"' in page  # the plain refresh link for browsers without JavaScript

    partial = client.get(url("jobs:list"), headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert partial.content.decode().startswith('<div id="task-results"')
    assert "<h1>" not in partial.content.decode()
    assert "HX-Request" in partial["Vary"]

    detail = client.get(url("jobs:detail", result_id)).content.decode()
    assert 'hx-trigger="every 2s"' in detail

    DBTaskResult.objects.filter(id=result_id).update(status=TaskResultStatus.SUCCESSFUL, return_value={})
    finished = client.get(url("jobs:list"), headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in finished


@pytest.mark.django_db
def test_unknown_task_result_is_404(client: Client, admin: object) -> None:
    login_verified(client, admin)
    assert client.get(url("jobs:detail", uuid.uuid4())).status_code == 404


@pytest.mark.django_db
def test_tasks_pages_need_view_tasks(client: Client, make_member: MakeMember) -> None:
    result_id = start_audit_verification(None)
    assert verified_client(make_member(Role.VIEWER)).get(url("jobs:list")).status_code == 403
    assert verified_client(make_member(Role.VIEWER)).get(url("jobs:detail", result_id)).status_code == 403
    assert verified_client(make_member(Role.ANALYST)).get(url("jobs:list")).status_code == 200
    assert verified_client(make_member(Role.ANALYST)).get(url("jobs:detail", result_id)).status_code == 200
    anonymous = client.get(url("jobs:list"))
    assert anonymous.status_code == 302
    assert url("accounts:login") in anonymous["Location"]


def test_progress_writes_are_throttled(db: None) -> None:
    context = SimpleNamespace(task_result=SimpleNamespace(id=str(uuid.uuid4())))
    total = 100_000
    writes = sum(progress.report(context, done, total) for done in range(1, total + 1))
    # The first call and the last (completion) always write; the loop takes far less than a few seconds.
    assert 2 <= writes <= 10
    row = TaskProgress.objects.get(result_id=context.task_result.id)
    assert row.done == row.total == total
    assert row.percent == 100


@pytest.mark.django_db
class TestAuditLogPage:
    def test_admin_sees_events_of_their_organisation(self, organisation: Organisation, admin: object) -> None:
        other = Organisation.objects.create(name="Elders", slug="elders", kind=Organisation.Kind.OTHER)
        record("test.mine", target=("test.thing", "mine-1"), organisation=organisation)
        record("test.theirs", target=("test.thing", "theirs-1"), organisation=other)
        html = verified_client(admin).get(url("audit:list")).content.decode()
        assert "<caption>" in html
        assert "mine-1" in html
        assert organisation.name in html
        assert "theirs-1" not in html

    def test_filters_by_action_and_object(self, organisation: Organisation, admin: object) -> None:
        for number in range(3):
            record("test.one", target=("test.thing", f"thing-{number}"), organisation=organisation)
        record("test.two", target=("test.thing", "thing-x"), organisation=organisation)
        client = verified_client(admin)
        by_action = client.get(url("audit:list"), {"action": "test.two"}).content.decode()
        assert "thing-x" in by_action
        assert "thing-0" not in by_action
        by_object = client.get(url("audit:list"), {"object_type": "test.thing", "object_id": "thing-1"})
        html = by_object.content.decode()
        assert "thing-1" in html
        assert "thing-2" not in html

    def test_paginates(self, organisation: Organisation, admin: object) -> None:
        for number in range(60):
            record("test.many", target=("test.thing", f"item-{number:03}"), organisation=organisation)
        client = verified_client(admin)
        first = client.get(url("audit:list")).content.decode()
        assert "item-059" in first
        assert "item-000" not in first
        second = client.get(url("audit:list"), {"page": 2}).content.decode()
        assert "item-000" in second

    def test_viewer_and_analyst_get_403(self, make_member: MakeMember) -> None:
        for role in (Role.VIEWER, Role.ANALYST):
            assert verified_client(make_member(role)).get(url("audit:list")).status_code == 403

    def test_verify_button_queues_an_audited_task(self, admin: object) -> None:
        client = verified_client(admin)
        assert "Verify the audit log in the background" in client.get(url("audit:list")).content.decode()
        response = client.post(url("audit:verify"))
        result = DBTaskResult.objects.get()
        assert response.status_code == 302
        assert response["Location"] == url("jobs:detail", result.id)
        event = Event.objects.get(action="audit.verification_started")
        assert event.object_id == str(result.id)
        assert event.actor_id == admin.pk  # type: ignore[attr-defined]

    def test_verification_needs_maintenance_permission(self, make_member: MakeMember) -> None:
        analyst = verified_client(make_member(Role.ANALYST))
        assert analyst.post(url("audit:verify")).status_code == 403
        assert not DBTaskResult.objects.exists()

    def test_verification_start_is_post_only(self, admin: object) -> None:
        assert verified_client(admin).get(url("audit:verify")).status_code == 405
