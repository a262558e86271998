"""Appending to and verifying the hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from audit.models import ChainHead, Event

GENESIS_HASH = "0" * 64

# What details may hold: identifiers, names of fields, codes and counts. Free text from reports, messages or
# evidence must never be passed here; the log says that something happened, not what was written.
Detail = str | int | float | bool | None | list["Detail"]


def _canonical_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def compute_hash(
    *,
    sequence: int,
    occurred_at: datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str,
    organisation_id: int | None,
    details: dict[str, Any],
    previous_hash: str,
) -> str:
    payload = {
        "sequence": sequence,
        "occurred_at": _canonical_time(occurred_at),
        "actor_id": actor_id,
        "actor_label": actor_label,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "organisation_id": organisation_id,
        "details": details,
        "previous_hash": previous_hash,
    }
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(encoded).hexdigest()


def event_hash(event: Event) -> str:
    return compute_hash(
        sequence=event.sequence,
        occurred_at=event.occurred_at,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        organisation_id=event.organisation_id,
        details=event.details,
        previous_hash=event.previous_hash,
    )


def _object_reference(target: models.Model | tuple[str, str | int] | None) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, models.Model):
        return target._meta.label_lower, str(target.pk)
    kind, identifier = target
    return kind, str(identifier)


def record(
    action: str,
    *,
    actor: Any = None,
    target: models.Model | tuple[str, str | int] | None = None,
    organisation: Any = None,
    details: dict[str, Detail] | None = None,
) -> Event:
    """Append one event. Call inside the transaction that makes the change, so both land or neither does.

    `actor` is a user (or None for the system or an anonymous reporter: no address or agent is ever logged);
    `target` is the model instance acted on, or a (type, id) pair for things that are not rows.
    """
    object_type, object_id = _object_reference(target)
    actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    actor_label = actor.get_username() if actor_id is not None else ""
    clean_details = json.loads(json.dumps(details or {}, sort_keys=True))
    with transaction.atomic():
        # The head row serialises appends: on PostgreSQL by the row lock, on SQLite by the IMMEDIATE
        # transaction's write lock.
        head, _created = ChainHead.objects.select_for_update().get_or_create(
            singleton=True, defaults={"sequence": 0, "hash": GENESIS_HASH}
        )
        occurred_at = timezone.now()
        fields: dict[str, Any] = {
            "sequence": head.sequence + 1,
            "occurred_at": occurred_at,
            "actor_id": actor_id,
            "actor_label": actor_label,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "organisation_id": organisation.pk if organisation is not None else None,
            "details": clean_details,
            "previous_hash": head.hash,
        }
        event = Event(**fields, hash=compute_hash(**fields))
        event.save()
        ChainHead.objects.filter(singleton=True).update(sequence=event.sequence, hash=event.hash)
    return event


@dataclass(frozen=True)
class Problem:
    """The first place where the log is not what was written."""

    sequence: int
    message: str


@dataclass(frozen=True)
class Verification:
    events: int
    head_hash: str
    problem: Problem | None

    @property
    def intact(self) -> bool:
        return self.problem is None


def _walk(on_event: Callable[[int], None] | None) -> Iterator[tuple[Event, Problem | None]]:
    expected_sequence = 1
    expected_previous = GENESIS_HASH
    for event in Event.objects.order_by("sequence").iterator(chunk_size=2000):
        problem = None
        if event.sequence != expected_sequence:
            problem = Problem(
                event.sequence,
                f"event #{event.sequence} follows #{expected_sequence - 1}: "
                f"event #{expected_sequence} is missing (deleted or renumbered)",
            )
        elif event.previous_hash != expected_previous:
            problem = Problem(
                event.sequence,
                f"event #{event.sequence} does not follow the event before it "
                "(an earlier event was changed, removed or moved)",
            )
        elif event_hash(event) != event.hash:
            problem = Problem(event.sequence, f"event #{event.sequence} was changed after it was written")
        if on_event is not None:
            on_event(event.sequence)
        yield event, problem
        if problem is not None:
            return
        expected_sequence += 1
        expected_previous = event.hash


def verify(on_event: Callable[[int], None] | None = None) -> Verification:
    """Walk the log from the first event; stop at the first event that is not as it was written.

    `on_event` is called with each sequence number checked, for progress display.
    """
    count = 0
    last_hash = GENESIS_HASH
    for event, problem in _walk(on_event):
        if problem is not None:
            return Verification(count, last_hash, problem)
        count += 1
        last_hash = event.hash
    head = ChainHead.objects.filter(singleton=True).first()
    if head is not None and (head.sequence, head.hash) != (count, last_hash):
        missing = Problem(
            count + 1,
            f"the log ends at event #{count} but event #{head.sequence} was written: "
            f"events #{count + 1} to #{head.sequence} are missing",
        )
        if head.sequence <= count:
            missing = Problem(head.sequence, f"event #{head.sequence} is not the last event that was written")
        return Verification(count, last_hash, missing)
    return Verification(count, last_hash, None)
