"""The overlay editor in the browser's place (Django's test client): the whole flow, permissions, errors,
and `zorgveilig guidance check` on overlays."""

from __future__ import annotations

import html
import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from accounts.models import Organisation
from accounts.roles import Role
from audit.models import Event
from guidance import overlays
from guidance.engine import default_rules
from guidance.models import DraftChange, Overlay
from guidance.published import rules_for
from tests.conftest import login_verified, verified_client
from tests.overlay_helpers import ALWAYS, TELL_EMPLOYER, added_step, hidden_step, replaced_text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]


@pytest.fixture
def editor(make_member: Any) -> Any:
    return make_member(Role.PROFESSION_EDITOR)


@pytest.fixture
def editor_client(client: Client, editor: Any) -> Client:
    return login_verified(client, editor)


@pytest.fixture
def overlay(editor: Any, organisation: Organisation) -> Overlay:
    return overlays.create_overlay(editor, organisation, "huisarts")


def url(name: str, **kwargs: Any) -> str:
    return reverse(f"guidance_editor:{name}", kwargs=kwargs)


def step_form_data(**overrides: Any) -> dict[str, Any]:
    rules = default_rules()
    data: dict[str, Any] = {
        "id": "huisarts_inform_practice",
        "urgency": "today",
        "order": "5",
        "title_nl": "Vertel het je praktijkteam",
        "title_en": "Tell your practice team",
        "what_nl": "Bespreek het incident met je team.",
        "what_en": "Discuss the incident with your team.",
        "why_nl": "Dan weet iedereen ervan.",
        "why_en": "Then everyone knows.",
        "claim_1_nl": "Een bron zegt dit.",
        "claim_1_en": "A source says so.",
        "source_1": rules.sources[0].id,
        "partners": [rules.partners[0].id],
        "when_kind": ["verbal_threat"],
    }
    data.update(overrides)
    return data


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_full_editor_flow(editor_client: Client, organisation: Organisation) -> None:
    page = editor_client.get(url("list"))
    assert page.status_code == 200
    assert "Start an overlay for a profession" in page.content.decode()
    form = editor_client.get(url("create"))
    assert 'value="huisarts"' in form.content.decode()
    created = editor_client.post(url("create"), {"profession": "huisarts", "organisation": organisation.pk})
    assert created.status_code == 302
    assert created["Location"] == url("overlay", profession="huisarts")
    assert Overlay.objects.get().organisation == organisation

    # Add a step, replace a text (after seeing the current one), hide a step.
    assert editor_client.get(url("add_step", profession="huisarts")).status_code == 200
    saved = editor_client.post(url("add_step", profession="huisarts"), step_form_data())
    assert saved.status_code == 302
    chooser = editor_client.get(url("replace_text", profession="huisarts"), {"step": ALWAYS, "field": "what"})
    current = default_rules().step(ALWAYS).what
    assert html.escape(current.en) in chooser.content.decode()
    assert (
        editor_client.post(
            url("replace_text", profession="huisarts"),
            {
                "step": ALWAYS,
                "field": "what",
                "text_nl": "Schrijf het op, dokter.",
                "text_en": "Write it down, doctor.",
            },
        ).status_code
        == 302
    )
    assert (
        editor_client.post(
            url("hide_step", profession="huisarts"),
            {
                "step": TELL_EMPLOYER,
                "reason_nl": "De praktijk doet dit.",
                "reason_en": "The practice does this.",
            },
        ).status_code
        == 302
    )
    draft = text_of(editor_client.get(url("overlay", profession="huisarts")).content.decode())
    assert "Adds the step “Tell your practice team” (huisarts_inform_practice)" in draft
    assert "Replaces the text “what to do” of the step" in draft
    assert f"({TELL_EMPLOYER})" in draft and "Reason: The practice does this." in draft
    assert "not published yet" in draft

    # Preview: the draft hides the step, the generic framework (nothing published) still has it.
    preview = editor_client.get(
        url("preview", profession="huisarts"),
        {"submitted": "1", "kind": ["verbal_threat"], "channel": "phone", "perpetrator": "patient"},
    )
    draft_half, published_half = preview.content.decode().split('id="plan-published"')
    assert 'id="step-huisarts_inform_practice"' in draft_half
    assert f'id="step-{TELL_EMPLOYER}"' not in draft_half
    assert "The practice does this." in draft_half
    assert f'id="step-{TELL_EMPLOYER}"' in published_half
    assert 'id="step-huisarts_inform_practice"' not in published_half

    # Publish, then publish a second version, compare them and roll back to the first.
    publish_page = text_of(editor_client.get(url("publish", profession="huisarts")).content.decode())
    assert "New: Adds the step “Tell your practice team”" in publish_page
    published = editor_client.post(url("publish", profession="huisarts"), {"note": "First version"})
    assert published.status_code == 302
    assert rules_for("huisarts").overlay == "huisarts, version 1"
    change = DraftChange.objects.get(content__has_key="hide")
    assert (
        editor_client.post(url("remove_change", profession="huisarts", change_id=change.pk)).status_code
        == 302
    )
    assert (
        editor_client.post(
            url("publish", profession="huisarts"), {"note": "Keep the employer step"}
        ).status_code
        == 302
    )
    assert TELL_EMPLOYER in rules_for("huisarts").step_map

    versions = text_of(editor_client.get(url("versions", profession="huisarts")).content.decode())
    assert "Version 2 current" in versions and "First version" in versions
    compared = text_of(
        editor_client.get(
            url("compare", profession="huisarts"), {"older": "1", "newer": "2"}
        ).content.decode()
    )
    assert "Dropped: Hides the step" in compared and f"({TELL_EMPLOYER})" in compared
    assert "Adds the step" not in compared  # unchanged between the two

    confirm = editor_client.get(url("rollback", profession="huisarts", number=1))
    assert confirm.status_code == 200
    assert "New: Hides the step" in text_of(confirm.content.decode())
    rolled = editor_client.post(url("rollback", profession="huisarts", number=1), {"note": ""})
    assert rolled.status_code == 302
    assert [v.number for v in Overlay.objects.get().versions.all()] == [3, 2, 1]
    assert TELL_EMPLOYER not in rules_for("huisarts").step_map
    versions = text_of(editor_client.get(url("versions", profession="huisarts")).content.decode())
    assert "Rollback to version 1" in versions

    actions = list(Event.objects.filter(action__startswith="guidance.").values_list("action", flat=True))
    assert actions.count("guidance.overlay_created") == 1
    assert actions.count("guidance.overlay_published") == 2
    assert actions.count("guidance.overlay_rolled_back") == 1
    assert actions.count("guidance.overlay_draft_changed") == 4


