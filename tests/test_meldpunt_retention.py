"""Erasing a report: on the reporter's request, by a handler on request, and after the retention period.

Everything runs against the real database, storage and task worker: erasure removes the content from both
(also from the raw database pages), a rollback removes nothing, the receipt code stops working, and only the
statistics row remains.
"""

from __future__ import annotations

import io
import os
import sqlite3
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection, models, transaction
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import Organisation
from accounts.roles import Role
from audit.models import Event
from jobs.models import TaskProgress
from meldpunt import actions, cases, followup, retention
from meldpunt.models import (
    Attachment,
    InternalNote,
    Message,
    OrganisationPolicy,
    Party,
    Referral,
    Report,
    ReportKey,
    StatusChange,
)
from meldpunt.vocabulary import DatePrecision, Outcome, ReferralKind
from tests.conftest import MakeMember, login_verified, run_worker
from tests.meldpunt_helpers import (
    NARRATIVE,
    REPORTER_EMAIL,
    REPORTER_NAME,
    anonymous_client,
    cleaned_report_data,
    give_key_pair,
    log_in_with_code,
    png_bytes,
    receipt_code_in,
    route_everything_to,
    submit,
    upload,
    valid_report_data,
)

pytestmark = pytest.mark.usefixtures("english_pages")

FILE_NAME = "foto-van-dader-pietersen.txt"
FILE_TEXT = b"GEHEIME-BIJLAGE: de dader woont aan de Voorbeeldstraat 12"
HANDLER_MESSAGE = "Wij nemen contact op met uw werkgever, mevrouw Verhoeven."
NOTE = "Interne notitie: dader is bekend bij de politie in Middelburg."
REFERRAL_NOTE = "Aangifte gedaan bij bureau Middelburg, zaaknummer 2025-4711."


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    location = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location},
        },
    }
    return location


def stored_files(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()]


@dataclass
class FullReport:
    report: Report
    code: str
    handler: Any
    data_key: bytes


@pytest.fixture
def full_report(organisation: Organisation, make_member: MakeMember) -> FullReport:
    """A named report with a file, messages both ways, an internal note and a referral with a note."""
    route_everything_to(organisation)
    handler = make_member(Role.CASE_HANDLER)
    private_key = give_key_pair(handler)
    report, code = actions.submit_report(
        cleaned_report_data(
            occurred_day="14", name=REPORTER_NAME, email=REPORTER_EMAIL, contact_preference="email"
        ),
        [actions.Upload(FILE_NAME, FILE_TEXT)],
    )
    data_key = cases.report_key_for(handler, private_key, report)
    cases.assign(report, handler, handler, expected_version=report.version)
    cases.reply(report, handler, data_key, HANDLER_MESSAGE)
    actions.add_message(report, data_key, "Dank u, ik hoor het graag.", author_kind=Party.REPORTER)
    actions.add_files(
        report, data_key, [actions.Upload("tweede.png", png_bytes())], uploaded_by=Party.HANDLER
    )
    cases.add_note(report, handler, data_key, NOTE)
    cases.add_referral(
        report,
        handler,
        data_key,
        kind=ReferralKind.POLICE_AANGIFTE,
        referred_on=timezone.localdate(),
        vpt_code="asked",
        note=REFERRAL_NOTE,
    )
    report.refresh_from_db()
    return FullReport(report, code, handler, data_key)


def close(report: Report, days_ago: float) -> Report:
    """Close `report` as if a handler had done so `days_ago` days ago."""
    Report.objects.filter(pk=report.pk).update(
        status=Report.Status.CLOSED,
        outcome=Outcome.ADVICE_GIVEN,
        closed_at=timezone.now() - timedelta(days=days_ago),
    )
    report.refresh_from_db()
    return report


def new_report(**overrides: Any) -> Report:
    report, _code = actions.submit_report(cleaned_report_data(**overrides))
    return report


