"""The audit log's hash chain: appends, append-only guards, and what verification detects."""

from __future__ import annotations

import itertools
import threading
from typing import Any

import pytest
from django.db import connection, connections, models
from django.utils.translation import override

from audit.chain import GENESIS_HASH, ProblemKind, compute_hash, record, verify
from audit.models import AppendOnlyError, ChainHead, Event


def forged_hash(event: Event, *, action: str) -> str:
    """The hash a forger would compute for `event` with another action and no actor."""
    return compute_hash(
        sequence=event.sequence,
        occurred_at=event.occurred_at,
        actor_id=None,
        actor_label="",
        action=action,
        object_type=event.object_type,
        object_id=event.object_id,
        organisation_id=None,
        details=event.details,
        previous_hash=event.previous_hash,
    )


def append(count: int) -> list[Event]:
    return [
        record("test.thing_changed", target=("test.thing", number), details={"fields": ["status"]})
        for number in range(1, count + 1)
    ]


def run_sql(sql: str, params: list[str | int] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


@pytest.mark.django_db
class TestIntactLog:
    def test_empty_log_is_intact(self) -> None:
        result = verify()
        assert result.intact
        assert result.events == 0
        assert result.head_hash == GENESIS_HASH

    def test_appended_events_form_an_unbroken_chain(self) -> None:
        events = append(5)
        assert [event.sequence for event in events] == [1, 2, 3, 4, 5]
        assert events[0].previous_hash == GENESIS_HASH
        assert all(later.previous_hash == earlier.hash for earlier, later in itertools.pairwise(events))
        result = verify()
        assert result.intact
        assert result.events == 5
        assert result.head_hash == events[-1].hash
        head = ChainHead.objects.get()
        assert (head.sequence, head.hash) == (5, events[-1].hash)

    def test_verify_reports_each_event_for_progress(self) -> None:
        append(3)
        seen: list[int] = []
        verify(on_event=seen.append)
        assert seen == [1, 2, 3]


@pytest.mark.django_db
class TestTamperingIsDetected:
    def test_field_changed_through_queryset_bypass(self) -> None:
        append(5)
        # The base QuerySet.update skips EventQuerySet's guard, as code that means harm could.
        models.QuerySet.update(Event.objects.filter(sequence=3), action="test.something_else")
        result = verify()
        assert result.problem is not None
        assert (result.problem.kind, result.problem.sequence) == (ProblemKind.CHANGED, 3)
        assert result.events == 2
        with override("en"):
            assert result.problem.message == "event #3 was changed after it was written"

    def test_field_changed_with_raw_sql(self) -> None:
        append(5)
        run_sql("UPDATE audit_event SET actor_label = %s WHERE sequence = %s", ["someone", 4])
        result = verify()
        assert result.problem is not None
        assert (result.problem.kind, result.problem.sequence) == (ProblemKind.CHANGED, 4)

    def test_changed_event_with_its_hash_recomputed_breaks_the_next_link(self) -> None:
        events = append(5)
        third = events[2]
        forged = forged_hash(third, action="test.forged")
        run_sql("UPDATE audit_event SET action = %s, hash = %s WHERE sequence = 3", ["test.forged", forged])
        result = verify()
        assert result.problem is not None
        assert (result.problem.kind, result.problem.sequence) == (ProblemKind.OUT_OF_ORDER, 4)

    def test_event_deleted_in_the_middle(self) -> None:
        append(5)
        run_sql("DELETE FROM audit_event WHERE sequence = 3")
        result = verify()
        assert result.problem is not None
        assert (result.problem.kind, result.problem.sequence) == (ProblemKind.MISSING, 3)
        with override("en"):
            assert "#3" in result.problem.message

    def test_last_event_deleted(self) -> None:
        append(5)
        run_sql("DELETE FROM audit_event WHERE sequence = 5")
        result = verify()
        assert result.problem is not None
        assert (result.problem.kind, result.problem.sequence) == (ProblemKind.TRUNCATED, 5)
        with override("en"):
            assert (
                result.problem.message
                == "events #5 to #5 were written but are missing from the end of the log"
            )

    def test_every_event_deleted(self) -> None:
        append(3)
        run_sql("DELETE FROM audit_event")
        result = verify()
        assert result.problem is not None
        assert (result.problem.kind, result.problem.sequence) == (ProblemKind.TRUNCATED, 1)

    def test_two_events_swapped(self) -> None:
        append(5)
        # Swap the positions of #2 and #3 (through a free number, as sequence is unique).
        run_sql("UPDATE audit_event SET sequence = 1000 WHERE sequence = 2")
        run_sql("UPDATE audit_event SET sequence = 2 WHERE sequence = 3")
        run_sql("UPDATE audit_event SET sequence = 3 WHERE sequence = 1000")
        result = verify()
        assert result.problem is not None
        assert result.problem.sequence == 2
        assert result.problem.kind == ProblemKind.OUT_OF_ORDER

    def test_last_event_replaced_with_a_consistent_forgery(self) -> None:
        events = append(3)
        last = events[-1]
        forged = forged_hash(last, action="test.forged")
        run_sql("UPDATE audit_event SET action = %s, hash = %s WHERE sequence = 3", ["test.forged", forged])
        result = verify()
        assert result.problem is not None
        assert (result.problem.kind, result.problem.sequence) == (ProblemKind.HEAD_CHANGED, 3)

    def test_event_inserted_around_record(self) -> None:
        events = append(2)
        fields: dict[str, Any] = {
            "sequence": 3,
            "occurred_at": events[-1].occurred_at,
            "actor_id": None,
            "actor_label": "",
            "action": "test.sneaked_in",
            "object_type": "",
            "object_id": "",
            "organisation_id": None,
            "details": {},
            "previous_hash": events[-1].hash,
        }
        Event(**fields, hash=compute_hash(**fields)).save()
        result = verify()
        assert result.problem is not None
        assert (result.problem.kind, result.problem.sequence) == (ProblemKind.UNRECORDED, 3)

    def test_missing_chain_head(self) -> None:
        append(2)
        ChainHead.objects.all().delete()
        result = verify()
        assert result.problem is not None
        assert result.problem.kind == ProblemKind.HEAD_MISSING


@pytest.mark.django_db
class TestAppendOnly:
    def test_saving_a_stored_event_is_refused(self) -> None:
        (event,) = append(1)
        event.action = "test.other"
        with pytest.raises(AppendOnlyError):
            event.save()

    def test_deleting_an_event_is_refused(self) -> None:
        (event,) = append(1)
        with pytest.raises(AppendOnlyError):
            event.delete()

    def test_queryset_update_is_refused(self) -> None:
        append(2)
        with pytest.raises(AppendOnlyError):
            Event.objects.filter(sequence=1).update(action="test.other")

    def test_queryset_delete_is_refused(self) -> None:
        append(2)
        with pytest.raises(AppendOnlyError):
            Event.objects.all().delete()
        assert verify().intact


@pytest.mark.django_db
class TestNoContent:
    METADATA = {
        "id",
        "sequence",
        "occurred_at",
        "actor_id",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "organisation_id",
        "details",
        "previous_hash",
        "hash",
    }

    def test_event_has_only_metadata_fields(self) -> None:
        assert {field.name for field in Event._meta.get_fields()} == self.METADATA

    def test_event_records_references_and_field_names_only(
        self, django_user_model: type[models.Model]
    ) -> None:
        user = django_user_model.objects.create_user(username="handler", password="a long enough password")  # type: ignore[attr-defined]
        event = record("test.user_changed", actor=user, target=user, details={"fields": ["first_name"]})
        stored = Event.objects.values().get(pk=event.pk)
        assert stored["actor_label"] == "handler"
        assert (stored["object_type"], stored["object_id"]) == ("accounts.user", str(user.pk))
        assert stored["details"] == {"fields": ["first_name"]}
        assert "a long enough password" not in repr(stored)


def _shared_cache_sqlite() -> bool:
    return connection.vendor == "sqlite" and bool(connection.is_in_memory_db())  # type: ignore[attr-defined]


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_the_chain_valid() -> None:
    if _shared_cache_sqlite():
        # Threads share an in-memory test database through SQLite's shared cache, whose table locks fail
        # at once instead of waiting for the busy timeout. tests/test_audit_cli.py appends from several
        # processes to a SQLite file instead, which is how the site and the worker share one.
        pytest.skip("in-memory SQLite: see test_audit_cli.test_concurrent_processes_keep_the_chain_valid")
    threads_count, per_thread = 4, 10
    errors: list[BaseException] = []
    start = threading.Barrier(threads_count)

    def work() -> None:
        try:
            start.wait(timeout=10)
            for _number in range(per_thread):
                record("test.concurrent")
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    result = verify()
    assert result.intact, result.problem
    assert result.events == threads_count * per_thread
    assert list(Event.objects.values_list("sequence", flat=True)) == list(
        range(1, threads_count * per_thread + 1)
    )
