"""Custody events: collected, viewed, transferred and exported, each a row and an event in the audit chain."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils.translation import override

from accounts.models import Membership, Organisation
from accounts.roles import Role
from audit.chain import verify
from audit.models import Event
from evidence import actions, store
from evidence.bundle import build_bundle
from evidence.models import CustodyEvent
from registry.models import Incident
from tests import test_evidence_helpers
from tests.test_evidence_helpers import add

data_dir = test_evidence_helpers.data_dir  # the fixture, shared

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("data_dir")]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_every_custody_event_is_in_the_audit_chain_with_the_items_hash(
    organisation: Organisation, make_member: Any, tmp_path: Path
) -> None:
    documenter = make_member(Role.FIELD_DOCUMENTER, username="amira")
    analyst = make_member(Role.ANALYST, username="bo")
    item = add(organisation, actor=documenter)
    stored_before = store.path_for(item.sha256).read_bytes()

    actions.record_view(analyst, item)
    actions.record_transfer(documenter, item, "Investigator, UN commission of inquiry", "Original SD card")
    built = build_bundle(analyst, [item], "For the commission of inquiry", directory=tmp_path)

    events = list(CustodyEvent.objects.filter(item=item).select_related("audit_event"))
    assert [(event.kind, event.actor_label) for event in events] == [
        ("collected", "amira"),
        ("viewed", "bo"),
        ("transferred", "amira"),
        ("exported", "bo"),
    ]
    for event in events:
        audit = event.audit_event
        assert audit.action == f"evidence.{event.kind}"
        assert (audit.object_type, audit.object_id) == ("evidence.evidenceitem", str(item.pk))
        assert audit.organisation_id == organisation.pk
        assert audit.details["sha256"] == item.sha256
        assert audit.occurred_at == event.occurred_at
    transferred, exported = events[2].audit_event.details, events[3].audit_event.details
    # The audit log holds hashes of the free text, never the text.
    assert transferred["reason_sha256"] == sha("Original SD card")
    assert transferred["recipient_sha256"] == sha("Investigator, UN commission of inquiry")
    assert "Original SD card" not in str(transferred)
    assert exported["bundle"] == str(built.bundle.pk)
    assert exported["reason_sha256"] == sha("For the commission of inquiry")
    assert Event.objects.filter(action="evidence.bundle_exported", object_id=str(built.bundle.pk)).exists()

    result = verify()
    assert result.intact, result.problem
    # No action changed the stored bytes.
    assert store.path_for(item.sha256).read_bytes() == stored_before


def test_a_hand_over_needs_a_recipient_and_a_reason(organisation: Organisation) -> None:
    item = add(organisation)
    with override("en"), pytest.raises(ValidationError) as refused:
        actions.record_transfer(None, item, " ", "")
    assert set(refused.value.message_dict) == {"recipient", "reason"}
    assert list(CustodyEvent.objects.values_list("kind", flat=True)) == ["collected"]


def test_evidence_is_found_by_what_it_documents(organisation: Organisation) -> None:
    incident = Incident.objects.create()
    other = Incident.objects.create()
    first = add(organisation, target=incident)
    second = add(organisation, target=incident, name="second.png")
    add(organisation, target=other)
    add(organisation)
    assert list(actions.items_for(incident)) == [second, first]
    assert first.target == incident
    collected = Event.objects.filter(action="evidence.collected", object_id=str(first.pk)).get()
    assert collected.details["target"] == f"registry.incident:{incident.pk}"


def test_a_target_of_another_organisation_is_refused(
    organisation: Organisation, other_organisation: Organisation, make_member: Any
) -> None:
    # Any object with an organisation will do: here a membership of the other organisation.
    theirs = Membership.objects.get(user=make_member(Role.VIEWER, other_organisation))
    with override("en"), pytest.raises(ValidationError, match="another organisation"):
        add(organisation, target=theirs)
    assert not CustodyEvent.objects.exists()