# Erasure -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_erasure_removes_keys_messages_notes_files_and_sealed_fields(
    full_report: FullReport, media: Path
) -> None:
    report = full_report.report
    assert len(stored_files(media)) == 2
    assert report.occurred_precision == DatePrecision.DAY

    erasure = retention.erase_report(report, actor=None, reason=retention.Reason.REPORTER_REQUEST)

    assert (erasure.keys, erasure.messages, erasure.notes, erasure.attachments) == (2, 2, 1, 2)
    assert erasure.referral_notes == 1
    assert not erasure.already_erased
    for model in (ReportKey, Message, InternalNote, Attachment):
        assert not model.objects.filter(report=report).exists(), model
    assert stored_files(media) == []

    report.refresh_from_db()
    assert report.erased_at is not None
    assert (
        bytes(report.sealed_narrative) == bytes(report.sealed_identity) == bytes(report.sealed_contact) == b""
    )
    assert report.receipt_lookup is None
    assert bytes(report.report_salt) == b""
    assert report.assigned_to is None
    referral = Referral.objects.get(report=report)
    assert bytes(referral.sealed_note) == b""
    assert referral.kind == ReferralKind.POLICE_AANGIFTE  # kept for statistics, without its note


@pytest.mark.django_db(transaction=True)
def test_erasure_keeps_the_statistics_row_with_the_month_only(full_report: FullReport) -> None:
    before = full_report.report
    retention.erase_report(before, actor=None, reason="reporter_request")
    after = Report.objects.get(pk=before.pk)
    assert after.occurred_on == date(2025, 3, 1)
    assert after.occurred_precision == DatePrecision.MONTH
    for name in ("kinds", "channel", "place", "perpetrator", "profession", "sector", "province", "frequency"):
        assert getattr(after, name) == getattr(before, name), name
    assert after.organisation_id == before.organisation_id
    assert after.created_at == before.created_at


@pytest.mark.django_db(transaction=True)
def test_open_case_is_closed_as_withdrawn_and_leaves_the_queue(full_report: FullReport) -> None:
    report = full_report.report
    assert report.status == Report.Status.NEW
    erasure = retention.erase_report(
        report, actor=full_report.handler, reason=retention.Reason.HANDLER_ON_REQUEST
    )
    assert erasure.closed
    report.refresh_from_db()
    assert report.status == Report.Status.CLOSED
    assert report.outcome == Outcome.WITHDRAWN
    change = StatusChange.objects.filter(report=report).latest("pk")
    assert (change.from_status, change.to_status, change.changed_by) == ("new", "closed", full_report.handler)
    with pytest.raises(Http404):
        cases.case_for(full_report.handler, report.pk)
    assert not cases.queue_for(full_report.handler, status="closed").filter(pk=report.pk).exists()
    assert retention.erase_after(report) is None


@pytest.mark.django_db(transaction=True)
def test_audit_event_has_the_reason_and_counts_only(full_report: FullReport) -> None:
    retention.erase_report(full_report.report, actor=full_report.handler, reason="handler_on_request")
    event = Event.objects.get(action="meldpunt.report_erased")
    assert event.actor_id == full_report.handler.pk
    assert (event.object_type, event.object_id) == ("meldpunt.report", str(full_report.report.pk))
    assert event.details == {
        "reason": "handler_on_request",
        "keys": 2,
        "messages": 2,
        "notes": 1,
        "attachments": 2,
        "referral_notes": 1,
        "closed": True,
    }


@pytest.mark.django_db(transaction=True)
def test_receipt_code_no_longer_opens_anything(full_report: FullReport) -> None:
    assert followup.find_report(full_report.code) is not None
    retention.erase_report(full_report.report, actor=None, reason="reporter_request")
    assert followup.find_report(full_report.code) is None
    response = log_in_with_code(anonymous_client(), full_report.code)
    assert response.status_code == 400
    assert "This receipt code does not open a report" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_erasing_twice_changes_nothing(full_report: FullReport) -> None:
    retention.erase_report(full_report.report, actor=None, reason="reporter_request")
    erased_at = Report.objects.get().erased_at
    again = retention.erase_report(full_report.report, actor=None, reason="retention")
    assert again.already_erased
    assert Report.objects.get().erased_at == erased_at
    assert Event.objects.filter(action="meldpunt.report_erased").count() == 1


