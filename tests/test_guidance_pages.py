"""The public pages of the action framework: its index, by kind of incident, by profession, the boundaries."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from accounts.models import Organisation
from accounts.roles import Role
from guidance import overlays, site_views
from guidance.engine import default_rules
from guidance.ruleset import Condition, Step, Text
from tests.conftest import MakeMember
from tests.overlay_helpers import added_step, hidden_step
from tests.test_public_site import (
    LANGUAGES,
    Page,
    assert_headings_in_order,
    translated,
    url_in,
    wizard_entry,
)

# url name -> the msgid of its <h1> (pages with a code show the code's label instead)
INDEX_PAGES = {
    "guidance:index": "Action framework",
    "guidance:kinds": "Steps by kind of incident",
    "guidance:professions": "Steps by profession",
    "guidance:boundaries": "Boundaries: what is and is not acceptable",
}


def page_at(client: Client, url: str) -> Page:
    response = client.get(url)
    assert response.status_code == 200, url
    return Page(response.content.decode())


def step_ids(page: Page) -> set[str]:
    return {element[len("step-") :] for element in page.ids if element.startswith("step-")} - {
        element[len("step-") :] for element in page.ids if element.endswith("-title")
    }


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(INDEX_PAGES))
def test_framework_page_answers_in_its_language(client: Client, name: str, language: str) -> None:
    url = url_in(language, name)
    page = page_at(client, url)
    assert page.lang == language
    assert page.h1 == [translated(language, INDEX_PAGES[name])]
    assert_headings_in_order(page, url)


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_kind_and_profession_pages_have_the_label_as_h1(client: Client, language: str) -> None:
    kind = page_at(client, url_in(language, "guidance:kind", "stalking"))
    assert kind.lang == language
    with translation.override(language):
        assert kind.h1 == [site_views.code_label("kind", "stalking")]
    assert_headings_in_order(kind, "kind page")
    profession = page_at(client, url_in(language, "guidance:profession", "verloskundige"))
    with translation.override(language):
        assert profession.h1 == [site_views.code_label("profession", "verloskundige")]
    assert_headings_in_order(profession, "profession page")


def test_framework_addresses_are_translated() -> None:
    assert url_in("en", "guidance:kind", "doxing") == "/en/action-framework/kinds-of-incident/doxing/"
    assert url_in("en", "guidance:profession", "huisarts") == "/en/action-framework/professions/huisarts/"
    assert url_in("en", "guidance:boundaries") == "/en/action-framework/boundaries/"
    assert not url_in("nl", "guidance:index").startswith("/en/")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        url_in("nl", "guidance:kind", "no_such_kind"),
        url_in("en", "guidance:kind", "no_such_kind"),
        url_in("en", "guidance:kind", "huisarts"),  # a profession is not a kind
        url_in("nl", "guidance:profession", "no_such_profession"),
        url_in("en", "guidance:profession", "doxing"),
    ],
)
def test_unknown_code_gives_404(client: Client, url: str) -> None:
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_index_links_to_the_wizard_or_else_to_the_kinds(client: Client) -> None:
    page = page_at(client, url_in("en", "guidance:index"))
    assert wizard_entry("en") in page.links
    for name in ("guidance:kinds", "guidance:professions", "guidance:boundaries"):
        assert url_in("en", name) in page.links
    assert default_rules().framework.version in page.text


@pytest.mark.django_db
def test_kinds_index_links_to_every_kind(client: Client) -> None:
    page = page_at(client, url_in("nl", "guidance:kinds"))
    for code in default_rules().framework.fact_map["kind"].codes:
        assert url_in("nl", "guidance:kind", code) in page.links


# Kind pages --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_doxing_page_shows_its_boundary_and_the_steps_that_can_apply(client: Client) -> None:
    page = page_at(client, url_in("en", "guidance:kind", "doxing"))
    assert "boundary-doxing" in page.ids
    assert "Calls to 'pay you a visit' at home." in page.text
    shown = step_ids(page)
    # Named for doxing, for a group of kinds with doxing, and for every incident.
    assert {"doxing_285d", "shield_home_address", "report_vpt_ela", "document_incident", "call_112"} <= shown
    # Only for other kinds.
    assert not {"klacht_own_request", "online_group_discrimination"} & shown


@pytest.mark.django_db
def test_smear_page_leaves_out_the_steps_for_threats(client: Client) -> None:
    page = page_at(client, url_in("en", "guidance:kind", "smear"))
    assert "boundary-smear" in page.ids
    assert "boundary-doxing" not in page.ids
    shown = step_ids(page)
    assert {"klacht_own_request", "aangifte_by_employer", "recover_damages"} <= shown
    assert not {"report_vpt_ela", "doxing_285d", "shield_home_address", "aangifte_under_number"} & shown


@pytest.mark.django_db
@pytest.mark.parametrize("code", default_rules().framework.fact_map["kind"].codes)
def test_kind_page_lists_exactly_the_steps_whose_conditions_allow_the_kind(client: Client, code: str) -> None:
    rules = default_rules()
    expected = {
        step.id
        for step in rules.steps
        if all(c.fact != "kind" or code in c.codes for c in step.when)
        and not (step.unless and all(c.fact == "kind" and code in c.codes for c in step.unless))
    }
    assert step_ids(page_at(client, url_in("en", "guidance:kind", code))) == expected


@pytest.mark.django_db
def test_steps_say_when_they_apply_in_plain_language(client: Client) -> None:
    page = page_at(client, url_in("en", "guidance:kind", "verbal_threat"))
    text = page.text
    assert "Applies when: who did it: patient." in text
    assert (
        "Applies when: who did it: patient and the person is or was in your care. Not when: you or others "
        "are in danger right now, someone threatened to use violence or it happened more than once or is "
        "still going on." in text
    )
    assert "Not when: you are self-employed." in text
    assert "Applies to every incident of this kind." in text
    # The kind itself is settled by the page and is not repeated.
    assert "kind of incident: verbal threat" not in text


@pytest.mark.django_db
def test_steps_are_grouped_under_translated_theme_headings(client: Client) -> None:
    rules = default_rules()
    assert {step.theme for step in rules.steps} <= set(site_views.THEMES), "a theme without a heading"
    for language in LANGUAGES:
        page = page_at(client, url_in(language, "guidance:kind", "physical_violence"))
        headings = [text for level, text in page.headings if level == 3]
        with translation.override(language):
            wanted = [str(site_views.THEMES[theme]) for theme in site_views.THEMES]
        present = [heading for heading in wanted if heading in headings]
        assert present == [heading for heading in headings if heading in wanted]  # in THEMES order
        assert translated(language, "Your safety first") in headings
        assert str(site_views.OTHER_THEME) not in headings


@pytest.mark.django_db
def test_partner_links_of_the_steps_lead_to_partners_on_the_page(client: Client) -> None:
    page = page_at(client, url_in("en", "guidance:kind", "written_threat"))
    targets = {link[1:] for link in page.links if link.startswith("#partner-")}
    assert targets
    assert targets <= page.ids


# Profession pages --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_profession_without_overlay_says_these_are_the_generic_steps(client: Client) -> None:
    for language in LANGUAGES:
        page = page_at(client, url_in(language, "guidance:profession", "tandarts"))
        assert (
            translated(language, "No profession-specific version yet: these are the generic steps.")
            in page.text
        )
    index = page_at(client, url_in("en", "guidance:professions"))
    assert index.text.count("Generic steps") == len(default_rules().framework.fact_map["profession"].codes)


@pytest.mark.django_db
def test_profession_page_shows_the_steps_for_that_profession(client: Client) -> None:
    gp = step_ids(page_at(client, url_in("en", "guidance:profession", "huisarts")))
    nurse = step_ids(page_at(client, url_in("en", "guidance:profession", "verpleegkundige")))
    assert "om_higher_sentence_named" in gp and "om_higher_sentence_other" not in gp
    assert "om_higher_sentence_other" in nurse and "om_higher_sentence_named" not in nurse
    assert {"call_112", "melding_or_aangifte", "doxing_285d"} <= gp & nurse


@pytest.mark.django_db
def test_profession_page_leaves_out_what_the_profession_settles(client: Client) -> None:
    page = page_at(client, url_in("en", "guidance:profession", "verpleegkundige"))
    # om_higher_sentence_other is "unless profession: huisarts or ambulance": never true for a nurse.
    assert "your profession:" not in page.text


@pytest.mark.django_db
def test_profession_page_marks_overlay_changes_and_lists_hidden_steps(
    client: Client, make_member: MakeMember, organisation: Organisation
) -> None:
    editor = make_member(Role.PROFESSION_EDITOR)
    overlay = overlays.create_overlay(editor, organisation, "huisarts")
    changes = [
        {
            "replace": {
                "step": "tell_employer",
                "field": "what",
                "text": {"nl": "Vertel het je praktijkhouder.", "en": "Tell the practice holder."},
            }
        },
        added_step(
            "gp_call_colleague",
            title={"nl": "Bel de dienstdoende collega", "en": "Call the colleague on duty"},
        ),
        hidden_step("gp_aggression_protocol", en="Our own guideline replaces this."),
    ]
    for change in changes:
        overlays.save_change(editor, overlay, change)
    overlays.publish(editor, overlay, "first version")

    page = page_at(client, url_in("en", "guidance:profession", "huisarts"))
    text = page.text
    assert "Profession-specific version: General practitioner (huisarts), version 1." in text
    assert "No profession-specific version yet" not in text
    shown = step_ids(page)
    assert {"tell_employer", "gp_call_colleague"} <= shown
    assert "gp_aggression_protocol" not in shown
    assert "hidden-gp_aggression_protocol" in page.ids
    assert "Reason: Our own guideline replaces this." in text
    assert "Adapted for your profession" in text and "For your profession" in text
    assert "Tell the practice holder." in text
    # Another profession keeps the generic steps.
    nurse = step_ids(page_at(client, url_in("en", "guidance:profession", "verpleegkundige")))
    assert "gp_call_colleague" not in nurse

    index = page_at(client, url_in("en", "guidance:professions"))
    assert "Profession-specific version: General practitioner (huisarts), version 1" in index.text


# Boundaries --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_boundaries_page_shows_every_kind_with_a_link_to_its_steps(client: Client, language: str) -> None:
    page = page_at(client, url_in(language, "guidance:boundaries"))
    rules = default_rules()
    for boundary in rules.boundaries:
        assert f"boundary-{boundary.kind}" in page.ids
        assert url_in(language, "guidance:kind", boundary.kind) in page.links
        assert f"#boundary-{boundary.kind}" in page.links
        for item in boundary.not_acceptable:
            assert " ".join(item.get(language).split()) in page.text


# The summary of conditions -----------------------------------------------------------------------------------


def _step(**conditions: Any) -> Step:
    return Step(
        id="example",
        order=1,
        urgency="today",
        title=Text("t", "t"),
        what=Text("w", "w"),
        why=Text("y", "y"),
        when=tuple(Condition(fact, frozenset(codes)) for fact, codes in conditions.get("when", {}).items()),
        unless=tuple(
            Condition(fact, frozenset(codes)) for fact, codes in conditions.get("unless", {}).items()
        ),
    )


def test_step_ruled_out_by_the_code_alone_cannot_apply() -> None:
    step = _step(unless={"kind": ["smear"]})
    assert not site_views.can_apply(step, "kind", "smear")
    assert site_views.can_apply(step, "kind", "doxing")
    # Ruled out only together with another answer: it can still apply.
    both = _step(unless={"kind": ["smear"], "perpetrator": ["patient"]})
    assert site_views.can_apply(both, "kind", "smear")


def test_summary_lists_answers_in_framework_order_and_keeps_capitalised_labels() -> None:
    rules = default_rules()
    with translation.override("en"):
        step = _step(
            when={"sector": ["general_practice", "hospital"], "perpetrator": ["relative", "patient"]}
        )
        applies = site_views.applicability(step, rules)
        assert applies.when == (
            "the sector you work in: hospital care or GP care (huisartsenzorg) and who did it: patient or "
            "relative or close one (naaste)"
        )
        assert applies.unless == "" and not applies.always


def test_summary_on_a_profession_page_drops_what_the_profession_settles() -> None:
    rules = default_rules()
    step = _step(
        when={"profession": ["huisarts"]}, unless={"profession": ["huisarts"], "employment": ["employed"]}
    )
    with translation.override("en"):
        gp = site_views.applicability(step, rules, fact="profession", code="huisarts")
        assert gp.when == "" and gp.unless == "you are employed"
        other = _step(unless={"profession": ["huisarts"], "employment": ["employed"]})
        nurse = site_views.applicability(other, rules, fact="profession", code="verpleegkundige")
        assert nurse.always
