"""Profession overlays as actions: the draft, publishing, comparing, rolling back, and what workers get."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import pytest
from django.utils import translation

from accounts.models import Organisation
from accounts.roles import Role
from audit.models import Event
from guidance import overlays
from guidance.engine import default_rules, plan
from guidance.models import DraftChange, Overlay, OverlayVersion
from guidance.overlay_content import apply_overlay, check_changes, overlay_yaml
from guidance.published import plan_for, rules_for
from tests.overlay_helpers import ALWAYS, SAMPLE, TELL_EMPLOYER, added_step, hidden_step, replaced_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(make_member: Any) -> Any:
    return make_member(Role.PROFESSION_EDITOR)


@pytest.fixture
def overlay(editor: Any, organisation: Organisation) -> Overlay:
    return overlays.create_overlay(editor, organisation, "huisarts")


def _publish(editor: Any, overlay: Overlay, *changes: Any, note: str = "note") -> OverlayVersion:
    overlay.draft_changes.all().delete()
    for change in changes:
        overlays.save_change(editor, overlay, change)
    return overlays.publish(editor, overlay, note)


def test_creating_an_overlay_is_audited_and_a_profession_gets_only_one(
    editor: Any, organisation: Organisation, overlay: Overlay, other_organisation: Organisation
) -> None:
    event = Event.objects.get(action="guidance.overlay_created")
    assert event.object_id == str(overlay.pk)
    assert event.organisation_id == organisation.pk
    assert event.details == {"profession": "huisarts"}
    with pytest.raises(overlays.OverlayRefused):
        overlays.create_overlay(editor, other_organisation, "huisarts")
    with pytest.raises(overlays.OverlayRefused):
        overlays.create_overlay(editor, organisation, "astronaut")
    assert Overlay.objects.count() == 1
    assert "huisarts" not in dict(overlays.professions_without_overlay())


def test_draft_changes_are_added_edited_and_removed(editor: Any, overlay: Overlay) -> None:
    step = overlays.save_change(editor, overlay, added_step())
    text = overlays.save_change(editor, overlay, replaced_text())
    overlays.save_change(editor, overlay, replaced_text(en="Write it all down."), text)
    assert overlays.draft_content(overlay) == [added_step(), replaced_text(en="Write it all down.")]
    overlays.remove_change(editor, step)
    assert overlays.draft_content(overlay) == [replaced_text(en="Write it all down.")]
    operations = list(
        Event.objects.filter(action="guidance.overlay_draft_changed").values_list("details", flat=True)
    )
    assert [details["operation"] for details in operations] == ["added", "added", "edited", "removed"]
    assert operations[-1]["step"] == "huisarts_inform_practice"


def test_a_change_that_does_not_fit_is_refused_with_its_problems(editor: Any, overlay: Overlay) -> None:
    overlays.save_change(editor, overlay, added_step())
    with pytest.raises(overlays.OverlayRefused) as clash:
        overlays.save_change(editor, overlay, added_step(ALWAYS))
    assert "already a step of the generic rules" in clash.value.problems[0].message
    with pytest.raises(overlays.OverlayRefused) as twice:
        overlays.save_change(editor, overlay, added_step())
    assert "duplicate step id 'huisarts_inform_practice'" in twice.value.problems[0].message
    with pytest.raises(overlays.OverlayRefused) as untranslated:
        overlays.save_change(editor, overlay, replaced_text(en=""))
    assert "missing translation" in untranslated.value.problems[0].message
    with pytest.raises(overlays.OverlayRefused) as unknown:
        overlays.save_change(editor, overlay, hidden_step("no_such_step"))
    assert "unknown step 'no_such_step'" in unknown.value.problems[0].message
    assert DraftChange.objects.filter(overlay=overlay).count() == 1


def test_the_checker_reports_references_and_implied_profession_by_change_and_line() -> None:
    rules = default_rules()
    changes = [
        replaced_text(),
        added_step(
            "huisarts_extra",
            urgency="soon",
            basis=[{"claim": {"nl": "x", "en": "x"}, "source": "no_such_source"}],
            partners=["no_such_partner"],
            when={"profession": ["huisarts"], "kind": ["no_such_kind"], "mood": ["bad"]},
            excludes=["no_such_step"],
        ),
        {"replace": {"step": ALWAYS, "field": "how", "text": {"nl": "x", "en": "x"}}},
        {"unknown": {}},
    ]
    checked = check_changes(changes, "huisarts", rules)
    found = {(problem.change, problem.message) for problem in checked.problems}
    assert {change for change, _message in found} == {2, 3, 4}
    messages = " | ".join(message for _change, message in found)
    for part in (
        "urgency 'soon' is not one of now, today, this_week",
        "unknown source 'no_such_source'",
        "unknown partner 'no_such_partner'",
        "leave out profession",
        "unknown code 'no_such_kind' for fact 'kind'",
        "unknown fact 'mood'",
        "excludes unknown step 'no_such_step'",
        "field 'how' is not one of title, what, why",
        "needs exactly one of add, replace or hide",
    ):
        assert part in messages, part
    yaml_lines = overlay_yaml("huisarts", changes).splitlines()
    urgency = next(problem for problem in checked.problems if "urgency" in problem.message)
    assert yaml_lines[urgency.line - 1].strip() == "urgency: soon"
    assert list(checked.replaced) == [1]


def test_publishing_numbers_versions_and_keeps_them(editor: Any, overlay: Overlay) -> None:
    first = _publish(editor, overlay, added_step(), note="first")
    second = _publish(editor, overlay, added_step(), replaced_text(), note="second")
    assert (first.number, second.number) == (1, 2)
    assert second.content == [added_step(), replaced_text()]
    assert second.rules_version == default_rules().version
    assert second.published_by_name == editor.username
    assert overlays.current_version(overlay) == second
    assert overlays.draft_is_published(overlay)
    event = Event.objects.filter(action="guidance.overlay_published").last()
    assert event is not None
    assert event.details == {
        "profession": "huisarts",
        "version": 2,
        "changes": 2,
        "rules_version": default_rules().version,
    }
    assert "second" not in str(event.details)  # the note is content, not for the audit log


def test_an_unchanged_draft_is_not_published_again(editor: Any, overlay: Overlay) -> None:
    _publish(editor, overlay, added_step())
    with translation.override("en"), pytest.raises(overlays.OverlayRefused, match="nothing to publish"):
        overlays.publish(editor, overlay, "again")
    assert overlay.versions.count() == 1


def test_a_draft_that_does_not_validate_is_refused_with_the_list_of_problems(
    editor: Any, overlay: Overlay
) -> None:
    # Stored as it would be after the generic rules dropped a step the draft hid.
    DraftChange.objects.create(overlay=overlay, position=1, content=hidden_step("step_that_was_removed"))
    DraftChange.objects.create(overlay=overlay, position=2, content=replaced_text(en=""))
    with pytest.raises(overlays.OverlayRefused) as refused:
        overlays.publish(editor, overlay, "note")
    assert [problem.change for problem in refused.value.problems] == [1, 2]
    assert "unknown step 'step_that_was_removed'" in refused.value.problems[0].message
    assert not overlay.versions.exists()
    assert not Event.objects.filter(action="guidance.overlay_published").exists()


def test_compare_says_what_was_added_removed_and_modified(editor: Any, overlay: Overlay) -> None:
    old = [added_step(), replaced_text(), hidden_step(TELL_EMPLOYER)]
    new = [added_step(order=7, urgency="now"), replaced_text(), replaced_text(field="why")]
    differences = overlays.compare_versions(old, new)
    described = {(d.status, d.summary.kind, d.summary.step, d.summary.field, d.fields) for d in differences}
    assert described == {
        ("modified", "add", "huisarts_inform_practice", "", ("urgency", "order")),
        ("added", "replace", ALWAYS, "why", ()),
        ("removed", "hide", TELL_EMPLOYER, "", ()),
    }
    assert overlays.compare_versions(new, new) == []


def test_rollback_publishes_the_old_content_as_a_new_version_and_keeps_history(
    editor: Any, overlay: Overlay
) -> None:
    _publish(editor, overlay, added_step())
    _publish(editor, overlay, added_step(), hidden_step(TELL_EMPLOYER))
    overlays.save_change(editor, overlay, replaced_text())  # unpublished work in the draft
    rolled = overlays.rollback(editor, overlay, 1, "the hidden step was needed")
    assert rolled.number == 3
    assert rolled.rollback_of == 1
    assert rolled.content == [added_step()]
    assert list(overlay.versions.order_by("number").values_list("number", flat=True)) == [1, 2, 3]
    assert overlay.versions.get(number=2).content == [added_step(), hidden_step(TELL_EMPLOYER)]
    assert overlays.draft_content(overlay) == [added_step()]
    event = Event.objects.get(action="guidance.overlay_rolled_back")
    assert event.details == {"profession": "huisarts", "version": 3, "rollback_of": 1}
    with pytest.raises(overlays.OverlayRefused):
        overlays.rollback(editor, overlay, 1)  # the same content as the current version
    with pytest.raises(overlays.OverlayRefused):
        overlays.rollback(editor, overlay, 9)
    # Rolling forward again is one more version.
    assert overlays.rollback(editor, overlay, 2).number == 4
    assert rules_for("huisarts").hidden[0].step.id == TELL_EMPLOYER


def test_rules_for_applies_added_changed_and_hidden_steps(editor: Any, overlay: Overlay) -> None:
    generic = default_rules()
    assert rules_for("huisarts") is generic  # nothing published yet
    _publish(editor, overlay, added_step(), replaced_text(), hidden_step(TELL_EMPLOYER))
    rules = rules_for("huisarts")
    assert rules.overlay == "huisarts, version 1"
    added = rules.step("huisarts_inform_practice")
    assert added.overlay_change == "added"
    assert added.title.en == "Tell your practice team"
    changed = rules.step(ALWAYS)
    assert changed.overlay_change == "changed"
    assert changed.what.en == "Write it down, doctor."
    assert changed.title == generic.step(ALWAYS).title
    assert TELL_EMPLOYER not in rules.step_map
    assert [(h.step.id, h.reason.en) for h in rules.hidden] == [
        (TELL_EMPLOYER, "The practice does this for you.")
    ]
    # Other professions, and nobody in particular, get the generic rules.
    assert rules_for("tandarts") is generic
    assert rules_for(None) is generic

    worker = plan_for({**SAMPLE, "profession": "huisarts"})
    assert "huisarts_inform_practice" in worker.step_ids
    assert TELL_EMPLOYER not in worker.step_ids
    assert [hidden.step.id for hidden in worker.hidden] == [TELL_EMPLOYER]
    other = plan_for({**SAMPLE, "profession": "tandarts"})
    assert TELL_EMPLOYER in other.step_ids
    assert "huisarts_inform_practice" not in other.step_ids


def test_rules_for_is_cached_per_version_and_sees_a_new_version_at_once(
    editor: Any, overlay: Overlay, django_assert_max_num_queries: Any
) -> None:
    _publish(editor, overlay, added_step())
    first = rules_for("huisarts")
    with django_assert_max_num_queries(1):
        assert rules_for("huisarts") is first
    _publish(editor, overlay, added_step(), replaced_text())
    second = rules_for("huisarts")
    assert second is not first
    assert second.overlay == "huisarts, version 2"
    assert second.step(ALWAYS).overlay_change == "changed"


def test_a_stale_change_is_left_out_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    generic = default_rules()
    # The generic rules as they might be later: the step the overlay changes is gone.
    later = dataclasses.replace(generic, steps=tuple(step for step in generic.steps if step.id != ALWAYS))
    with caplog.at_level(logging.WARNING, logger="guidance.overlay_content"):
        rules = apply_overlay(later, "huisarts", [replaced_text(), added_step()], "huisarts, version 4")
    assert ALWAYS not in rules.step_map
    assert rules.step("huisarts_inform_practice").overlay_change == "added"
    assert "huisarts, version 4: change 1 left out" in caplog.text
    assert f"unknown step {ALWAYS!r}" in caplog.text


def test_an_added_step_applies_only_to_the_overlays_profession() -> None:
    rules = apply_overlay(
        default_rules(), "huisarts", [added_step(when={"kind": ["doxing"]})], "huisarts, draft"
    )
    assert "huisarts_inform_practice" in plan({"kind": ["doxing"], "profession": "huisarts"}, rules).step_ids
    assert (
        "huisarts_inform_practice"
        not in plan({"kind": ["doxing"], "profession": "apotheker"}, rules).step_ids
    )
    assert (
        "huisarts_inform_practice" not in plan({"kind": ["smear"], "profession": "huisarts"}, rules).step_ids
    )


def test_preview_shows_the_plan_under_the_draft_and_under_the_published_version(
    editor: Any, overlay: Overlay
) -> None:
    _publish(editor, overlay, added_step())
    overlays.save_change(editor, overlay, hidden_step(TELL_EMPLOYER))
    result = overlays.preview(overlay, SAMPLE)
    assert result.published_version is not None and result.published_version.number == 1
    assert TELL_EMPLOYER in result.published.step_ids
    assert TELL_EMPLOYER not in result.draft.step_ids
    assert "huisarts_inform_practice" in result.draft.step_ids
    assert "huisarts_inform_practice" in result.published.step_ids
    assert result.draft_problems == ()


def test_the_demo_overlay_is_published_once_and_validates(settings: Any) -> None:
    from accounts import demo

    settings.DEMO_MODE = True
    demo.load_organisation(next(o for o in demo.DEMO_ORGANISATIONS if o.slug == demo.ASSOCIATION))
    demo.load_user(next(u for u in demo.DEMO_USERS if u.username == "demo-profession-editor"))
    assert demo.load_overlay() is True
    overlay = Overlay.objects.get(profession="huisarts")
    assert overlay.organisation.slug == demo.ASSOCIATION
    assert check_changes(overlay.versions.get().content, "huisarts", default_rules()).problems == ()
    rules = rules_for("huisarts")
    assert rules.step("huisarts_practice_agreements").overlay_change == "added"
    assert rules.step(TELL_EMPLOYER).title.en == "Tell your practice holder or employer"
    events = Event.objects.count()
    assert demo.load_overlay() is False
    assert (overlay.versions.count(), Event.objects.count()) == (1, events)
