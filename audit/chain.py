"""Appending to and verifying the hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

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


class ProblemKind(StrEnum):
    CHANGED = "changed"
    MISSING = "missing"
    OUT_OF_ORDER = "out_of_order"
    TRUNCATED = "truncated"
    HEAD_CHANGED = "head_changed"
    UNRECORDED = "unrecorded"
    HEAD_MISSING = "head_missing"


@dataclass(frozen=True)
class Problem:
    """The first place where the log is not what was written.

    `sequence` is the number of the first event that is not as written (or missing). The message is built
    when read, in the active language, so a stored problem (kind, sequence, last) shows in the reader's
    language; `as_dict`/`from_dict` carry it through a task's JSON result.
    """

    sequence: int
    kind: ProblemKind
    # The last event that was intact (for gaps), or the last event recorded in the chain head (for ends).
    last: int = 0

    @property
    def message(self) -> str:
        values = {"sequence": self.sequence, "last": self.last}
        match self.kind:
            case ProblemKind.CHANGED:
                return _("event #%(sequence)s was changed after it was written") % values
            case ProblemKind.MISSING:
                return _("event #%(sequence)s is missing (deleted or renumbered)") % values
            case ProblemKind.OUT_OF_ORDER:
                return (
                    _(
                        "event #%(sequence)s does not follow the event before it "
                        "(an earlier event was changed, removed or moved)"
                    )
                    % values
                )
            case ProblemKind.TRUNCATED:
                return (
                    _(
                        "events #%(sequence)s to #%(last)s were written but are missing "
                        "from the end of the log"
                    )
                    % values
                )
            case ProblemKind.HEAD_CHANGED:
                return (
                    _("event #%(sequence)s is not the last event that was written (it was replaced)") % values
                )
            case ProblemKind.UNRECORDED:
                return (
                    _(
                        "event #%(sequence)s was added to the log without being recorded: "
                        "the last recorded event is #%(last)s"
                    )
                    % values
                )
            case ProblemKind.HEAD_MISSING:
                return _(
                    "the record of the last written event is missing, "
                    "so events cut off the end of the log cannot be detected"
                )
        return str(self.kind)  # pragma: no cover - every kind is handled above

    def as_dict(self) -> dict[str, Any]:
        return {"sequence": self.sequence, "kind": str(self.kind), "last": self.last}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Problem:
        return cls(int(data["sequence"]), ProblemKind(data["kind"]), int(data.get("last", 0)))


@dataclass(frozen=True)
class Verification:
    events: int
    head_hash: str
    problem: Problem | None

    @property
    def intact(self) -> bool:
        return self.problem is None


def expected_event_count() -> int:
    """How many events the log should hold, for progress display: the head's count, or the rows there are."""
    head = ChainHead.objects.filter(singleton=True).first()
    return head.sequence if head is not None else Event.objects.count()


def _walk(up_to: int, on_event: Callable[[int], None] | None) -> Iterator[tuple[Event, Problem | None]]:
    expected_sequence = 1
    expected_previous = GENESIS_HASH
    events = Event.objects.filter(sequence__lte=up_to).order_by("sequence")
    for event in events.iterator(chunk_size=2000):
        problem = None
        if event.sequence != expected_sequence:
            problem = Problem(expected_sequence, ProblemKind.MISSING, last=expected_sequence - 1)
        elif event.previous_hash != expected_previous:
            problem = Problem(event.sequence, ProblemKind.OUT_OF_ORDER)
        elif event_hash(event) != event.hash:
            problem = Problem(event.sequence, ProblemKind.CHANGED)
        if on_event is not None:
            on_event(event.sequence)
        yield event, problem
        if problem is not None:
            return
        expected_sequence += 1
        expected_previous = event.hash


def verify(on_event: Callable[[int], None] | None = None) -> Verification:
    """Walk the log from the first event; stop at the first event that is not as it was written.

    `on_event` is called with each sequence number checked, for progress display. Events appended while
    the walk runs are left for the next verification: the walk checks up to the head read at the start.
    """
    head = ChainHead.objects.filter(singleton=True).first()
    if head is None:
        if Event.objects.exists():
            return Verification(0, GENESIS_HASH, Problem(1, ProblemKind.HEAD_MISSING))
        return Verification(0, GENESIS_HASH, None)
    count = 0
    last_hash = GENESIS_HASH
    for event, problem in _walk(head.sequence, on_event):
        if problem is not None:
            return Verification(count, last_hash, problem)
        count += 1
        last_hash = event.hash
    if count < head.sequence:
        return Verification(count, last_hash, Problem(count + 1, ProblemKind.TRUNCATED, last=head.sequence))
    if head.hash != last_hash:
        return Verification(count, last_hash, Problem(count, ProblemKind.HEAD_CHANGED))
    # Appends write the event and the head in one transaction, so reading the highest sequence before the
    # head again sees no event beyond the head unless one was inserted around record().
    highest = Event.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0
    current_head = ChainHead.objects.filter(singleton=True).values_list("sequence", flat=True).first() or 0
    if highest > current_head:
        return Verification(
            count, last_hash, Problem(current_head + 1, ProblemKind.UNRECORDED, last=current_head)
        )
    return Verification(count, last_hash, None)
