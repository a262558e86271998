"""The proximity check: incidents within the set distance of a facility are linked to it, and flagged when
the facility had been notified before the attack; it runs after linkage (a queued task), by command, and
its flag shows on the facility page and in the incident page's panel."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation
from accounts.roles import Role
from facilities import actions, proximity
from facilities.models import Facility, FacilityIncident, Party
from registry.models import Incident
from registry.signals import announce_incidents_changed
from tests.conftest import login_verified, run_worker

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]

HOSPITAL = (36.2021, 37.1343)  # Aleppo
NOTIFIED_ON = datetime.datetime(2024, 3, 1, 10, 0, tzinfo=datetime.UTC)


def north_of(place: tuple[float, float], metres: float) -> tuple[float, float]:
    return place[0] + metres / proximity.METRES_PER_DEGREE, place[1]


def attack(place: tuple[float, float], day: datetime.date | None, precision: str = "day") -> Incident:
    return Incident.objects.create(
        latitude=place[0],
        longitude=place[1],
        event_date=day,
        date_precision=precision if day else "",
        country_iso3="SYR",
    )


@pytest.fixture
def hospital(organisation: Organisation) -> Facility:
    return actions.register_facility(
        None,
        organisation,
        {
            "name": "Aleppo University Hospital",
            "facility_type": "hospital",
            "country_iso3": "SYR",
            "latitude": HOSPITAL[0],
            "longitude": HOSPITAL[1],
        },
    )


@pytest.fixture
def notified(hospital: Facility, organisation: Organisation) -> Facility:
    party = Party.objects.create(name="Armed forces of X", kind=Party.Kind.ARMED_FORCES)
    actions.create_notification(
        None,
        organisation,
        facilities=[hospital],
        parties=[party],
        language="en",
        sent_at=NOTIFIED_ON,
        method="email",
    )
    return hospital


def test_haversine_matches_a_known_distance() -> None:
    # A quarter of a great circle on the mean Earth radius (6,371,008.8 m), and one degree of latitude.
    assert proximity.haversine_m(0, 0, 0, 90) == pytest.approx(10_007_557, abs=1)
    assert proximity.haversine_m(10, 20, 11, 20) == pytest.approx(111_195, abs=1)
    assert proximity.haversine_m(*HOSPITAL, *north_of(HOSPITAL, 300)) == pytest.approx(300, abs=0.5)


def test_bounding_box_crosses_the_antimeridian() -> None:
    _south, _north, west, east = proximity.bounding_box(-17.0, 179.999, 1000)
    assert west > east and proximity.in_longitudes(-179.999, west, east)
    index = proximity.FacilityIndex([proximity.Point(1, -17.0, -179.999)])
    ((found, distance),) = index.near(-17.0, 179.999, 1000)
    assert found.pk == 1 and distance == pytest.approx(212.7, abs=1)


def test_attack_300_m_from_a_notified_facility_is_linked_and_flagged(notified: Facility) -> None:
    near = attack(north_of(HOSPITAL, 300), datetime.date(2024, 5, 10))

    result = proximity.check()

    link = FacilityIncident.objects.get(incident=near)
    assert link.facility == notified and link.distance_m == 300
    assert link.notified_before_attack is True and link.notification is not None
    assert (result.links, result.flagged, result.added) == (1, 1, 1)


def test_attack_5_km_away_is_not_linked(notified: Facility) -> None:
    attack(north_of(HOSPITAL, 5000), datetime.date(2024, 5, 10))

    result = proximity.check()

    assert result.links == 0 and not FacilityIncident.objects.exists()


def test_attack_before_the_notification_is_linked_but_not_flagged(notified: Facility) -> None:
    earlier = attack(north_of(HOSPITAL, 300), datetime.date(2024, 2, 20))
    same_day = attack(north_of(HOSPITAL, 200), datetime.date(2024, 3, 1))

    proximity.check()

    assert FacilityIncident.objects.get(incident=earlier).notified_before_attack is False
    # Sent the same day as the attack: which came first cannot be told, so no flag.
    assert FacilityIncident.objects.get(incident=same_day).notified_before_attack is False


def test_coarse_dates_count_from_their_first_possible_day(notified: Facility) -> None:
    # March 2024 may be 1 March, the day of the notification: not flagged. April 2024 is after it.
    march = attack(north_of(HOSPITAL, 100), datetime.date(2024, 3, 1), "month")
    april = attack(north_of(HOSPITAL, 100), datetime.date(2024, 4, 1), "month")
    year = attack(north_of(HOSPITAL, 100), datetime.date(2024, 1, 1), "year")
    undated = attack(north_of(HOSPITAL, 100), None)

    proximity.check()

    flags = dict(FacilityIncident.objects.values_list("incident_id", "notified_before_attack"))
    assert flags == {march.pk: False, april.pk: True, year.pk: False, undated.pk: False}


def test_prepared_notification_that_was_not_sent_does_not_flag(
    hospital: Facility, organisation: Organisation
) -> None:
    party = Party.objects.create(name="Group Y", kind=Party.Kind.NON_STATE_ARMED_GROUP)
    notification = actions.create_notification(
        None, organisation, facilities=[hospital], parties=[party], language="en"
    )
    near = attack(north_of(HOSPITAL, 300), datetime.date(2024, 5, 10))
    proximity.check()
    assert FacilityIncident.objects.get(incident=near).notified_before_attack is False

    actions.mark_sent(None, notification, sent_at=NOTIFIED_ON, method="letter")

    assert FacilityIncident.objects.get(incident=near).notified_before_attack is True


def test_check_follows_moves_and_retired_incidents(notified: Facility) -> None:
    moved = attack(north_of(HOSPITAL, 300), datetime.date(2024, 5, 10))
    retired = attack(north_of(HOSPITAL, 400), datetime.date(2024, 5, 11))
    proximity.check()
    Incident.objects.filter(pk=moved.pk).update(latitude=north_of(HOSPITAL, 800)[0])
    Incident.objects.filter(pk=retired.pk).update(status=Incident.Status.RETIRED)

    result = proximity.check()

    assert (result.changed, result.removed) == (1, 1)
    assert list(FacilityIncident.objects.values_list("incident_id", "distance_m")) == [(moved.pk, 800)]


def test_moving_a_facility_checks_it_again(notified: Facility) -> None:
    near = attack(north_of(HOSPITAL, 300), datetime.date(2024, 5, 10))
    proximity.check()

    actions.change_facility(None, notified, {"latitude": HOSPITAL[0] + 1.0})

    assert not FacilityIncident.objects.filter(incident=near).exists()


def test_distance_is_a_setting(notified: Facility, settings: Any) -> None:
    attack(north_of(HOSPITAL, 1500), datetime.date(2024, 5, 10))
    assert proximity.check().links == 0

    settings.FACILITY_PROXIMITY_METRES = 2000

    assert proximity.check().links == 1


def test_linkage_signal_queues_the_check_and_the_worker_links(
    notified: Facility, restore_signals: None, transactional_db: None
) -> None:
    near = attack(north_of(HOSPITAL, 300), datetime.date(2024, 5, 10))
    with transaction.atomic():
        announce_incidents_changed("linkage run")
        announce_incidents_changed("merge")  # a second request while one waits adds nothing

    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(task_path="facilities.tasks.check_proximity").count() == 1
    run_worker()

    assert FacilityIncident.objects.get(incident=near).notified_before_attack is True


def test_command_runs_the_check(notified: Facility) -> None:
    attack(north_of(HOSPITAL, 300), datetime.date(2024, 5, 10))
    out = io.StringIO()

    call_command("check_proximity", stdout=out)

    assert (
        "1 links (1 new, 0 changed, 0 removed), 1 near a facility notified before the attack"
        in out.getvalue()
    )


def test_facility_page_and_incident_panel_flag_the_attack(
    client: Client, make_member: Any, notified: Facility
) -> None:
    near = attack(north_of(HOSPITAL, 300), datetime.date(2024, 5, 10))
    proximity.check()
    login_verified(client, make_member(Role.ANALYST))

    page = " ".join(client.get(reverse("facilities:detail", args=[notified.pk])).content.decode().split())

    assert "Attacked after it was notified" in page
    assert f'<a href="{reverse("registry:detail", args=[near.pk])}">{near.number}</a>' in page
    assert "300 m away" in page

    panel = " ".join(render_to_string("facilities/incident_panel.html", {"incident": near}).split())
    assert "Attack on a notified facility:" in panel
    assert "Aleppo University Hospital" in panel and "300 m" in panel
    assert f"Yes: in N-{notified.notifications.get().pk:06d}, sent 2024-03-01" in panel


def test_incident_panel_is_empty_for_an_incident_far_from_facilities(notified: Facility) -> None:
    far = attack(north_of(HOSPITAL, 5000), timezone.localdate())
    proximity.check()

    assert render_to_string("facilities/incident_panel.html", {"incident": far}).strip() == ""
