"""The rate limit on new reports: per network and over everyone, nothing stored when refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.models import Organisation, ThrottleFailure
from meldpunt.models import Report
from tests.meldpunt_helpers import (
    REMOTE_ADDR,
    anonymous_client,
    route_everything_to,
    submit,
    valid_report_data,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]


@pytest.fixture(autouse=True)
def receiving(organisation: Organisation) -> Organisation:
    route_everything_to(organisation)
    return organisation


def test_network_over_its_limit_is_refused_and_nothing_is_stored(settings: Any) -> None:
    settings.MELDPUNT_REPORT_RATE_LIMIT = 2
    client = anonymous_client()
    assert [submit(client).status_code for _ in range(2)] == [200, 200]
    response = submit(client)
    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many reports were sent from your network" in html
    assert "Nothing was stored" in html
    # What the reporter typed is still in the form, so nothing they wrote is lost.
    assert valid_report_data()["narrative"] in html
    assert Report.objects.count() == 2
    # Another network can still report.
    assert submit(Client(REMOTE_ADDR="198.51.100.20")).status_code == 200
    assert Report.objects.count() == 3


def test_invalid_submissions_do_not_count(settings: Any) -> None:
    settings.MELDPUNT_REPORT_RATE_LIMIT = 1
    client = anonymous_client()
    assert submit(client, valid_report_data(narrative="")).status_code == 400
    assert submit(client).status_code == 200
    assert submit(client).status_code == 429


def test_ceiling_over_all_networks(settings: Any) -> None:
    settings.MELDPUNT_REPORT_GLOBAL_RATE_LIMIT = 2
    for number in range(2):
        assert submit(Client(REMOTE_ADDR=f"192.0.{number}.1")).status_code == 200
    assert submit(Client(REMOTE_ADDR="198.51.100.9")).status_code == 429


def test_the_limit_keeps_no_address() -> None:
    submit(anonymous_client())
    assert ThrottleFailure.objects.count() == 2
    for row in ThrottleFailure.objects.all():
        assert REMOTE_ADDR not in row.key_hash and "203.0.113" not in row.key_hash
