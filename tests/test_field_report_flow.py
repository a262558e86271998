"""The reviewer's path end to end, with the real worker: a field documenter registers an attack near a
hospital that was notified to the parties; the report is linked on its own, and the attack is flagged."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from accounts.roles import Role
from facilities import actions as facility_actions
from facilities.models import FacilityIncident, Party
from registry import field_reports
from registry.models import IncidentLink
from tests.conftest import MakeMember, run_worker

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_attack_reported_near_a_notified_hospital_is_linked_and_flagged(
    organisation: Any, make_member: MakeMember, restore_signals: Any
) -> None:
    documenter = make_member(Role.FIELD_DOCUMENTER)
    hospital = facility_actions.register_facility(
        None,
        organisation,
        {
            "name": "Al-Shifa test hospital",
            "facility_type": "hospital",
            "country_iso3": "SYR",
            "latitude": 36.2000,
            "longitude": 37.1000,
        },
    )
    party, _created = Party.objects.get_or_create(
        name="Armed forces", defaults={"kind": Party.Kind.ARMED_FORCES}
    )
    notification = facility_actions.create_notification(
        None, organisation, facilities=[hospital], parties=[party], language="en"
    )
    facility_actions.mark_sent(
        None, notification, sent_at=timezone.make_aware(datetime.datetime(2024, 1, 2, 9, 0)), method="email"
    )

    report = field_reports.create(
        documenter,
        organisation,
        {
            "event_date": datetime.date(2024, 2, 14),
            "country_iso3": "SYR",
            "latitude": 36.2020,  # about 220 m north of the hospital
            "longitude": 37.1000,
            "geo_precision": "exact",
            "attack_types": ["heavy_weapons"],
            "resources": ["facility"],
            "certainty": "probable",
            "perpetrator_category": "unknown",
            "description": "Shelling hit the hospital's east wing.",
        },
        submit=True,
    )
    run_worker()  # the linkage run the report queued, then the proximity check after it

    link = IncidentLink.objects.get(record_key=f"local:FR-{report.pk}#1")
    found = FacilityIncident.objects.get(facility=hospital, incident=link.incident)
    assert found.notified_before_attack is True
    assert 150 < found.distance_m < 300
