"""The facility pages: who may see and change what (facilities.access), registering and changing a
facility, its status history, parties, and a notification from making it to its acknowledgement."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation
from accounts.roles import Role
from audit.models import Event
from facilities import actions
from facilities.models import Facility, FacilityStatusChange, Notification, NotificationParty, Party
from tests.conftest import login_verified, verified_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]

VIEWERS = (Role.FIELD_DOCUMENTER, Role.ANALYST, Role.ADMIN)
OTHERS = (Role.VIEWER, Role.CASE_HANDLER, Role.PROFESSION_EDITOR)
FACILITY_FORM = {
    "name": "Al-Quds Hospital",
    "facility_type": "hospital",
    "operator": "PRCS",
    "country_iso3": "PSE",
    "admin1": "Gaza",
    "latitude": "31.5146",
    "longitude": "34.4478",
    "external_id": "PRCS-7",
    "status": "functional",
}


@pytest.fixture
def facility(organisation: Organisation) -> Facility:
    return actions.register_facility(
        None,
        organisation,
        {
            "name": "Clinic Nord",
            "facility_type": "clinic",
            "country_iso3": "SYR",
            "latitude": 36.2,
            "longitude": 37.1,
        },
    )


@pytest.fixture
def party() -> Party:
    return Party.objects.create(name="Armed forces of X", kind=Party.Kind.ARMED_FORCES)


@pytest.fixture
def notification(organisation: Organisation, facility: Facility, party: Party) -> Notification:
    return actions.create_notification(
        None, organisation, facilities=[facility], parties=[party], language="en"
    )


def urls(facility: Facility) -> list[str]:
    return [
        reverse("facilities:list"),
        reverse("facilities:detail", args=[facility.pk]),
        reverse("facilities:parties"),
        reverse("facilities:notifications"),
    ]


@pytest.mark.parametrize("role", VIEWERS)
def test_those_who_document_or_analyse_see_the_pages(
    make_member: Any, facility: Facility, role: Role
) -> None:
    client = verified_client(make_member(role))

    for url in urls(facility):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", OTHERS)
def test_other_staff_are_refused(make_member: Any, facility: Facility, role: Role) -> None:
    client = verified_client(make_member(role))

    for url in urls(facility):
        assert client.get(url).status_code == 403, url


def test_anonymous_visitors_go_to_the_login(client: Client, facility: Facility) -> None:
    response = client.get(reverse("facilities:detail", args=[facility.pk]))

    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_field_documenter_registers_a_facility(client: Client, make_member: Any) -> None:
    documenter = make_member(Role.FIELD_DOCUMENTER)
    login_verified(client, documenter)

    response = client.post(reverse("facilities:new"), FACILITY_FORM)

    facility = Facility.objects.get(name="Al-Quds Hospital")
    assert response.status_code == 302 and response["Location"] == reverse(
        "facilities:detail", args=[facility.pk]
    )
    assert (facility.latitude, facility.longitude, facility.created_by) == (31.5146, 34.4478, documenter)
    assert facility.location_public is False
    assert facility.status_changes.get().status == "functional"
    assert Event.objects.filter(action="facilities.facility_registered", object_id=str(facility.pk)).exists()


def test_registering_with_coordinates_out_of_range_names_the_field(client: Client, make_member: Any) -> None:
    login_verified(client, make_member(Role.FIELD_DOCUMENTER))

    response = client.post(
        reverse("facilities:new"), {**FACILITY_FORM, "latitude": "95", "country_iso3": "XYZ"}
    )

    assert response.status_code == 400
    text = response.content.decode()
    assert "Latitude: Ensure this value is less than or equal to 90.0." in text
    assert "Country: Select a valid choice." in text
    assert not Facility.objects.exists()


def test_analyst_may_not_register_or_record_a_status(make_member: Any, facility: Facility) -> None:
    client = verified_client(make_member(Role.ANALYST))

    assert client.get(reverse("facilities:new")).status_code == 403
    assert client.post(reverse("facilities:import")).status_code == 403
    response = client.post(
        reverse("facilities:status", args=[facility.pk]), {"date": "2024-01-02", "status": "not_functional"}
    )
    assert response.status_code == 403


def test_field_documenter_of_another_organisation_records_damage_but_cannot_edit(
    make_member: Any, facility: Facility, other_organisation: Organisation
) -> None:
    client = verified_client(make_member(Role.FIELD_DOCUMENTER, other_organisation))

    assert client.get(reverse("facilities:edit", args=[facility.pk])).status_code == 403
    response = client.post(
        reverse("facilities:status", args=[facility.pk]),
        {"date": timezone.localdate().isoformat(), "status": "not_functional", "damage": "destroyed"},
    )

    assert response.status_code == 302
    facility.refresh_from_db()
    assert facility.status == "not_functional"
    assert FacilityStatusChange.objects.filter(facility=facility, damage="destroyed").exists()


def test_admin_of_another_organisation_cannot_edit_but_a_superuser_can(
    make_member: Any, facility: Facility, other_organisation: Organisation
) -> None:
    admin = verified_client(make_member(Role.ADMIN, other_organisation))
    assert admin.get(reverse("facilities:edit", args=[facility.pk])).status_code == 403

    root = verified_client(get_user_model().objects.create_superuser("root"))
    response = root.post(
        reverse("facilities:edit", args=[facility.pk]),
        {**FACILITY_FORM, "name": "Clinic North", "external_id": ""},
    )

    assert response.status_code == 302
    assert Facility.objects.get(pk=facility.pk).name == "Clinic North"
    event = Event.objects.get(action="facilities.facility_changed")
    assert "name" in event.details["fields"]


def test_older_status_observation_does_not_replace_the_current_status(facility: Facility) -> None:
    actions.record_status(None, facility, date=timezone.localdate(), status="not_functional")

    actions.record_status(None, facility, date=datetime.date(2000, 1, 1), status="partly_functional")

    facility.refresh_from_db()
    assert facility.status == "not_functional"
    assert facility.status_changes.count() == 3


def test_status_in_the_future_is_refused(make_member: Any, facility: Facility) -> None:
    client = verified_client(make_member(Role.FIELD_DOCUMENTER))

    response = client.post(
        reverse("facilities:status", args=[facility.pk]), {"date": "2999-01-01", "status": "functional"}
    )

    assert response.status_code == 400
    assert "Date: The date cannot be in the future." in response.content.decode()


def test_parties_are_added_by_field_documenters(make_member: Any) -> None:
    client = verified_client(make_member(Role.FIELD_DOCUMENTER))

    response = client.post(
        reverse("facilities:party_new"),
        {"name": "UN OCHA HNS", "kind": "humanitarian_notification_system", "contact": "hns@un.invalid"},
    )

    assert response.status_code == 302
    assert Party.objects.get().name == "UN OCHA HNS"
    assert Event.objects.filter(action="facilities.party_added").exists()
    assert verified_client(make_member(Role.ANALYST)).get(reverse("facilities:party_new")).status_code == 403


def test_notification_from_making_to_acknowledgement(
    make_member: Any, facility: Facility, party: Party
) -> None:
    client = verified_client(make_member(Role.FIELD_DOCUMENTER))
    form = client.get(reverse("facilities:notification_new") + f"?facility={facility.pk}")
    assert form.status_code == 200 and f'value="{facility.pk}" id="id_facilities_0" checked' in " ".join(
        form.content.decode().split()
    )

    response = client.post(
        reverse("facilities:notification_new"),
        {"facilities": [facility.pk], "parties": [party.pk], "language": "en"},
    )
    notification = Notification.objects.get()
    assert (
        response.status_code == 302
        and notification.sent_at is None
        and len(notification.package_sha256) == 64
    )

    response = client.post(
        reverse("facilities:notification_sent", args=[notification.pk]),
        {"sent_at": "2024-03-01T10:00", "method": "email"},
    )
    assert response.status_code == 302
    recipient = NotificationParty.objects.get()
    response = client.post(
        reverse("facilities:notification_acknowledge", args=[notification.pk]),
        {
            "recipient": recipient.pk,
            "acknowledged_at": "2024-03-02T09:30",
            "acknowledged_by": "Liaison office",
        },
    )

    assert response.status_code == 302
    recipient.refresh_from_db()
    notification.refresh_from_db()
    assert notification.method == "email" and notification.sent_at is not None
    assert recipient.acknowledged_by == "Liaison office" and recipient.acknowledged_at is not None
    actions_logged = set(Event.objects.values_list("action", flat=True))
    assert {
        "facilities.notification_created",
        "facilities.notification_sent",
        "facilities.notification_acknowledged",
    } <= actions_logged
    page = " ".join(
        client.get(reverse("facilities:notification", args=[notification.pk])).content.decode().split()
    )
    assert "Liaison office" in page and notification.package_sha256 in page


def test_notification_needs_facilities_parties_and_a_method_when_sent(make_member: Any) -> None:
    client = verified_client(make_member(Role.FIELD_DOCUMENTER))

    response = client.post(
        reverse("facilities:notification_new"), {"language": "en", "sent_at": "2024-03-01T10:00"}
    )

    assert response.status_code == 400
    text = response.content.decode()
    assert "Choose at least one facility." in text and "Say how it was sent." in text
    assert not Notification.objects.exists()


def test_notification_of_another_organisation_does_not_exist(
    make_member: Any, notification: Notification, other_organisation: Organisation
) -> None:
    client = verified_client(make_member(Role.ADMIN, other_organisation))

    for name in ("facilities:notification", "facilities:notification_package"):
        assert client.get(reverse(name, args=[notification.pk])).status_code == 404
    response = client.post(
        reverse("facilities:notification_sent", args=[notification.pk]),
        {"sent_at": "2024-03-01T10:00", "method": "email"},
    )
    assert response.status_code == 404
    assert client.get(reverse("facilities:notifications")).content.decode().count(notification.number) == 0


def test_analyst_sees_a_notification_but_cannot_change_it(
    make_member: Any, notification: Notification
) -> None:
    client = verified_client(make_member(Role.ANALYST))

    page = client.get(reverse("facilities:notification", args=[notification.pk]))
    assert page.status_code == 200 and "Mark acknowledged" not in page.content.decode()
    response = client.post(
        reverse("facilities:notification_acknowledge", args=[notification.pk]),
        {
            "recipient": notification.recipients.get().pk,
            "acknowledged_at": "2024-03-02T09:30",
            "acknowledged_by": "X",
        },
    )
    assert response.status_code == 404


def test_check_now_queues_the_proximity_task_once(make_member: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    client = verified_client(make_member(Role.ANALYST))

    first = client.post(reverse("facilities:check_proximity"), follow=True)
    client.post(reverse("facilities:check_proximity"))

    assert "The check of incidents near facilities is queued" in first.content.decode()
    assert DBTaskResult.objects.filter(task_path="facilities.tasks.check_proximity").count() == 1


def test_list_filters_by_country_and_shows_the_map_data(
    make_member: Any, facility: Facility, organisation: Organisation
) -> None:
    actions.register_facility(
        None,
        organisation,
        {
            "name": "Kyiv Pharmacy",
            "facility_type": "pharmacy",
            "country_iso3": "UKR",
            "latitude": 50.45,
            "longitude": 30.5,
        },
    )
    client = verified_client(make_member(Role.ANALYST))

    response = client.get(reverse("facilities:list"), {"country": "UKR"})

    text = response.content.decode()
    assert "Kyiv Pharmacy" in text and "Clinic Nord" not in text
    features = response.context["map"]["features"]["features"]
    assert [feature["geometry"]["coordinates"] for feature in features] == [[30.5, 50.45]]
    assert 'id="facility-map-config" type="application/json"' in text