@pytest.mark.django_db(transaction=True)
def test_rollback_keeps_the_files_and_the_content(full_report: FullReport, media: Path) -> None:
    files_before = sorted(stored_files(media))
    with pytest.raises(RuntimeError), transaction.atomic():
        retention.erase_report(full_report.report, actor=None, reason="reporter_request")
        raise RuntimeError("the surrounding work failed")

    assert sorted(stored_files(media)) == files_before
    report = Report.objects.get()
    assert report.erased_at is None
    assert ReportKey.objects.filter(report=report).count() == 2
    assert Attachment.objects.filter(report=report).count() == 2
    assert not Event.objects.filter(action="meldpunt.report_erased").exists()
    # Still readable with the receipt code, files and all.
    found = followup.find_report(full_report.code)
    assert found is not None
    from meldpunt import attachments

    first = Attachment.objects.filter(report=report).order_by("pk").first()
    assert first is not None
    assert attachments.read(first, found[1]) == FILE_TEXT


@pytest.mark.django_db
def test_unknown_reason_is_refused(organisation: Organisation) -> None:
    route_everything_to(organisation)
    with pytest.raises(ValueError):
        retention.erase_report(new_report(), actor=None, reason="because")


def test_every_model_pointing_at_a_report_is_deleted_or_kept_on_purpose() -> None:
    pointing = {
        model
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.ForeignKey) and field.related_model is Report
    }
    handled = set(retention.DELETED_MODELS) | set(retention.KEPT_MODELS)
    assert pointing - handled == set(), "decide in meldpunt.retention whether erasure deletes or keeps these"
    # Kept rows must not hold content other than sealed fields, which erasure blanks.
    for model in retention.KEPT_MODELS:
        text_fields = [
            field.name
            for field in model._meta.concrete_fields
            if isinstance(field, models.TextField | models.BinaryField)
            and not field.name.startswith("sealed_")
        ]
        assert text_fields == [], model


# Nothing left in a copy of the database or the files ---------------------------------------------------------


def _as_bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


def _needles(full: FullReport) -> dict[str, bytes]:
    """Plain text, and the sealed bytes and key copies as they were before erasure (their ciphertext part)."""
    report = Report.objects.get(pk=full.report.pk)
    needles = {
        "narrative": NARRATIVE[:30].encode(),
        "name": REPORTER_NAME.encode(),
        "email": REPORTER_EMAIL.encode(),
        "file content": FILE_TEXT[:20],
        "file name": b"pietersen",
        "note": b"bekend bij de politie",
        "referral note": b"zaaknummer 2025-4711",
        "receipt lookup": str(report.receipt_lookup).encode(),
        "salt": bytes(report.report_salt),
    }
    # Skip the version byte and nonce: the rest of each blob (ciphertext and tag) only this value has.
    sealed = {
        "sealed narrative": report.sealed_narrative,
        "sealed identity": report.sealed_identity,
        "sealed contact": report.sealed_contact,
    }
    sealed.update(
        {f"key {key.kind} {key.pk}": key.wrapped_key for key in ReportKey.objects.filter(report=report)}
    )
    sealed.update({f"message {m.pk}": m.sealed_body for m in Message.objects.filter(report=report)})
    sealed.update({f"note {n.pk}": n.sealed_body for n in InternalNote.objects.filter(report=report)})
    sealed.update({f"referral {r.pk}": r.sealed_note for r in Referral.objects.filter(report=report)})
    sealed.update({f"file name {a.pk}": a.sealed_filename for a in Attachment.objects.filter(report=report)})
    for label, blob in sealed.items():
        assert len(bytes(blob)) >= 1 + 12 + 4 + 16, label
        needles[label] = bytes(blob)[13:]
    return needles


