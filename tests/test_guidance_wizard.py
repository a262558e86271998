"""The action-framework wizard with the test client: screens, skipping and numbering, errors, back and change,
tampered answers, and that the answers end up nowhere but in the posted forms.

The pages are read as a browser would: every next request is built from the forms on the page (hidden fields,
checked boxes, selected options, the pressed button), so nothing here knows more than the HTML tells.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from guidance import wizard

pytestmark = pytest.mark.django_db

Choice = str | Sequence[str]

# A GP (self-employed, own practice) threatened with violence on the phone by their own patient.
GP_ON_THE_PHONE: dict[str, Choice] = {
    "kind": ["verbal_threat"],
    "channel": "phone",
    "perpetrator": "patient",
    "in_care": "yes",
    "severity": ["threat_of_violence"],
    "profession": "huisarts",
    "sector": "general_practice",
    "employment": "self_employed",
}
# From tests/test_guidance_scenarios.py, the first scenario.
GP_MUST = (
    "document_incident",
    "melding_or_aangifte",
    "self_employed_duties",
    "beroepsgeheim_aangifte",
    "treatment_end_with_care",
    "practice_warning",
    "aangifte_under_number_patient",
    "gp_aggression_protocol",
)
GP_MUST_NOT = ("tell_employer", "call_112", "treatment_continue_agreements", "doxing_285d")


# Reading pages as a browser would --------------------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    # What a browser would send: hidden inputs, checked boxes and radios, selected options.
    values: list[tuple[str, str]] = field(default_factory=list)
    # (name, value, formaction) of each submit button
    buttons: list[tuple[str, str, str]] = field(default_factory=list)
    # name -> input type, for every named input
    inputs: dict[str, str] = field(default_factory=dict)

    def value(self, name: str) -> str | None:
        return next((value for key, value in self.values if key == name), None)

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.values if key == name]


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._in_form = False
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form(attributes.get("action", ""), attributes.get("method", "get").lower()))
            self._in_form = True
            return
        if not self._in_form:
            return
        form = self.forms[-1]
        name = attributes.get("name", "")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            form.inputs[name] = kind
            if kind == "hidden" or (kind in ("checkbox", "radio") and "checked" in attributes):
                form.values.append((name, attributes.get("value", "on")))
        elif tag == "select":
            self._select = name
            form.inputs[name] = "select"
        elif tag == "option" and self._select and "selected" in attributes:
            form.values.append((self._select, attributes.get("value", "")))
        elif tag == "button" and attributes.get("type", "submit") == "submit":
            form.buttons.append((name, attributes.get("value", ""), attributes.get("formaction", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None


def forms_on(html: str) -> list[Form]:
    reader = _FormReader()
    reader.feed(html)
    return reader.forms


def form_with(html: str, name: str) -> Form:
    """The form on the page that has an input or button called `name`."""
    for form in forms_on(html):
        if name in form.inputs or any(button == name for button, _value, _action in form.buttons):
            return form
    raise AssertionError(f"no form with {name!r} on the page")


def press(
    client: Client,
    form: Form,
    button: str,
    choices: Mapping[str, Choice] | None = None,
    *,
    value: str | None = None,
    remote_addr: str = "192.0.2.10",
):
    """Submit `form` with `button` (the one with `value`, if several share the name) and `choices` for its
    visible questions in place of what was checked on the page."""
    choices = choices or {}
    data: dict[str, list[str]] = {}
    for name, given in form.values:
        if name not in choices:
            data.setdefault(name, []).append(given)
    for name, chosen in choices.items():
        data[name] = [chosen] if isinstance(chosen, str) else list(chosen)
    found = [entry for entry in form.buttons if entry[0] == button and (value is None or entry[1] == value)]
    assert found, f"no button {button!r} in the form"
    _name, button_value, formaction = found[0]
    data[button] = [button_value]
    assert form.method == "post"
    return client.post(formaction or form.action, data, REMOTE_ADDR=remote_addr)


def page(response) -> str:
    return response.content.decode()


def screen_of(html: str) -> str:
    screen = form_with(html, "screen").value("screen")
    assert screen is not None
    return screen


def progress_of(html: str) -> str:
    found = re.search(r'class="wizard-progress"[^>]*>([^<]+)<', html)
    assert found is not None
    return " ".join(found.group(1).split())


def url(name: str, language: str = "en") -> str:
    with translation.override(language):
        return reverse(name)


def walk(client: Client, answers: Mapping[str, Choice], language: str = "en") -> tuple[str, list[str]]:
    """Answer every screen the wizard shows with `answers`; returns the check page and the screens seen."""
    html = page(client.get(url("wizard:questions", language)))
    seen = []
    while (current := screen_of(html)) != wizard.CHECK:
        seen.append(current)
        screen = wizard.SCREEN_MAP[current]
        response = press(
            client, form_with(html, "screen"), "continue", {fact: answers[fact] for fact in screen.facts}
        )
        assert response.status_code == 200, page(response)
        html = page(response)
    return html, seen


def show_plan(client: Client, answers: Mapping[str, Choice], language: str = "en") -> str:
    check, _seen = walk(client, answers, language)
    response = press(client, form_with(check, "show_plan"), "show_plan")
    assert response.status_code == 200, page(response)
    return page(response)


def step_ids(html: str) -> set[str]:
    return set(re.findall(r'<article class="guidance-step[^"]*" id="step-([a-z0-9_]+)"', html))


# The flow ---------------------------------------------------------------------------------------------------


def test_the_first_screen_asks_what_happened(client: Client) -> None:
    response = client.get(url("wizard:questions"))
    assert response.status_code == 200
    html = page(response)
    assert '<h1 tabindex="-1" autofocus>What happened?</h1>' in html
    assert progress_of(html) == "Question 1 of 7"
    assert 'type="checkbox" name="kind" value="verbal_threat"' in html
    assert [name for name, _value, _action in form_with(html, "screen").buttons] == ["continue"]  # no Back


def test_a_gp_threatened_by_a_patient_on_the_phone_gets_the_steps_for_that_in_english(client: Client) -> None:
    html = show_plan(client, GP_ON_THE_PHONE)
    assert '<html lang="en">' in html
    assert '<h1 tabindex="-1" autofocus>Your plan</h1>' in html
    ids = step_ids(html)
    assert set(GP_MUST) <= ids
    assert not ids & set(GP_MUST_NOT)
    # What to do today comes before what to do this week; with nothing to do at once there is no "now".
    assert 'id="plan-now"' not in html
    assert html.index('<h2 id="plan-today">Do today</h2>') < html.index(
        '<h2 id="plan-this_week">Do this week</h2>'
    )
    # The boundary of the kind chosen, and only that one.
    assert 'id="boundary-verbal_threat"' in html
    assert 'id="boundary-physical_violence"' not in html
    assert "Where the boundary lies: not acceptable" in html
    # The summary of the answers, the partners with contact details, sources and the framework version.
    assert "General practitioner (huisarts)" in html and "Verbal threat" in html
    assert 'id="partner-politie_0900"' in html and 'href="tel:09008844"' in html
    assert 'id="plan-sources"' in html
    assert f"version {wizard.default_rules().version}" in html


def test_the_same_gp_gets_the_same_steps_in_dutch(client: Client) -> None:
    english_ids = step_ids(show_plan(client, GP_ON_THE_PHONE))
    html = show_plan(Client(), GP_ON_THE_PHONE, "nl")
    assert '<html lang="nl">' in html
    assert step_ids(html) == english_ids
    rules = wizard.default_rules()
    assert rules.step("beroepsgeheim_aangifte").title.nl in html
    assert rules.step("beroepsgeheim_aangifte").title.en not in html
    assert escape(rules.boundary_map["verbal_threat"].not_acceptable[0].nl) in html


def test_an_ambulance_worker_attacked_by_a_citizen_is_not_asked_about_care(client: Client) -> None:
    answers: dict[str, Choice] = {
        "kind": ["physical_violence"],
        "channel": "in_person",
        "perpetrator": "citizen",
        "severity": ["acute_danger"],
        "profession": "ambulance",
        "sector": "ambulance",
        "employment": "employed",
    }
    check, seen = walk(client, answers)
    assert seen == ["what", "how", "who", "severity", "work", "employment"]
    assert "Is this person in your care" not in check
    plan = press(client, form_with(check, "show_plan"), "show_plan")
    ids = step_ids(page(plan))
    assert {"call_112", "tell_employer", "om_higher_sentence_named"} <= ids
    assert "You or others are in danger right now: call 112 first." in page(plan)


def test_numbering_counts_only_the_screens_that_apply(client: Client) -> None:
    html = page(client.get(url("wizard:questions")))
    answers = {"kind": ["intimidation"], "channel": "email"}
    for fact in ("kind", "channel"):
        html = page(press(client, form_with(html, "screen"), "continue", {fact: answers[fact]}))
    assert progress_of(html) == "Question 3 of 7"
    citizen = page(press(client, form_with(html, "screen"), "continue", {"perpetrator": "citizen"}))
    assert screen_of(citizen) == "severity"
    assert progress_of(citizen) == "Question 4 of 6"
    relative = page(press(client, form_with(html, "screen"), "continue", {"perpetrator": "relative"}))
    assert screen_of(relative) == "care"
    assert progress_of(relative) == "Question 4 of 7"
    # For a relative the question is about the patient they are close to.
    assert "Is the patient this person is close to in your care, or were they?" in relative
    severity = page(press(client, form_with(relative, "screen"), "continue", {"in_care": "no"}))
    assert progress_of(severity) == "Question 5 of 7"


@pytest.mark.parametrize(
    ("screen", "anchor", "message"),
    [
        ("what", "id_kind_0", "Choose at least one kind of incident."),
        ("how", "id_channel_0", "Choose how it reached you."),
        ("who", "id_perpetrator_0", "Choose who did it."),
        ("care", "id_in_care_0", "Choose yes, no or I do not know."),
        ("severity", "id_severity_0", "Choose what applies, or “None of these”."),
        ("work", "id_profession", "Choose your profession."),
        ("employment", "id_employment_0", "Choose employed or self-employed."),
    ],
)
def test_each_screen_asks_again_when_it_is_not_answered(
    client: Client, screen: str, anchor: str, message: str
) -> None:
    html = page(client.get(url("wizard:questions")))
    while screen_of(html) != screen:
        facts = wizard.SCREEN_MAP[screen_of(html)].facts
        html = page(
            press(client, form_with(html, "screen"), "continue", {f: GP_ON_THE_PHONE[f] for f in facts})
        )
    before = progress_of(html)
    response = press(client, form_with(html, "screen"), "continue")
    assert response.status_code == 400
    html = page(response)
    assert screen_of(html) == screen
    assert progress_of(html) == before
    assert "<title>Error: " in html
    assert 'class="error-summary" role="alert" id="wizard-errors" tabindex="-1" autofocus' in html
    assert f'<a href="#{anchor}">{message}</a>' in html
    assert f'id="{anchor}"' in html
    assert 'aria-invalid="true"' in html or 'aria-describedby="' in html


def test_none_of_these_is_an_answer_but_not_together_with_another(client: Client) -> None:
    answers = {**GP_ON_THE_PHONE, "severity": ["none"]}
    check, _seen = walk(client, answers)
    assert "None of these" in check
    plan = page(press(client, form_with(check, "show_plan"), "show_plan"))
    assert "call_112" not in step_ids(plan)

    html = page(client.get(url("wizard:questions")))
    while screen_of(html) != "severity":
        facts = wizard.SCREEN_MAP[screen_of(html)].facts
        html = page(
            press(client, form_with(html, "screen"), "continue", {f: GP_ON_THE_PHONE[f] for f in facts})
        )
    response = press(client, form_with(html, "screen"), "continue", {"severity": ["none", "repeated"]})
    assert response.status_code == 400
    assert "You chose “None of these” and something else: choose one or the other." in page(response)


def test_the_second_screen_has_a_back_button_that_keeps_every_answer(client: Client) -> None:
    first = page(client.get(url("wizard:questions")))
    second = page(press(client, form_with(first, "screen"), "continue", {"kind": ["doxing", "smear"]}))
    assert screen_of(second) == "how"
    back = press(client, form_with(second, "screen"), "back", {"channel": "social_media"})
    assert back.status_code == 200
    html = page(back)
    assert screen_of(html) == "what"
    form = form_with(html, "screen")
    assert form.all("kind") == ["doxing", "smear"]  # checked again
    assert form.all("answer-channel") == ["social_media"]  # the answer given on the way back is kept
    again = page(press(client, form, "continue"))
    assert form_with(again, "screen").all("channel") == ["social_media"]


def test_a_change_from_the_check_screen_goes_back_to_the_check_screen(client: Client) -> None:
    check, _seen = walk(client, GP_ON_THE_PHONE)
    change = press(client, form_with(check, "change"), "change", value="how")
    html = page(change)
    assert screen_of(html) == "how"
    assert form_with(html, "screen").value("changing") == "1"
    assert form_with(html, "screen").all("channel") == ["phone"]
    check = page(press(client, form_with(html, "screen"), "continue", {"channel": "letter"}))
    assert screen_of(check) == wizard.CHECK
    assert form_with(check, "show_plan").all("answer-channel") == ["letter"]
    assert form_with(check, "show_plan").all("answer-in_care") == ["yes"]


def test_changing_who_did_it_asks_the_care_question_only_when_it_then_applies(client: Client) -> None:
    answers = {**GP_ON_THE_PHONE, "perpetrator": "citizen"}
    answers.pop("in_care")
    check, seen = walk(client, answers)
    assert "care" not in seen
    who = page(press(client, form_with(check, "change"), "change", value="who"))
    care = page(press(client, form_with(who, "screen"), "continue", {"perpetrator": "patient"}))
    assert screen_of(care) == "care"
    check = page(press(client, form_with(care, "screen"), "continue", {"in_care": "no"}))
    assert screen_of(check) == wizard.CHECK
    # And back to a citizen: the care answer no longer applies and is dropped.
    who = page(press(client, form_with(check, "change"), "change", value="who"))
    check = page(press(client, form_with(who, "screen"), "continue", {"perpetrator": "citizen"}))
    assert screen_of(check) == wizard.CHECK
    assert form_with(check, "show_plan").all("answer-in_care") == []


def test_back_on_the_check_screen_goes_to_the_last_question(client: Client) -> None:
    check, _seen = walk(client, GP_ON_THE_PHONE)
    html = page(press(client, form_with(check, "back"), "back"))
    assert screen_of(html) == "employment"
    assert form_with(html, "screen").all("employment") == ["self_employed"]


# Tampered answers -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tampered",
    [
        {"answer-kind": ["verbal_threat", "made_up_kind"]},
        {"answer-kind": ["verbal_threat"], "answer-password": ["x"]},
        {"answer-kind": ["verbal_threat"], "answer-perpetrator": ["patient", "citizen"]},
        {"answer-kind": ["verbal_threat"], "answer-severity": ["none", "repeated"]},
        {"answer-kind": ["verbal_threat"], "screen": ["nonsense"]},
        {"answer-kind": ["verbal_threat"], "change": ["nonsense"]},
    ],
)
def test_tampered_answers_send_the_user_back_to_the_first_question(
    client: Client, tampered: dict[str, list[str]]
) -> None:
    data = {"screen": ["how"], "answer-channel": ["phone"], "channel": ["phone"], **tampered}
    response = client.post(url("wizard:questions"), data)
    assert response.status_code == 400
    html = page(response)
    assert screen_of(html) == "what"
    assert "could not be read, so you are back at the first question" in html
    form = form_with(html, "screen")
    # What could be read is kept.
    assert form.all("answer-channel") == ["phone"]
    assert "made_up_kind" not in html and "password" not in html


def test_a_plan_needs_every_answer(client: Client) -> None:
    response = client.post(
        url("wizard:plan"), {"answer-kind": ["verbal_threat"], "answer-channel": ["phone"]}
    )
    assert response.status_code == 400
    html = page(response)
    assert screen_of(html) == "who"
    assert "This question has no answer yet. Answer it to see your plan." in html


def test_the_plan_address_without_answers_explains_that_nothing_is_kept(client: Client) -> None:
    for name in ("wizard:plan", "wizard:plan_pdf"):
        response = client.get(url(name))
        assert response.status_code == 200
        assert "Your plan is not kept" in page(response)


# Nothing is kept --------------------------------------------------------------------------------------------


def _row_counts() -> dict[str, int]:
    tables = set(connection.introspection.table_names())
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.db_table in tables
    }


def test_the_wizard_stores_nothing_and_puts_no_answer_in_an_address(client: Client) -> None:
    before = _row_counts()
    check, _seen = walk(client, GP_ON_THE_PHONE)
    plan = press(client, form_with(check, "show_plan"), "show_plan")
    pages = [check, page(plan)]
    pdf = client.post(url("wizard:plan_pdf"), dict(_answer_lists(GP_ON_THE_PHONE)))
    assert pdf.status_code == 200
    assert _row_counts() == before
    # No session was started, and the responses may not be kept by the browser or a proxy.
    assert "sessionid" not in client.cookies
    assert "no-store" in plan["Cache-Control"] and "no-store" in pdf["Cache-Control"]
    for html in pages:
        for form in forms_on(html):
            assert form.method == "post", form
            assert "?" not in form.action
            for _name, _value, formaction in form.buttons:
                assert "?" not in formaction
        # Links on the page carry no answer either.
        for href in re.findall(r'href="([^"]+)"', html):
            assert not re.search(r"[?&](answer-|kind=|channel=|perpetrator=|profession=)", href), href


def _answer_lists(answers: Mapping[str, Choice]) -> list[tuple[str, list[str]]]:
    return [
        (wizard.FIELD_PREFIX + fact, [value] if isinstance(value, str) else list(value))
        for fact, value in answers.items()
    ]


def test_every_wizard_screen_posts_its_form(client: Client) -> None:
    html = page(client.get(url("wizard:questions")))
    while (current := screen_of(html)) != wizard.CHECK:
        wizard_form = form_with(html, "screen")
        assert wizard_form.method == "post"
        assert wizard_form.action == url("wizard:questions")
        assert 'hx-boost="true" hx-push-url="false"' in html
        assert 'hx-history="false"' in html
        html = page(
            press(
                client,
                wizard_form,
                "continue",
                {fact: GP_ON_THE_PHONE[fact] for fact in wizard.SCREEN_MAP[current].facts},
            )
        )