def test_editing_a_change_shows_its_content_and_saves_it(
    editor: Any, editor_client: Client, overlay: Overlay
) -> None:
    step = overlays.save_change(editor, overlay, added_step())
    text = overlays.save_change(editor, overlay, replaced_text())
    hidden = overlays.save_change(editor, overlay, hidden_step(TELL_EMPLOYER))
    page = editor_client.get(url("edit_change", profession="huisarts", change_id=step.pk)).content.decode()
    assert 'value="huisarts_inform_practice"' in page and "Tell your practice team" in page
    page = editor_client.get(url("edit_change", profession="huisarts", change_id=text.pk)).content.decode()
    assert "Write it down, doctor." in page and html.escape(default_rules().step(ALWAYS).what.en) in page
    page = editor_client.get(url("edit_change", profession="huisarts", change_id=hidden.pk)).content.decode()
    assert "The practice does this for you." in page
    saved = editor_client.post(
        url("edit_change", profession="huisarts", change_id=step.pk), step_form_data(urgency="now", order="1")
    )
    assert saved.status_code == 302
    step.refresh_from_db()
    assert (step.content["add"]["urgency"], step.content["add"]["order"]) == ("now", 1)
    assert DraftChange.objects.filter(overlay=overlay).count() == 3


def test_form_errors_are_summarised_and_nothing_is_saved(editor_client: Client, overlay: Overlay) -> None:
    response = editor_client.post(
        url("add_step", profession="huisarts"), step_form_data(title_en="", id="Bad Id")
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert 'href="#id_title_en"' in page and "Enter this text in English." in page
    assert 'href="#id_id"' in page
    clash = editor_client.post(url("add_step", profession="huisarts"), step_form_data(id=ALWAYS))
    assert clash.status_code == 400
    assert "already a step of the generic rules" in clash.content.decode()
    basis = editor_client.post(url("add_step", profession="huisarts"), step_form_data(claim_2_nl="Half"))
    assert basis.status_code == 400
    assert "Fill in the claim in both languages and its source, or none." in basis.content.decode()
    assert not DraftChange.objects.exists()


def test_publishing_a_draft_with_problems_is_refused_with_the_list(
    editor_client: Client, overlay: Overlay
) -> None:
    DraftChange.objects.create(overlay=overlay, position=1, content=hidden_step("step_that_was_removed"))
    page = editor_client.get(url("overlay", profession="huisarts")).content.decode()
    assert "no longer fit the generic action framework" in page
    assert "unknown step &#x27;step_that_was_removed&#x27;" in page
    response = editor_client.post(url("publish", profession="huisarts"), {"note": "Try"})
    assert response.status_code == 400
    refused = response.content.decode()
    assert "The draft was not published: first fix these problems." in refused
    assert "unknown step &#x27;step_that_was_removed&#x27;" in refused
    assert not overlay.versions.exists()


def test_an_editor_of_another_organisation_gets_404_everywhere(
    editor: Any, overlay: Overlay, make_member: Any, other_organisation: Organisation
) -> None:
    change = overlays.save_change(editor, overlay, added_step())
    overlays.publish(editor, overlay, "one")
    stranger = verified_client(make_member(Role.PROFESSION_EDITOR, other_organisation))
    profession: dict[str, Any] = {"profession": "huisarts"}
    version: dict[str, Any] = {**profession, "number": 1}
    with_change: dict[str, Any] = {**profession, "change_id": change.pk}
    pages: list[tuple[str, dict[str, Any], str]] = [
        ("overlay", profession, "get"),
        ("add_step", profession, "get"),
        ("add_step", profession, "post"),
        ("replace_text", profession, "get"),
        ("hide_step", profession, "get"),
        ("edit_change", with_change, "get"),
        ("remove_change", with_change, "post"),
        ("preview", profession, "get"),
        ("export_draft", profession, "get"),
        ("publish", profession, "post"),
        ("versions", profession, "get"),
        ("version", version, "get"),
        ("export_version", version, "get"),
        ("compare", profession, "get"),
        ("rollback", version, "post"),
    ]
    for name, kwargs, method in pages:
        response = getattr(stranger, method)(url(name, **kwargs))
        assert response.status_code == 404, (name, method, response.status_code)
    assert "huisarts" not in stranger.get(url("list")).content.decode()
    assert DraftChange.objects.filter(pk=change.pk).exists()
    assert overlay.versions.count() == 1


def test_users_without_the_editor_role_get_403(make_member: Any, overlay: Overlay) -> None:
    for role in (Role.VIEWER, Role.CASE_HANDLER, Role.ANALYST):
        client = verified_client(make_member(role))
        assert client.get(url("list")).status_code == 403
        assert client.get(url("overlay", profession="huisarts")).status_code == 403
        assert client.post(url("publish", profession="huisarts"), {"note": "x"}).status_code == 403
    assert not overlay.versions.exists()


def test_the_staff_home_links_to_the_editor_for_editors_only(editor_client: Client, make_member: Any) -> None:
    assert url("list") in editor_client.get(reverse("accounts:staff_home")).content.decode()
    viewer = verified_client(make_member(Role.VIEWER))
    assert url("list") not in viewer.get(reverse("accounts:staff_home")).content.decode()


def test_the_editor_is_in_dutch_at_the_root(editor: Any, overlay: Overlay) -> None:
    from django.utils import translation

    with translation.override("nl"):
        dutch = reverse("guidance_editor:overlay", kwargs={"profession": "huisarts"})
    assert not dutch.startswith("/en/")
    response = verified_client(editor).get(dutch)
    assert response.status_code == 200
    assert '<html lang="nl">' in response.content.decode()


def test_an_exported_overlay_is_checked_by_file_and_line(
    editor: Any, editor_client: Client, overlay: Overlay, tmp_path: Path
) -> None:
    overlays.save_change(editor, overlay, added_step())
    export = editor_client.get(url("export_draft", profession="huisarts"))
    assert export["Content-Disposition"] == 'attachment; filename="huisarts-draft.yaml"'
    good = tmp_path / "huisarts.yaml"
    good.write_bytes(export.content)
    assert yaml.safe_load(good.read_text(encoding="utf-8"))["changes"] == [added_step()]
    out = StringIO()
    call_command("guidance", "check", "--overlay", str(good), stdout=out)
    assert "1 overlay file(s) checked" in out.getvalue()

    broken = tmp_path / "broken.yaml"
    lines = good.read_text(encoding="utf-8").splitlines()
    number = next(index for index, line in enumerate(lines) if line.strip() == "urgency: today")
    lines[number] = lines[number].replace("today", "someday")
    broken.write_text("\n".join(lines), encoding="utf-8")
    out = StringIO()
    with pytest.raises(CommandError, match=r"1 problem\(s\) in 1 overlay file"):
        call_command("guidance", "check", "--overlay", str(broken), stdout=out)
    assert (
        f"broken.yaml:{number + 1}: added step 'huisarts_inform_practice': urgency 'someday'"
        in out.getvalue()
    )


def test_guidance_check_reports_broken_overlays_in_the_database(editor: Any, overlay: Overlay) -> None:
    from zorgveilig.cli import main

    overlays.save_change(editor, overlay, added_step())
    overlays.publish(editor, overlay, "fine")
    out = StringIO()
    call_command("guidance", "check", stdout=out)
    assert "1 profession overlay(s) checked (drafts and current versions): no problems." in out.getvalue()

    DraftChange.objects.create(overlay=overlay, position=9, content=replaced_text(en=""))
    DraftChange.objects.create(overlay=overlay, position=10, content=added_step(ALWAYS))
    out = StringIO()
    with pytest.raises(CommandError, match=r"2 problem\(s\) in the profession overlays"):
        call_command("guidance", "check", stdout=out)
    printed = out.getvalue()
    assert re.search(
        r"overlay huisarts \(draft\), change 2, export line \d+: missing translation: text replacement text.en",
        printed,
    )
    assert re.search(
        rf"overlay huisarts \(draft\), change 3, export line \d+: step id '{ALWAYS}' is already a step",
        printed,
    )
    with pytest.raises(SystemExit) as exited:
        main(["guidance", "check"])
    assert exited.value.code == 1