def _raw_database_copy(target: Path) -> bytes:
    """The database's pages byte for byte (free pages included), as a file copy or backup would hold them."""
    raw = connection.connection
    assert raw is not None
    copy = sqlite3.connect(target)
    try:
        raw.backup(copy)
    finally:
        copy.close()
    return target.read_bytes()


@pytest.mark.django_db(transaction=True)
def test_database_pages_dump_and_media_hold_none_of_the_content_after_erasure(
    full_report: FullReport, media: Path, tmp_path: Path
) -> None:
    needles = _needles(full_report)
    for path in stored_files(media):
        needles[f"stored file {path.name}"] = path.read_bytes()[13:45]
    if connection.vendor == "sqlite":
        # The sealed bytes really are in the pages before: the search below can find them.
        before = _raw_database_copy(tmp_path / "before.sqlite3")
        assert needles["sealed narrative"] in before
        assert needles["key receipt " + str(ReportKey.objects.get(kind="receipt").pk)] in before
        # Whatever this SQLite build's default, erasure turns on overwriting of freed space itself.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = OFF")

    retention.erase_report(full_report.report, actor=None, reason="reporter_request")

    assert stored_files(media) == []
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    dumped = dump.getvalue().encode()
    assert b'"model": "meldpunt.report"' in dumped
    assert [label for label, needle in needles.items() if needle in dumped] == []
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - table names
            for row in cursor.fetchall():
                raw = b"\x00".join(_as_bytes(value) for value in row)
                found += [f"{label} in {table}" for label, needle in needles.items() if needle in raw]
    assert found == []
    if connection.vendor == "sqlite":
        pages = _raw_database_copy(tmp_path / "after.sqlite3")
        assert [label for label, needle in needles.items() if needle in pages] == []


# The reporter deletes their report ---------------------------------------------------------------------------


@pytest.fixture
def reporter(organisation: Organisation, make_member: MakeMember) -> tuple[Client, str]:
    route_everything_to(organisation)
    give_key_pair(make_member(Role.CASE_HANDLER))
    client = anonymous_client()
    data = valid_report_data(name=REPORTER_NAME, contact_preference="email", email=REPORTER_EMAIL)
    code = receipt_code_in(submit(client, data, [upload(FILE_NAME, FILE_TEXT, "text/plain")]))
    assert log_in_with_code(client, code).status_code == 302
    assert client.post(reverse("meldpunt:followup_reply"), {"body": "Nog een bericht."}).status_code == 302
    return client, code


@pytest.mark.django_db(transaction=True)
def test_reporter_deletes_their_report_through_the_follow_up(
    reporter: tuple[Client, str], media: Path
) -> None:
    client, code = reporter
    page = client.get(reverse("meldpunt:followup")).content.decode()
    assert "Delete my report" in page
    assert f'href="{reverse("meldpunt:followup_erase")}"' in page

    confirm = client.get(reverse("meldpunt:followup_erase"))
    html = confirm.content.decode()
    assert confirm.status_code == 200
    assert html.count("<h1") == 1
    assert "1 message between you and the case handler" in html
    assert "1 file added by you or the case handler" in html
    assert "What remains" in html
    assert reverse("meldpunt:followup_export_zip") in html  # download first
    assert 'type="checkbox"' in html
    assert Report.objects.get().erased_at is None

    refused = client.post(reverse("meldpunt:followup_erase"), {})
    assert refused.status_code == 400
    refused_html = refused.content.decode()
    assert 'class="error-summary"' in refused_html
    assert "Tick the box to confirm that your report may be deleted." in refused_html
    assert 'href="#id_confirm"' in refused_html
    assert Report.objects.get().erased_at is None

    done = client.post(reverse("meldpunt:followup_erase"), {"confirm": "on"})
    assert done.status_code == 200
    done_html = done.content.decode()
    assert "Your report has been deleted" in done_html
    assert "What remains" in done_html
    assert "1 message" in done_html and "1 file" in done_html
    assert done.cookies[followup.FOLLOWUP_COOKIE].value == ""  # the follow-up is over

    report = Report.objects.get()
    assert report.erased_at is not None
    assert stored_files(media) == []
    event = Event.objects.get(action="meldpunt.report_erased")
    assert event.actor_id is None
    assert event.details["reason"] == "reporter_request"

    assert client.get(reverse("meldpunt:followup")).status_code == 302
    again = log_in_with_code(anonymous_client(), code)
    assert "This receipt code does not open a report" in again.content.decode()


