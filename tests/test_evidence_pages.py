"""The evidence staff pages: adding files and web captures, one item with its custody log, downloading,
hand-overs, bundle export, the include for other pages, and who may do what."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.template import engines
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation
from accounts.roles import Role
from evidence import store, verify_bundle
from evidence.bundle import build_bundle
from evidence.forms import target_token
from evidence.models import Bundle, CustodyEvent, EvidenceItem
from registry.models import Incident
from tests import test_evidence_helpers
from tests.conftest import verified_client
from tests.test_evidence_helpers import (
    PDF_BYTES,
    add,
    jpeg_bytes,
    png_bytes,
    stored_files,
)

data_dir = test_evidence_helpers.data_dir  # the fixture, shared

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("data_dir", "english_pages")]


def url(name: str, *args: Any) -> str:
    return reverse(f"evidence:{name}", args=args)


def upload_data(organisation: Organisation, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "organisation": organisation.pk,
        "kind": "photo",
        "collected_by": "Amira Field",
        "collected_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "how": "recorded_on_scene",
        "tool_or_device": "Phone camera",
        "notes": "Entrance of the clinic",
    }
    data.update(overrides)
    return data


def streamed(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def named(name: str, data: bytes) -> io.BytesIO:
    file = io.BytesIO(data)
    file.name = name
    return file


@pytest.fixture
def documenter(make_member: Any) -> Any:
    return make_member(Role.FIELD_DOCUMENTER, username="amira")


@pytest.fixture
def client_of(documenter: Any) -> Client:
    return verified_client(documenter)


# Adding -----------------------------------------------------------------------------------------------------


def test_a_documenter_adds_several_photos_at_once(
    client_of: Client, organisation: Organisation, documenter: Any
) -> None:
    page = client_of.get(url("upload"))
    assert page.status_code == 200
    assert "multiple" in page.content.decode()
    first, second = png_bytes(), jpeg_bytes()
    response = client_of.post(
        url("upload"),
        {**upload_data(organisation), "uploads": [named("IMG_1.png", first), named("IMG_2.jpg", second)]},
    )
    assert response.status_code == 302
    items = EvidenceItem.objects.order_by("pk")
    assert [(item.original_filename, item.sha256) for item in items] == [
        ("IMG_1.png", hashlib.sha256(first).hexdigest()),
        ("IMG_2.jpg", hashlib.sha256(second).hexdigest()),
    ]
    assert all(item.added_by == documenter and item.organisation == organisation for item in items)
    assert "2 files were added as evidence" in client_of.get(response["Location"]).content.decode()


def test_a_refused_file_is_named_on_the_page_and_nothing_is_stored(
    client_of: Client, organisation: Organisation, data_dir: Path
) -> None:
    response = client_of.post(
        url("upload"),
        {
            **upload_data(organisation),
            "uploads": [named("ok.png", png_bytes()), named("virus.exe", b"MZ" + b"\0" * 99)],
        },
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "There is a problem" in text
    assert "virus.exe: this file is a program or script" in text
    assert not EvidenceItem.objects.exists()
    assert stored_files(data_dir) == []


def test_missing_fields_are_named(client_of: Client, organisation: Organisation) -> None:
    response = client_of.post(url("upload"), {"organisation": organisation.pk, "kind": "photo"})
    assert response.status_code == 400
    text = response.content.decode()
    assert 'href="#id_uploads"' in text
    assert 'href="#id_collected_by"' in text


def test_a_web_capture_keeps_its_address_time_and_capturer(
    client_of: Client, organisation: Organisation
) -> None:
    response = client_of.post(
        url("web_capture"),
        {
            "organisation": organisation.pk,
            "original_url": "https://social.example/clinic/status/1",
            "captured_at": "2025-03-01T14:10",
            "capturer": "Amira Field",
            "tool_or_device": "Browser screenshot",
            "file": named("capture.pdf", PDF_BYTES),
        },
    )
    assert response.status_code == 302
    item = EvidenceItem.objects.get()
    assert (item.kind, item.how, item.original_url, item.capturer) == (
        "web_capture",
        "captured_online",
        "https://social.example/clinic/status/1",
        "Amira Field",
    )
    assert timezone.localtime(item.captured_at).strftime("%Y-%m-%d %H:%M") == "2025-03-01 14:10"
    assert response["Location"] == url("detail", item.pk)


def test_a_typed_witness_statement_is_stored_as_text_and_hashed(
    client_of: Client, organisation: Organisation
) -> None:
    incident = Incident.objects.create(country_iso3="SDN")
    statement = "Ik stond bij de ingang.\r\nToen kwam de eerste inslag, om 14:05.\r\n"
    response = client_of.post(
        url("statement"),
        {
            "organisation": organisation.pk,
            "witness": "Verpleegkundige van de nachtdienst (wil niet met naam genoemd worden)",
            "language": "Arabisch, vertaald door een tolk",
            "statement": statement,
            "collected_by": "Amira Field",
            "collected_at": "2025-03-01T14:10",
            "notes": "Afgenomen in het veldkantoor.",
            "target": target_token(incident),
            "next": "/en/staff/",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/en/staff/"
    item = EvidenceItem.objects.get()
    text = store.read_bytes(item.sha256).decode("utf-8")
    assert item.sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert (item.kind, item.how, item.content_type) == ("witness_statement", "statement_taken", "text/plain")
    assert (item.collected_by, item.target_id) == ("Amira Field", str(incident.pk))
    assert item.original_filename == "witness-statement-2025-03-01-1410.txt"
    assert text.startswith("Witness statement\nWitness: Verpleegkundige van de nachtdienst")
    assert "Language: Arabisch, vertaald door een tolk\n" in text
    assert "Taken at: 2025-03-01 14:10" in text
    assert text.endswith("\n\nIk stond bij de ingang.\nToen kwam de eerste inslag, om 14:05.\n")
    assert list(item.custody_events.values_list("kind", flat=True)) == ["collected"]


def test_a_statement_without_witness_or_text_is_refused_by_field(
    client_of: Client, organisation: Organisation
) -> None:
    response = client_of.post(
        url("statement"),
        {"organisation": organisation.pk, "witness": " ", "statement": "   ", "collected_by": "Amira Field"},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert (
        'href="#id_witness"' in text and 'href="#id_statement"' in text and 'href="#id_collected_at"' in text
    )
    assert not EvidenceItem.objects.exists()
    too_long = client_of.post(
        url("statement"),
        {
            "organisation": organisation.pk,
            "witness": "W",
            "statement": "x" * 100_001,
            "collected_by": "Amira Field",
            "collected_at": "2025-03-01T14:10",
        },
    )
    assert too_long.status_code == 400 and "at most 100000 characters" in too_long.content.decode()
    assert not EvidenceItem.objects.exists()


# One item ---------------------------------------------------------------------------------------------------


def test_the_item_page_shows_hash_metadata_and_custody_log(
    client_of: Client, organisation: Organisation, documenter: Any
) -> None:
    item = add(organisation, actor=documenter, name="IMG_7.png")
    text = client_of.get(url("detail", item.pk)).content.decode()
    assert item.sha256 in text
    assert "Amira Field" in text and "Phone camera" in text
    assert "Collected" in text and "amira" in text
    # Looking at the page is not viewing the file: no custody event.
    assert list(item.custody_events.values_list("kind", flat=True)) == ["collected"]


def test_downloading_gives_the_exact_bytes_and_records_a_view(
    client_of: Client, organisation: Organisation, documenter: Any
) -> None:
    data = png_bytes()
    item = add(organisation, data, actor=documenter, name="IMG_7.png")
    response = client_of.get(url("file", item.pk))
    assert response.status_code == 200
    assert streamed(response) == data
    assert response["Content-Disposition"] == 'attachment; filename="IMG_7.png"'
    assert response["Content-Type"] == "image/png"
    viewed = item.custody_events.get(kind="viewed")
    assert viewed.actor == documenter
    assert viewed.audit_event.details["sha256"] == item.sha256


def test_a_hand_over_is_recorded(client_of: Client, organisation: Organisation) -> None:
    item = add(organisation)
    response = client_of.post(
        url("transfer", item.pk), {"recipient": "Investigator X, UN COI", "reason": "Original card"}
    )
    assert response.status_code == 302
    event = item.custody_events.get(kind="transferred")
    assert (event.recipient, event.reason) == ("Investigator X, UN COI", "Original card")
    refused = client_of.post(url("transfer", item.pk), {"recipient": "", "reason": ""})
    assert refused.status_code == 400
    assert item.custody_events.filter(kind="transferred").count() == 1


# Bundles ----------------------------------------------------------------------------------------------------


def test_exporting_a_bundle_downloads_a_zip_that_verifies(
    make_member: Any, organisation: Organisation, tmp_path: Path
) -> None:
    items = [
        add(organisation, png_bytes(), name="a.png"),
        add(organisation, PDF_BYTES, name="b.pdf", kind="document"),
    ]
    analyst = verified_client(make_member(Role.ANALYST))
    form = analyst.get(url("bundle_new") + f"?item={items[0].pk}")
    assert form.status_code == 200
    assert f'value="{items[0].pk}"' in form.content.decode()
    response = analyst.post(
        url("bundle_new"), {"items": [item.pk for item in items], "reason": "For the ICC"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    bundle = Bundle.objects.get()
    assert response["Content-Disposition"] == f'attachment; filename="evidence-bundle-{bundle.pk}.zip"'
    path = tmp_path / "download.zip"
    path.write_bytes(streamed(response))
    assert verify_bundle.verify(path).intact
    assert CustodyEvent.objects.filter(kind="exported", bundle=bundle).count() == 2
    # Nothing of the ZIP stays on the server.
    assert list((store.root() / "tmp").iterdir()) == []
    page = analyst.get(url("bundle_detail", bundle.pk)).content.decode()
    assert bundle.manifest_sha256 in page and "For the ICC" in page
    key = analyst.get(url("public_key", organisation.slug))
    assert key.content.startswith(b"-----BEGIN PUBLIC KEY-----")


def test_the_bundle_page_finds_items_and_keeps_what_was_ticked(
    client_of: Client, organisation: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident = Incident.objects.create(country_iso3="SDN")
    photos = [add(organisation, png_bytes(), name=f"IMG_{number}.png") for number in range(3)]
    report = add(organisation, PDF_BYTES, name="hospital-report.pdf", kind="document", target=incident)
    statement = add(organisation, b"I saw it.\n", name="statement.txt", kind="witness_statement")

    def shown(response: Any) -> set[int]:
        text = response.content.decode()
        return {item.pk for item in [*photos, report, statement] if f'name="items" value="{item.pk}"' in text}

    everything = client_of.get(url("bundle_new"))
    assert shown(everything) == {item.pk for item in [*photos, report, statement]}
    assert "5 items match." in everything.content.decode()
    assert shown(client_of.get(url("bundle_new") + "?q=hospital")) == {report.pk}
    assert shown(client_of.get(url("bundle_new") + f"?q=I-{incident.pk:06d}")) == {report.pk}
    assert shown(client_of.get(url("bundle_new") + f"?q={statement.sha256[:10]}")) == {statement.pk}
    assert shown(client_of.get(url("bundle_new") + "?kind=photo")) == {item.pk for item in photos}

    # Searching again posts the form: the ticked report stays (and stays ticked), the reason too.
    again = client_of.post(
        url("bundle_new"),
        {"search": "1", "q": "IMG_1", "items": [report.pk], "reason": "For the ICC"},
    )
    assert again.status_code == 200
    assert shown(again) == {report.pk, photos[1].pk}
    text = again.content.decode()
    assert re.search(f'name="items" value="{report.pk}"[^>]* checked', text)
    assert not re.search(f'name="items" value="{photos[1].pk}"[^>]* checked', text)
    assert "For the ICC" in text
    assert not Bundle.objects.exists()

    # Only the newest matches are listed, and the page says so; an item not listed can still be exported.
    monkeypatch.setattr("evidence.forms.SEARCH_LIMIT", 2)
    limited = client_of.get(url("bundle_new"))
    assert len(shown(limited)) == 2
    assert "Showing the newest 2 of 5 matching items" in limited.content.decode()
    exported = client_of.post(url("bundle_new"), {"items": [photos[0].pk], "reason": "For the ICC"})
    assert exported.status_code == 200 and exported["Content-Type"] == "application/zip"


def test_a_bundle_without_reason_is_refused(client_of: Client, organisation: Organisation) -> None:
    item = add(organisation)
    response = client_of.post(url("bundle_new"), {"items": [item.pk], "reason": ""})
    assert response.status_code == 400
    assert not Bundle.objects.exists()


# The include for other pages --------------------------------------------------------------------------------


def test_the_include_lists_and_uploads_evidence_for_its_target(
    client_of: Client, documenter: Any, organisation: Organisation
) -> None:
    incident = Incident.objects.create()
    existing = add(organisation, target=incident, name="before.png")
    request = RequestFactory().get("/en/staff/field-reports/7/")
    request.user = documenter
    html = (
        engines["django"]
        .from_string('{% include "evidence/attach.html" with target=incident %}')
        .render({"incident": incident, "request": request}, request)
    )
    assert "before.png" in html
    token = target_token(incident)
    assert f'value="{token}"' in html
    assert 'name="next" value="/en/staff/field-reports/7/"' in html

    response = client_of.post(
        url("upload"),
        {
            **upload_data(organisation),
            "target": token,
            "next": "/en/staff/field-reports/7/",
            "uploads": [named("after.jpg", jpeg_bytes())],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/en/staff/field-reports/7/"
    added = EvidenceItem.objects.exclude(pk=existing.pk).get()
    assert added.target == incident


def test_a_forged_target_or_outside_next_address_is_not_followed(
    client_of: Client, organisation: Organisation
) -> None:
    incident = Incident.objects.create()
    forged = target_token(incident)[:-2] + "xx"
    refused = client_of.post(
        url("upload"),
        {**upload_data(organisation), "target": forged, "uploads": [named("a.png", png_bytes())]},
    )
    assert refused.status_code == 400
    assert not EvidenceItem.objects.exists()
    response = client_of.post(
        url("upload"),
        {
            **upload_data(organisation),
            "next": "https://elsewhere.example/",
            "uploads": [named("a.png", png_bytes())],
        },
    )
    assert response["Location"] == url("detail", EvidenceItem.objects.get().pk)


# Who may do what ----------------------------------------------------------------------------------------------


def test_an_analyst_sees_and_exports_but_does_not_add(make_member: Any, organisation: Organisation) -> None:
    item = add(organisation)
    analyst = verified_client(make_member(Role.ANALYST))
    assert analyst.get(url("list")).status_code == 200
    assert analyst.get(url("detail", item.pk)).status_code == 200
    assert analyst.get(url("file", item.pk)).status_code == 200
    assert analyst.get(url("bundles")).status_code == 200
    assert analyst.get(url("upload")).status_code == 403
    assert analyst.get(url("web_capture")).status_code == 403
    # A hand-over is recorded on the item's page: an item where one may not record it is not there (404).
    assert analyst.post(url("transfer", item.pk), {"recipient": "x", "reason": "y"}).status_code == 404


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CASE_HANDLER, Role.PROFESSION_EDITOR])
def test_members_without_the_permissions_get_403_and_404_for_items(
    make_member: Any, organisation: Organisation, role: Role
) -> None:
    item = add(organisation)
    client = verified_client(make_member(role))
    for address in (url("list"), url("upload"), url("web_capture"), url("bundles"), url("bundle_new")):
        assert client.get(address).status_code == 403, address
    # One item's pages answer as for an item that does not exist.
    for address in (url("detail", item.pk), url("file", item.pk), url("public_key", organisation.slug)):
        assert client.get(address).status_code == 404, address
    assert not item.custody_events.filter(kind="viewed").exists()


def test_another_organisations_evidence_is_404(
    make_member: Any, organisation: Organisation, other_organisation: Organisation, tmp_path: Path
) -> None:
    item = add(organisation)
    bundle = build_bundle(None, [item], "reason", directory=tmp_path).bundle
    stranger = verified_client(make_member(Role.ADMIN, other_organisation))
    for address in (
        url("detail", item.pk),
        url("file", item.pk),
        url("bundle_detail", bundle.pk),
        url("public_key", organisation.slug),
    ):
        assert stranger.get(address).status_code == 404, address
    assert stranger.post(url("transfer", item.pk), {"recipient": "x", "reason": "y"}).status_code == 404
    assert item.sha256 not in stranger.get(url("list")).content.decode()
    exported = stranger.post(url("bundle_new"), {"items": [item.pk], "reason": "take it"})
    assert exported.status_code == 400
    assert list(item.custody_events.values_list("kind", flat=True)) == ["collected", "exported"]


def test_anonymous_visitors_are_sent_to_log_in(client: Client, organisation: Organisation) -> None:
    item = add(organisation)
    response = client.get(url("file", item.pk))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_the_pages_fit_a_phone(client_of: Client, organisation: Organisation) -> None:
    add(organisation)
    for address in (url("list"), url("upload"), url("web_capture"), url("bundle_new")):
        text = client_of.get(address).content.decode()
        assert 'name="viewport"' in text
        assert "style=" not in text and "<script>" not in text
