"""The case handlers' pages: the case page, its forms, files and previews, and who may see them.

Handlers here log in through the real login form, which unlocks their private key for the session
(accounts.keys), so the pages read the reports exactly as in production.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from html.parser import HTMLParser
from itertools import pairwise
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from accounts import keys
from accounts.models import Organisation, User
from accounts.roles import Role
from accounts.twofactor import VERIFIED_SESSION_KEY
from audit.models import Event
from meldpunt import actions, cases, sealing
from meldpunt.models import InternalNote, Message, Referral, Report, ReportKey, StatusChange
from tests.conftest import PERSONA_PASSWORD, login_verified
from tests.meldpunt_helpers import (
    NARRATIVE,
    REPORTER_NAME,
    anonymous_client,
    cleaned_report_data,
    log_in_with_code,
    png_bytes,
    route_everything_to,
)

pytestmark = pytest.mark.usefixtures("english_pages", "media_dir")

STALE = "Someone else changed this case while you were looking at it"
NOTE = "Intern: de collega van de SEH kent deze patiënt al, niet doorsturen aan melder 5521."
REPLY = "Dank voor uw melding. Mogen wij u bellen over de aangifte?"


def log_in_with_key(user: User, client: Client | None = None) -> Client:
    """Log in through the form (which creates or opens the key pair), past the second factor."""
    client = client or Client()
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": PERSONA_PASSWORD}
    )
    assert response.status_code == 302, response.content.decode()
    session = client.session
    session[VERIFIED_SESSION_KEY] = True
    session.save()
    return client


def jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam Manufacturer"  # Make
    exif[0x0110] = "Model-4711"  # Model
    exif[0x013B] = "Photographer Janssen"  # Artist
    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), (30, 120, 200)).save(buffer, format="JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def new_report(files: tuple[actions.Upload, ...] = (), **overrides: Any) -> tuple[Report, str]:
    return actions.submit_report(cleaned_report_data(**overrides), files)


def data_key(report: Report, code: str) -> bytes:
    key = sealing.unlock_with_receipt(report, code)
    assert key is not None
    return key


def url(name: str, report: Report, *args: Any) -> str:
    return reverse(f"cases:{name}", args=[report.pk, *args])


@pytest.fixture
def handler(db: None, organisation: Organisation, make_member: Any) -> User:
    return make_member(Role.CASE_HANDLER, username="hanna-handler", password=PERSONA_PASSWORD)


@pytest.fixture
def handler_client(handler: User) -> Client:
    # Logging in first creates the key pair, so reports sent afterwards are wrapped for this handler.
    return log_in_with_key(handler)


@pytest.fixture
def submitted(handler_client: Client, organisation: Organisation) -> tuple[Report, str]:
    route_everything_to(organisation)
    return new_report(
        (actions.Upload("photo.jpg", jpeg_with_exif()), actions.Upload("notes.txt", b"plain text\n")),
        name=REPORTER_NAME,
    )


@pytest.fixture
def report(submitted: tuple[Report, str]) -> Report:
    return submitted[0]


@pytest.fixture
def code(submitted: tuple[Report, str]) -> str:
    return submitted[1]


def fresh(report: Report) -> Report:
    report.refresh_from_db()
    return report


def views_of(report: Report, what: str) -> list[Event]:
    return list(
        Event.objects.filter(action="meldpunt.case_viewed", object_id=str(report.pk), details__view=what)
    )


# Reading the case --------------------------------------------------------------------------------------------


def test_handler_reads_the_opened_report_and_every_view_is_audited(
    handler_client: Client, handler: User, report: Report
) -> None:
    for _view in range(2):
        response = handler_client.get(url("detail", report))
        assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert f"Case #{report.pk}" in html
    assert NARRATIVE in html
    assert REPORTER_NAME in html
    assert "photo.jpg" in html and "notes.txt" in html
    assert "Verbal threat" in html and "General practitioner" in html
    events = views_of(report, "case")
    assert len(events) == 2
    assert {event.actor_id for event in events} == {handler.pk}
    assert all(NARRATIVE not in json.dumps(event.details) for event in events)


def test_case_page_shows_times_in_amsterdam(handler_client: Client, report: Report) -> None:
    # 23:30 in UTC on 15 January is already 16 January in Amsterdam.
    Report.objects.filter(pk=report.pk).update(created_at="2025-01-15T23:30:00+00:00")
    html = handler_client.get(url("detail", report)).content.decode()
    assert "Jan. 16, 2025, 12:30 a.m." in html
    queue = handler_client.get(reverse("cases:queue")).content.decode()
    assert "Jan. 16, 2025" in queue
    assert "12:30" not in queue  # the queue shows the date only


def test_handler_the_key_was_not_shared_with_sees_facts_and_an_explanation(
    report: Report, make_member: Any
) -> None:
    latecomer = make_member(Role.CASE_HANDLER, username="late-larry", password=PERSONA_PASSWORD)
    client = log_in_with_key(latecomer)  # the key pair is made now, after the report came in
    response = client.get(url("detail", report))
    html = response.content.decode()
    assert response.status_code == 200
    assert "its key has not been shared with you" in html
    assert NARRATIVE not in html and REPORTER_NAME not in html and "photo.jpg" not in html
    assert "Verbal threat" in html  # the structured facts need no key
    assert url("change_status", report) in html and url("assign", report) in html
    assert url("reply", report) not in html
    assert len(views_of(report, "case")) == 1


def test_session_without_an_unlocked_key_asks_to_log_in_again(report: Report, handler: User) -> None:
    client = login_verified(Client(), handler)  # no password login: nothing unlocked in this session
    html = client.get(url("detail", report)).content.decode()
    assert "Log out and log in again" in html
    assert NARRATIVE not in html


def test_key_cookie_missing_after_a_link_from_elsewhere_offers_to_open_again(
    handler_client: Client, report: Report
) -> None:
    del handler_client.cookies[keys.KEY_COOKIE]
    html = handler_client.get(url("detail", report)).content.decode()
    assert "open the case again from this site" in html
    assert "Open the case again" in html
    assert NARRATIVE not in html


# Who may see a case ------------------------------------------------------------------------------------------


def every_case_url(report: Report) -> list[tuple[str, str]]:
    attachment = report.attachments.first()
    assert attachment is not None
    referral = Referral.objects.create(report=report, kind="employer", referred_on="2025-03-01")
    return [
        ("get", url("detail", report)),
        ("post", url("change_status", report)),
        ("post", url("close", report)),
        ("post", url("reopen", report)),
        ("post", url("assign", report)),
        ("post", url("reply", report)),
        ("post", url("add_note", report)),
        ("post", url("add_referral", report)),
        ("post", url("referral_status", report, referral.pk)),
        ("post", url("share", report)),
        ("post", url("erase", report)),
        ("get", url("attachment", report, attachment.pk)),
        ("get", url("preview", report, attachment.pk)),
    ]


POSTED = {
    "version": "1",
    "status": "in_triage",
    "outcome": "advice_given",
    "body": "I should not be able to send this",
    "note": "nor this",
    "kind": "employer",
    "referred_on": "2025-03-02",
    "confirm_number": "1",
}


@pytest.mark.parametrize("outsider", ["other_organisation_handler", "analyst", "viewer"])
def test_others_get_404_on_every_case_url_and_change_nothing(
    outsider: str,
    report: Report,
    make_member: Any,
    other_organisation: Organisation,
) -> None:
    person = {
        "other_organisation_handler": lambda: make_member(
            Role.CASE_HANDLER, other_organisation, password=PERSONA_PASSWORD
        ),
        "analyst": lambda: make_member(Role.ANALYST, password=PERSONA_PASSWORD),
        "viewer": lambda: make_member(Role.VIEWER, password=PERSONA_PASSWORD),
    }[outsider]()
    client = log_in_with_key(person)
    before = (
        fresh(report).version,
        Message.objects.count(),
        InternalNote.objects.count(),
        Referral.objects.count(),
    )
    for method, address in every_case_url(report):
        response = getattr(client, method)(address, {**POSTED, "colleague": person.pk})
        assert response.status_code == 404, (method, address)
        assert NARRATIVE not in response.content.decode()
    assert (
        fresh(report).version,
        Message.objects.count(),
        InternalNote.objects.count(),
        Referral.objects.count() - 1,
    ) == before
    assert not Event.objects.filter(action="meldpunt.case_viewed").exists()


def test_anonymous_visitors_are_sent_to_the_login_page(report: Report) -> None:
    client = Client()
    for method, address in every_case_url(report):
        response = getattr(client, method)(address, POSTED)
        assert response.status_code == 302, address
        assert response["Location"].startswith(reverse("accounts:login"))


def test_unknown_case_number_looks_like_a_foreign_one(handler_client: Client) -> None:
    assert handler_client.get(reverse("cases:detail", args=[99999])).status_code == 404


# The state machine -------------------------------------------------------------------------------------------


def test_case_moves_through_its_states_and_closing_needs_an_outcome(
    handler_client: Client, report: Report
) -> None:
    response = handler_client.post(url("change_status", report), {"status": "in_triage", "version": 1})
    assert response.status_code == 302
    assert response["Location"] == url("detail", report) + "#handling"
    page = handler_client.get(response["Location"]).content.decode()
    assert "The case is now “Being assessed”." in page
    assert fresh(report).status == "in_triage" and report.acknowledged_at is not None

    refused = handler_client.post(url("close", report), {"outcome": "", "version": 2})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "There is a problem" in html
    assert "Choose the outcome of the case to close it." in html
    assert fresh(report).status == "in_triage"

    not_allowed = handler_client.post(url("change_status", report), {"status": "new", "version": 2})
    assert not_allowed.status_code == 400
    assert fresh(report).version == 2

    closed = handler_client.post(url("close", report), {"outcome": "referred", "version": 2})
    assert closed.status_code == 302
    assert (fresh(report).status, report.outcome) == ("closed", "referred")
    page = handler_client.get(url("detail", report)).content.decode()
    assert "Referred to another organisation" in page
    assert url("reply", report) not in page  # a closed case takes no messages
    assert url("reopen", report) in page

    reopened = handler_client.post(url("reopen", report), {"version": 3})
    assert reopened.status_code == 302
    assert (fresh(report).status, report.outcome, report.closed_at) == ("in_progress", "", None)
    assert list(StatusChange.objects.filter(report=report).values_list("to_status", flat=True)) == [
        "in_triage",
        "closed",
        "in_progress",
    ]
    page = handler_client.get(url("detail", report)).content.decode()
    assert "Status changed from “Closed” to “In progress”" in page


def test_form_without_its_version_is_refused(handler_client: Client, report: Report) -> None:
    response = handler_client.post(url("change_status", report), {"status": "in_triage"})
    assert response.status_code == 400
    assert "The form was incomplete" in response.content.decode()
    assert fresh(report).version == 1


def test_get_on_an_action_url_is_not_allowed(handler_client: Client, report: Report) -> None:
    assert handler_client.get(url("change_status", report)).status_code == 405


# Two handlers at once ----------------------------------------------------------------------------------------


def test_two_handlers_change_one_case_at_once_and_the_second_gets_409(
    handler_client: Client, report: Report, code: str, make_member: Any
) -> None:
    colleague = make_member(Role.CASE_HANDLER, username="colin-colleague", password=PERSONA_PASSWORD)
    other_client = log_in_with_key(colleague)
    cases.share_key(report, data_key(report, code), colleague, actor=None)
    # Both open the case at version 1 and see the forms with that version.
    for client in (handler_client, other_client):
        assert 'name="version" value="1"' in client.get(url("detail", report)).content.decode()

    first = handler_client.post(url("change_status", report), {"status": "in_progress", "version": 1})
    assert first.status_code == 302
    second = other_client.post(url("close", report), {"outcome": "no_response", "version": 1})
    assert second.status_code == 409
    html = second.content.decode()
    assert STALE in html
    assert "In progress" in html  # the case as it is now
    assert 'name="version" value="2"' in html  # fresh forms, ready for a new decision
    assert (fresh(report).status, report.outcome, report.version) == ("in_progress", "", 2)
    assert StatusChange.objects.filter(report=report).count() == 1

    # Choosing what the other already chose is still "outdated", not "already has this status".
    same = other_client.post(url("change_status", report), {"status": "in_progress", "version": 1})
    assert same.status_code == 409
    assert STALE in same.content.decode()

    # An outdated assignment shares nothing either.
    third = make_member(Role.CASE_HANDLER, password=PERSONA_PASSWORD)
    log_in_with_key(third)
    stale_assign = other_client.post(url("assign", report), {"assignee": third.pk, "version": 1})
    assert stale_assign.status_code == 409
    assert fresh(report).assigned_to is None
    assert not ReportKey.objects.filter(report=report, user=third).exists()


# Messages, notes, referrals ----------------------------------------------------------------------------------


def test_reply_reaches_the_reporter_and_their_answer_reaches_the_handler(
    handler_client: Client, report: Report, code: str
) -> None:
    response = handler_client.post(url("reply", report), {"body": REPLY})
    assert response.status_code == 302
    assert fresh(report).acknowledged_at is not None

    reporter = anonymous_client()
    assert log_in_with_code(reporter, code).status_code == 302
    followup = reporter.get(reverse("meldpunt:followup")).content.decode()
    assert REPLY in followup
    answer = "Ja, bel mij na 17 uur alstublieft."
    assert reporter.post(reverse("meldpunt:followup_reply"), {"body": answer}).status_code == 302

    page = handler_client.get(url("detail", report)).content.decode()
    assert answer in page
    assert "Message from the reporter" in page
    assert "Read by the reporter on" in page
    queue = handler_client.get(reverse("cases:queue")).content.decode()
    assert "1 message" in queue


def test_empty_reply_gets_a_field_error(handler_client: Client, report: Report) -> None:
    response = handler_client.post(url("reply", report), {"body": "   "})
    assert response.status_code == 400
    assert 'href="#case-reply-body"' in response.content.decode()
    assert not Message.objects.exists()


def test_internal_note_is_never_shown_to_the_reporter(
    handler_client: Client, report: Report, code: str
) -> None:
    assert handler_client.post(url("add_note", report), {"note": NOTE}).status_code == 302
    page = handler_client.get(url("detail", report)).content.decode()
    assert NOTE in page
    assert "Internal note — never shown to the reporter" in page

    reporter = anonymous_client()
    log_in_with_code(reporter, code)
    for name in ("meldpunt:followup", "meldpunt:followup_export_json"):
        body = reporter.get(reverse(name)).content.decode()
        assert NOTE not in body and "5521" not in body, name
        assert "Internal" not in body, name
    archive = zipfile.ZipFile(io.BytesIO(reporter.get(reverse("meldpunt:followup_export_zip")).content))
    for member in archive.namelist():
        assert NOTE.encode() not in archive.read(member), member
    exported = json.loads(reporter.get(reverse("meldpunt:followup_export_json")).content)
    assert set(exported) == {"exported_at", "report", "messages", "attachments"}
    assert exported["messages"] == []
    assert NOTE.encode() not in bytes(InternalNote.objects.get().sealed_body)


def test_police_referral_needs_the_vpt_question_answered(handler_client: Client, report: Report) -> None:
    page = handler_client.get(url("detail", report)).content.decode()
    assert "Only for police referrals" in page  # shown without JavaScript, with its hint

    missing = handler_client.post(
        url("add_referral", report),
        {"kind": "police_aangifte", "referred_on": "2025-03-03", "status": "done", "vpt_code": ""},
    )
    assert missing.status_code == 400
    assert "VPT code" in missing.content.decode()
    assert 'href="#case-referral-vpt_code"' in missing.content.decode()

    wrong = handler_client.post(
        url("add_referral", report),
        {"kind": "employer", "referred_on": "2025-03-03", "status": "done", "vpt_code": "asked"},
    )
    assert wrong.status_code == 400
    assert "only applies to police referrals" in wrong.content.decode()
    assert not Referral.objects.exists()

    done = handler_client.post(
        url("add_referral", report),
        {
            "kind": "police_aangifte",
            "referred_on": "2025-03-03",
            "status": "planned",
            "vpt_code": "asked",
            "note": "Wijkagent Pietersen, afspraak dinsdag.",
        },
    )
    assert done.status_code == 302
    referral = Referral.objects.get()
    assert (referral.kind, referral.vpt_code, referral.status) == ("police_aangifte", "asked", "planned")
    page = handler_client.get(url("detail", report)).content.decode()
    assert "Asked for the VPT code" in page
    assert "Wijkagent Pietersen" in page

    updated = handler_client.post(url("referral_status", report, referral.pk), {"status": "done"})
    assert updated.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "done"


# Assignment and access ---------------------------------------------------------------------------------------


def test_assigning_a_colleague_shares_the_key_so_they_can_read(
    handler_client: Client, report: Report, make_member: Any
) -> None:
    colleague = make_member(Role.CASE_HANDLER, username="new-nina", password=PERSONA_PASSWORD)
    colleague_client = log_in_with_key(colleague)  # key pair made after the report came in
    assert NARRATIVE not in colleague_client.get(url("detail", report)).content.decode()

    response = handler_client.post(url("assign", report), {"assignee": colleague.pk, "version": 1})
    assert response.status_code == 302
    assert fresh(report).assigned_to == colleague
    assert Event.objects.filter(action="meldpunt.case_key_shared", object_id=str(report.pk)).exists()
    assert NARRATIVE in colleague_client.get(url("detail", report)).content.decode()


def test_assigning_someone_of_another_organisation_is_refused(
    handler_client: Client, report: Report, make_member: Any, other_organisation: Organisation
) -> None:
    stranger = make_member(Role.CASE_HANDLER, other_organisation)
    response = handler_client.post(url("assign", report), {"assignee": stranger.pk, "version": 1})
    assert response.status_code == 400
    assert fresh(report).assigned_to is None


def test_sharing_access_with_a_colleague(handler_client: Client, report: Report, make_member: Any) -> None:
    colleague = make_member(Role.CASE_HANDLER, username="sam-share", password=PERSONA_PASSWORD)
    colleague_client = log_in_with_key(colleague)
    never_logged_in = make_member(Role.CASE_HANDLER, username="nobody-yet")

    refused = handler_client.post(url("share", report), {"colleague": never_logged_in.pk})
    assert refused.status_code == 400
    assert "has not logged in since getting the case handler role" in refused.content.decode()

    response = handler_client.post(url("share", report), {"colleague": colleague.pk})
    assert response.status_code == 302
    assert cases.can_read(colleague, report)
    assert NARRATIVE in colleague_client.get(url("detail", report)).content.decode()


def test_action_needing_the_key_without_it_explains_and_keeps_the_text(
    report: Report, make_member: Any
) -> None:
    latecomer = make_member(Role.CASE_HANDLER, password=PERSONA_PASSWORD)
    client = log_in_with_key(latecomer)
    response = client.post(url("reply", report), {"body": "Een tekst die niet verloren mag gaan"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "its key has not been shared with you" in html
    assert "Een tekst die niet verloren mag gaan" in html
    assert not Message.objects.exists()


# Files -------------------------------------------------------------------------------------------------------


def test_download_gives_the_original_bytes_as_an_attachment(handler_client: Client, report: Report) -> None:
    attachment = report.attachments.get(content_type="image/jpeg")
    response = handler_client.get(url("attachment", report, attachment.pk))
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == attachment.sha256
    assert response.content == jpeg_with_exif()
    assert response["Content-Disposition"] == 'attachment; filename="photo.jpg"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert len(views_of(report, "file")) == 1


def test_preview_of_a_photo_has_no_exif(handler_client: Client, report: Report) -> None:
    attachment = report.attachments.get(content_type="image/jpeg")
    response = handler_client.get(url("preview", report, attachment.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.size == (24, 16)
        assert not image.getexif()
        assert "exif" not in image.info
    assert b"SecretCam" not in response.content and b"Janssen" not in response.content
    assert len(views_of(report, "preview")) == 1


def test_only_photos_have_a_preview(handler_client: Client, report: Report) -> None:
    text = report.attachments.get(content_type="text/plain")
    assert handler_client.get(url("preview", report, text.pk)).status_code == 404


def test_png_preview_is_served_as_png(handler_client: Client, organisation: Organisation) -> None:
    route_everything_to(organisation)
    screenshot, _code = new_report((actions.Upload("screen.png", png_bytes()),))
    attachment = screenshot.attachments.get()
    response = handler_client.get(url("preview", screenshot, attachment.pk))
    assert response["Content-Type"] == "image/png"


def test_file_of_another_case_is_not_found_through_this_one(
    handler_client: Client, report: Report, organisation: Organisation
) -> None:
    other, _code = new_report((actions.Upload("other.png", png_bytes()),))
    foreign = other.attachments.get()
    assert handler_client.get(url("attachment", report, foreign.pk)).status_code == 404


def test_file_without_the_key_goes_back_to_the_case_page(report: Report, make_member: Any) -> None:
    latecomer = make_member(Role.CASE_HANDLER, password=PERSONA_PASSWORD)
    client = log_in_with_key(latecomer)
    attachment = report.attachments.first()
    assert attachment is not None
    response = client.get(url("attachment", report, attachment.pk))
    assert response.status_code == 302
    assert response["Location"] == url("detail", report) + "#files"
    assert not views_of(report, "file")


# Markup ------------------------------------------------------------------------------------------------------


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.headings: list[int] = []
        self.inline: list[str] = []
        self.labelled: set[str] = set()
        self.fields: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.append(str(values["id"]))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if "style" in values or (tag == "script" and "src" not in values):
            self.inline.append(tag)
        if tag == "label" and values.get("for"):
            self.labelled.add(str(values["for"]))
        if tag in {"input", "select", "textarea"} and values.get("type") not in {"hidden", "submit"}:
            self.fields.append(str(values.get("id")))


def test_case_pages_have_unique_ids_ordered_headings_labels_and_nothing_inline(
    handler_client: Client, report: Report
) -> None:
    handler_client.post(
        url("add_referral", report), {"kind": "employer", "referred_on": "2025-03-01", "status": "planned"}
    )
    for address in (url("detail", report), reverse("cases:queue"), reverse("cases:phone_intake")):
        markup = _Markup()
        markup.feed(handler_client.get(address).content.decode())
        assert len(markup.ids) == len(set(markup.ids)), address
        assert markup.headings.count(1) == 1, address
        assert all(later - earlier <= 1 for earlier, later in pairwise(markup.headings)), address
        assert markup.inline == [], address
        assert set(markup.fields) <= markup.labelled, (address, set(markup.fields) - markup.labelled)


def test_handler_erases_a_case_on_the_reporters_request(
    handler_client: Client, report: Report, code: str
) -> None:
    page = handler_client.get(url("detail", report)).content.decode()
    assert "Erase on the reporter's request" in page

    wrong = handler_client.post(url("erase", report), {"version": report.version, "confirm_number": "999999"})
    assert wrong.status_code == 400
    assert f"Type {report.pk}, the number of this case" in wrong.content.decode()
    assert fresh(report).erased_at is None

    response = handler_client.post(
        url("erase", report), {"version": report.version, "confirm_number": f"#{report.pk}"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:queue")
    erased = fresh(report)
    assert erased.erased_at is not None
    assert not ReportKey.objects.filter(report=erased).exists()
    assert Event.objects.filter(action="meldpunt.report_erased", object_id=str(report.pk)).exists()
    # The case is gone for the handler, and the receipt code opens nothing any more.
    assert handler_client.get(url("detail", report)).status_code == 404
    assert log_in_with_code(anonymous_client(), code).status_code == 400