@pytest.mark.django_db(transaction=True)
def test_follow_up_open_elsewhere_ends_when_a_handler_erases_the_report(reporter: tuple[Client, str]) -> None:
    client, _code = reporter
    assert client.get(reverse("meldpunt:followup")).status_code == 200
    retention.erase_report(Report.objects.get(), actor=None, reason="handler_on_request")
    response = client.get(reverse("meldpunt:followup"))
    assert response.status_code == 302
    assert response["Location"] == reverse("meldpunt:followup_login")
    assert client.post(reverse("meldpunt:followup_erase"), {"confirm": "on"}).status_code == 302


@pytest.mark.django_db
def test_erase_page_needs_a_follow_up(client: Client) -> None:
    response = client.get(reverse("meldpunt:followup_erase"))
    assert response.status_code == 302
    assert response["Location"] == reverse("meldpunt:followup_login")


# Retention ---------------------------------------------------------------------------------------------------


@pytest.fixture
def two_organisations(organisation: Organisation, other_organisation: Organisation) -> dict[str, Report]:
    """Reports of an organisation keeping closed reports 30 days, and of one with the default (365)."""
    OrganisationPolicy.objects.create(organisation=organisation, retention_days_after_closure=30)
    route_everything_to(organisation, profession="huisarts")
    route_everything_to(other_organisation)
    mine = {"profession": "huisarts"}
    theirs = {"profession": "verpleegkundige", "sector": "hospital"}
    reports = {
        "A closed 31 days ago": close(new_report(**mine), 31),
        "A closed 29 days ago": close(new_report(**mine), 29),
        "A open": new_report(**mine),
        "B closed 366 days ago": close(new_report(**theirs), 366),
        "B closed 364 days ago": close(new_report(**theirs), 364),
        "B erased long ago": close(new_report(**theirs), 800),
    }
    assert reports["B closed 366 days ago"].organisation == other_organisation
    retention.erase_report(reports["B erased long ago"], actor=None, reason="reporter_request")
    return reports


@pytest.mark.django_db
def test_due_for_erasure_follows_each_organisations_policy(two_organisations: dict[str, Report]) -> None:
    due = set(retention.due_for_erasure().values_list("pk", flat=True))
    assert due == {
        two_organisations["A closed 31 days ago"].pk,
        two_organisations["B closed 366 days ago"].pk,
    }
    later = set(retention.due_for_erasure(timezone.now() + timedelta(days=2)).values_list("pk", flat=True))
    assert two_organisations["A closed 29 days ago"].pk in later
    assert two_organisations["B closed 364 days ago"].pk in later
    assert two_organisations["A open"].pk not in later


@pytest.mark.django_db
def test_erase_after_is_the_closing_day_plus_the_retention_period(
    two_organisations: dict[str, Report],
) -> None:
    closed = two_organisations["A closed 29 days ago"]
    assert closed.closed_at is not None
    assert retention.erase_after(closed) == timezone.localdate(closed.closed_at + timedelta(days=30))
    assert retention.erase_after(two_organisations["A open"]) is None
    assert retention.erase_after(two_organisations["B erased long ago"]) is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("restore_signals")
