"""The plan the wizard ends with: the profession overlay, the other language, the PDF and its rate limit."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone, translation
from django.utils.html import escape

from accounts.roles import Role
from guidance import overlays, pdf, wizard
from guidance.wizard_views import plan_context
from tests.conftest import MakeMember
from tests.overlay_helpers import hidden_step
from tests.test_guidance_wizard import (
    GP_ON_THE_PHONE,
    Choice,
    _answer_lists,
    form_with,
    forms_on,
    page,
    press,
    show_plan,
    step_ids,
    url,
)

pytestmark = pytest.mark.django_db

# A nurse in a hospital, hit by a patient's relative; it has happened before.
NURSE: dict[str, Choice] = {
    "kind": ["physical_violence", "verbal_threat"],
    "channel": "in_person",
    "perpetrator": "relative",
    "in_care": "yes",
    "severity": ["repeated"],
    "profession": "verpleegkundige",
    "sector": "hospital",
    "employment": "employed",
}


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    # The PDF rate limit counts in the cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


def answers_of(chosen: dict[str, Choice]) -> wizard.Answers:
    return {fact: (value,) if isinstance(value, str) else tuple(value) for fact, value in chosen.items()}


# The plan page ----------------------------------------------------------------------------------------------


def test_the_plan_shows_the_boundaries_of_every_kind_chosen_next_to_the_steps(client: Client) -> None:
    html = show_plan(client, NURSE)
    steps_end = html.index('id="plan-boundaries"')
    assert 'id="step-tell_employer"' in html[:steps_end]
    boundaries = re.findall(r'<section class="guidance-boundary" id="boundary-([a-z_]+)"', html)
    assert boundaries == ["verbal_threat", "physical_violence"]  # in the order of the rule files
    assert "practice_warning" in step_ids(html)  # a relative of a patient in her care


def test_the_plan_in_the_other_language_is_the_same_plan(client: Client) -> None:
    dutch = show_plan(client, NURSE, "nl")
    switch = next(form for form in forms_on(dutch) if form.action == url("wizard:plan", "en"))
    assert switch.method == "post"
    assert (
        '<button type="submit" class="button-secondary" lang="en">Show this plan in English</button>' in dutch
    )
    english = press(client, switch, "")
    assert english.status_code == 200
    html = page(english)
    assert '<html lang="en">' in html
    assert step_ids(html) == step_ids(dutch)
    rules = wizard.default_rules()
    assert escape(rules.step("tell_employer").title.en) in html
    # And back: the English page offers Dutch, in Dutch words for Dutch readers.
    back = next(form for form in forms_on(html) if form.action == url("wizard:plan", "nl"))
    assert step_ids(page(press(client, back, ""))) == step_ids(html)


def test_change_your_answers_on_the_plan_opens_the_check_screen(client: Client) -> None:
    plan = show_plan(client, NURSE)
    change = next(form for form in forms_on(plan) if form.value("screen") == wizard.CHECK)
    html = page(press(client, change, ""))
    assert '<h1 tabindex="-1" autofocus>Check your answers</h1>' in html
    assert form_with(html, "show_plan").all("answer-kind") == ["verbal_threat", "physical_violence"]


def test_the_report_button_posts_the_answers_in_the_report_forms_own_codes(client: Client) -> None:
    plan = show_plan(client, NURSE)
    report = next(form for form in forms_on(plan) if form.action == url("meldpunt:report_prefilled"))
    assert report.method == "post"
    assert sorted(report.values) == sorted(
        [
            ("csrfmiddlewaretoken", report.value("csrfmiddlewaretoken") or ""),
            ("kinds", "verbal_threat"),
            ("kinds", "physical_violence"),
            ("channel", "in_person"),
            ("perpetrator", "relative"),
            ("perpetrator_in_care", "yes"),
            ("profession", "verpleegkundige"),
            ("sector", "hospital"),
            ("frequency", "repeated"),
        ]
    )


def test_steps_the_profession_overlay_hides_are_named_with_the_reason(
    client: Client, make_member: MakeMember, organisation: Any
) -> None:
    editor = make_member(Role.PROFESSION_EDITOR)
    overlay = overlays.create_overlay(editor, organisation, "huisarts")
    overlays.save_change(
        editor, overlay, hidden_step("practice_warning", en="Your practice manager does this.")
    )
    overlays.publish(editor, overlay, "hide the warning step")
    html = show_plan(client, GP_ON_THE_PHONE)
    assert "practice_warning" not in step_ids(html)
    assert '<h2 id="plan-hidden">Steps left out for your profession</h2>' in html
    assert "Your practice manager does this." in html
    assert "With the additions for your profession: General practitioner (huisarts), version 1." in html
    # Another profession gets the generic step.
    nurse = show_plan(Client(), {**GP_ON_THE_PHONE, "profession": "verpleegkundige"})
    assert "practice_warning" in step_ids(nurse)
    assert 'id="plan-hidden"' not in nurse


# The PDF ----------------------------------------------------------------------------------------------------


def test_the_plan_downloads_as_a_pdf(client: Client) -> None:
    plan = show_plan(client, NURSE)
    form = next(form for form in forms_on(plan) if form.action == url("wizard:plan_pdf"))
    response = press(client, form, "")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    day = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="zorgveilig-plan-{day}.pdf"'
    assert "no-store" in response["Cache-Control"]
    # The document's language and title, in the PDF's (compressed) catalogue and information dictionary.
    objects = pdf_objects(response.content)
    assert b"/Lang (en)" in objects
    assert b"/Title" in objects


def pdf_objects(document: bytes) -> bytes:
    """Every object of a PDF, with its compressed streams (object streams too) inflated."""
    parts = [document]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", document, re.DOTALL):
        try:
            parts.append(zlib.decompress(stream))
        except zlib.error:
            continue
    return b"\n".join(parts)


def test_the_pdf_is_made_from_the_plans_steps_in_the_page_language() -> None:
    answers = answers_of(NURSE)
    rules = wizard.default_rules()
    for language in ("nl", "en"):
        with translation.override(language):
            context = plan_context(answers)
            html = pdf.plan_html(context)
        assert f'<html lang="{language}">' in html
        assert "<title>" in html
        ids = context["plan"].step_ids
        assert "tell_employer" in ids
        for step_id in ids:
            assert escape(getattr(rules.step(step_id).title, language)) in html
        assert 'id="boundary-physical_violence"' in html
        assert pdf.render(html).startswith(b"%PDF-")


def test_the_pdf_fetches_nothing_from_the_network() -> None:
    fetcher = pdf.offline_fetcher()
    for address in ("https://example.org/logo.png", "http://127.0.0.1/", "file:///etc/passwd"):
        with pytest.raises(ValueError, match="offline"):
            fetcher.fetch(address)
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"
    # A document that asks for a remote image is still made, without it.
    html = '<html lang="en"><title>t</title><img src="https://example.org/x.png"><p>Offline</p></html>'
    assert pdf.render(html).startswith(b"%PDF-")


def test_pdfs_are_limited_per_network(client: Client, settings: Any) -> None:
    settings.GUIDANCE_PDF_RATE_LIMIT = 1
    data = dict(_answer_lists(NURSE))
    assert client.post(url("wizard:plan_pdf"), data, REMOTE_ADDR="198.51.100.7").status_code == 200
    refused = client.post(url("wizard:plan_pdf"), data, REMOTE_ADDR="198.51.100.99")  # same /24
    assert refused.status_code == 429
    html = page(refused)
    assert "Too many PDFs were made from your network in the last hour." in html
    assert int(refused["Retry-After"]) > 0
    # The way back to the plan still carries the answers.
    back = form_with(html, "answer-kind")
    assert back.action == url("wizard:plan") and back.all("answer-kind") == [
        "verbal_threat",
        "physical_violence",
    ]
    # The plan page itself is not limited, and another network may still make PDFs.
    assert client.post(url("wizard:plan"), data, REMOTE_ADDR="198.51.100.7").status_code == 200
    assert client.post(url("wizard:plan_pdf"), data, REMOTE_ADDR="203.0.113.5").status_code == 200


def test_a_pdf_needs_complete_and_readable_answers(client: Client) -> None:
    incomplete = {"answer-kind": ["verbal_threat"]}
    assert client.post(url("wizard:plan_pdf"), incomplete).status_code == 400
    tampered = {**dict(_answer_lists(NURSE)), "answer-profession": ["<script>"]}
    response = client.post(url("wizard:plan_pdf"), tampered)
    assert response.status_code == 400
    assert "could not be read" in page(response)
    assert "<script>" not in page(response)
