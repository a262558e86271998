"""The runs pages: starting a run from the web (a background task run by the real worker), following its
stage, reading its figures, and the refusals (one run at a time, an unknown backend)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.translation import override

from accounts.roles import Role
from audit.models import Event
from linkage.models import LinkageRun
from registry.models import Incident
from tests.conftest import MakeMember, login_verified, run_worker
from tests.incident_helpers import store_fixture

pytestmark = pytest.mark.django_db


def url(name: str, *args: Any) -> str:
    with override("en"):
        return reverse(name, args=args)


@pytest.fixture
def analyst(client: Client, make_member: MakeMember) -> Client:
    return login_verified(client, make_member(Role.ANALYST))


# The worker commits and closes its connections, as in production: the test needs real transactions.
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("restore_signals")
def test_an_analyst_starts_a_run_and_follows_it_to_its_figures(analyst: Client) -> None:
    store_fixture()
    response = analyst.post(url("linkage:start"), {"backend": "duckdb"})
    queued = LinkageRun.objects.get()
    assert response.status_code == 302 and response["Location"] == url("linkage:run", queued.pk)
    assert queued.status == LinkageRun.Status.QUEUED and queued.started_by is not None
    page = analyst.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 2s"' in page and "<progress" in page

    run_worker()

    queued.refresh_from_db()
    assert queued.status == LinkageRun.Status.DONE
    assert Incident.objects.count() == queued.figures["clusters"] > 0
    with override("en"):
        page = analyst.get(url("linkage:run", queued.pk)).content.decode()
    assert "hx-trigger" not in page  # done: no more polling
    assert "Records compared" in page and "insecurity-insight" in page
    fragment = analyst.get(url("linkage:run", queued.pk), headers={"HX-Request": "true"}).content.decode()
    assert fragment.startswith('<div id="run-status"') and "<html" not in fragment
    assert Event.objects.filter(action="linkage.run_started", actor_id=queued.started_by_id).exists()
    with override("en"):
        listing = analyst.get(url("linkage:runs")).content.decode()
    assert f'href="{url("linkage:run", queued.pk)}"' in listing


def test_a_second_run_waits_for_the_first(analyst: Client) -> None:
    analyst.post(url("linkage:start"), {"backend": "duckdb"})
    with override("en"):
        response = analyst.post(url("linkage:start"), {"backend": "duckdb"}, follow=True)
    assert LinkageRun.objects.count() == 1
    assert "could not start" in response.content.decode() and "still queued" in response.content.decode()
    with override("en"):
        page = analyst.get(url("linkage:runs")).content.decode()
    assert "A run is queued or running" in page and 'action="' + url("linkage:start") not in page


def test_an_unknown_backend_is_refused_naming_the_field(analyst: Client) -> None:
    with override("en"):
        response = analyst.post(url("linkage:start"), {"backend": "hadoop"})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert not LinkageRun.objects.exists()


def test_a_failed_run_shows_its_error(analyst: Client) -> None:
    failed = LinkageRun.objects.create(
        backend="duckdb", status=LinkageRun.Status.FAILED, error="OptionsError: x"
    )
    with override("en"):
        page = analyst.get(url("linkage:run", failed.pk)).content.decode()
    assert "The run failed; the registry is as it was before." in page and "OptionsError: x" in page
    assert analyst.get(url("linkage:run", failed.pk + 1)).status_code == 404