def test_retention_task_erases_exactly_the_expired_closed_reports(
    two_organisations: dict[str, Report], make_member: MakeMember
) -> None:
    before = {
        label: Report.objects.get(pk=report.pk).erased_at for label, report in two_organisations.items()
    }
    result = retention.erase_expired_reports.enqueue()
    run_worker()

    db_result = DBTaskResult.objects.get(id=result.id)
    assert db_result.status == "SUCCESSFUL"
    assert db_result.return_value == {"due": 2, "erased": 2, "failed": 0, "orphan_files": 0}
    erased = {
        label for label, report in two_organisations.items() if Report.objects.get(pk=report.pk).erased_at
    }
    assert erased == {"A closed 31 days ago", "B closed 366 days ago", "B erased long ago"}
    assert (
        Report.objects.get(pk=two_organisations["B erased long ago"].pk).erased_at
        == before["B erased long ago"]
    )
    events = Event.objects.filter(action="meldpunt.report_erased", details__reason="retention")
    assert sorted(int(event.object_id) for event in events) == sorted(
        [two_organisations["A closed 31 days ago"].pk, two_organisations["B closed 366 days ago"].pk]
    )
    assert all(event.actor_id is None for event in events)
    row = TaskProgress.objects.get(result_id=str(result.id))
    assert row.done == row.total == 2

    client = login_verified(Client(), make_member(Role.ADMIN))
    page = client.get(reverse("jobs:detail", args=[result.id])).content.decode()
    assert "Erase reports after their retention period" in page
    assert "2 reports erased after their retention period" in page


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("restore_signals")
def test_retention_task_with_nothing_due_erases_nothing(organisation: Organisation) -> None:
    route_everything_to(organisation)
    close(new_report(), 3)
    result = retention.erase_expired_reports.enqueue()
    run_worker()
    assert DBTaskResult.objects.get(id=result.id).return_value == {
        "due": 0,
        "erased": 0,
        "failed": 0,
        "orphan_files": 0,
    }
    assert not Report.objects.filter(erased_at__isnull=False).exists()


@pytest.mark.django_db(transaction=True)
def test_a_report_that_fails_to_erase_does_not_stop_the_others(
    two_organisations: dict[str, Report],
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the refusing trigger is written for SQLite")
    stuck = two_organisations["A closed 31 days ago"]
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TRIGGER refuse_erasure BEFORE UPDATE OF erased_at ON meldpunt_report "
            f"WHEN OLD.id = {int(stuck.pk)} BEGIN SELECT RAISE(ABORT, 'refused for the test'); END"
        )
    try:
        with pytest.raises(CommandError) as failure:
            call_command(
                "meldpunt_housekeeping", "--now", "--only", "retention", "--quiet", stdout=io.StringIO()
            )
        assert failure.value.returncode == 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER refuse_erasure")
    assert Report.objects.get(pk=stuck.pk).erased_at is None
    assert ReportKey.objects.filter(report=stuck).exists()  # its transaction rolled back as a whole
    assert Report.objects.get(pk=two_organisations["B closed 366 days ago"].pk).erased_at is not None


@pytest.mark.django_db(transaction=True)
def test_housekeeping_now_erases_and_reports_what_it_did(two_organisations: dict[str, Report]) -> None:
    out = io.StringIO()
    call_command("meldpunt_housekeeping", "--quiet", stdout=out)
    text = out.getvalue()
    assert "Retention: 2 reports past their retention period, 2 erased, 0 failed" in text
    assert "Reminders:" in text
    assert Report.objects.filter(erased_at__isnull=False).count() == 3


@pytest.mark.django_db
def test_orphaned_files_are_swept_after_a_day(organisation: Organisation, media: Path) -> None:
    route_everything_to(organisation)
    report, _code = actions.submit_report(cleaned_report_data(), [actions.Upload("a.txt", b"kept file")])
    kept = media / Attachment.objects.get(report=report).storage_name
    old_orphan = media / "meldpunt" / "0123456789abcdef"
    new_orphan = media / "meldpunt" / "fedcba9876543210"
    old_orphan.write_bytes(b"left behind")
    new_orphan.write_bytes(b"an upload whose transaction has not committed yet")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old_orphan, (two_days_ago, two_days_ago))
    os.utime(kept, (two_days_ago, two_days_ago))

    assert retention.sweep_orphan_files() == 1
    assert not old_orphan.exists()
    assert new_orphan.exists()
    assert kept.exists()
