"""The overlay editor: profession editors change the action framework for their profession and publish it.

Every page needs EDIT_GUIDANCE (403 without it, in any organisation); an overlay's pages also need it in the
organisation that maintains the overlay, and are a 404 for everyone else, so nobody learns which
professions other organisations work on. The work itself is done by guidance/overlays.py.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.permissions import has_permission, organisations_with, permission_required
from accounts.roles import Permission
from guidance import overlays
from guidance.editor_forms import (
    ChooseTextForm,
    CompareForm,
    CreateOverlayForm,
    HideStepForm,
    PreviewForm,
    PublishForm,
    ReplaceTextForm,
    RollbackForm,
    StepForm,
    step_choices,
)
from guidance.engine import default_rules
from guidance.models import DraftChange, Overlay, OverlayVersion
from guidance.overlay_content import OverlayProblem, overlay_yaml, summarise
from guidance.ruleset import RuleSet

EDIT = Permission.EDIT_GUIDANCE


def _overlay(request: HttpRequest, profession: str) -> Overlay:
    """The overlay of `profession` when the user may edit it; 404 otherwise, also when it exists."""
    overlay = Overlay.objects.select_related("organisation").filter(profession=profession).first()
    if overlay is None or not has_permission(request.user, EDIT, overlay.organisation):
        raise Http404("No such overlay.")
    return overlay


def _version(overlay: Overlay, number: int) -> OverlayVersion:
    version = overlay.versions.filter(number=number).first()
    if version is None:
        raise Http404("No such version.")
    return version


def _change(overlay: Overlay, change_id: int) -> DraftChange:
    change = overlay.draft_changes.filter(pk=change_id).first()
    if change is None:
        raise Http404("No such change.")
    return change


def _summaries(content: list[Any], rules: RuleSet, problems: list[OverlayProblem] | None = None) -> list[Any]:
    """The changes for the page: what each does, with its number and its problems."""
    rows = []
    for number, change in enumerate(content, start=1):
        rows.append(
            {
                "number": number,
                "summary": summarise(change, rules),
                "problems": [p for p in problems or [] if p.change == number],
            }
        )
    return rows


def _render(
    request: HttpRequest,
    template: str,
    overlay: Overlay | None,
    context: dict[str, Any],
    *,
    invalid: bool = False,
) -> HttpResponse:
    base: dict[str, Any] = {"overlay": overlay, "rules": default_rules()}
    return render(request, f"guidance/editor/{template}", {**base, **context}, status=400 if invalid else 200)


# ---------------------------------------------------------------------------------------------------------
# The list, and a new overlay


@never_cache
@permission_required(EDIT)
def overlay_list(request: HttpRequest) -> HttpResponse:
    rows = [
        {
            "overlay": overlay,
            "current": overlays.current_version(overlay),
            "published": overlays.draft_is_published(overlay),
        }
        for overlay in overlays.editable_overlays(request.user)
    ]
    return _render(
        request,
        "list.html",
        None,
        {"rows": rows, "can_create": bool(overlays.professions_without_overlay())},
    )


@never_cache
@permission_required(EDIT)
def create(request: HttpRequest) -> HttpResponse:
    organisations = organisations_with(request.user, EDIT)
    form = CreateOverlayForm(
        request.POST or None, professions=overlays.professions_without_overlay(), organisations=organisations
    )
    problem = ""
    if request.method == "POST" and form.is_valid():
        try:
            overlay = overlays.create_overlay(
                request.user, form.cleaned_data["organisation"], form.cleaned_data["profession"]
            )
        except overlays.OverlayRefused as refused:
            problem = refused.message
        else:
            messages.success(request, _("The overlay has been created. Its draft is empty."))
            return redirect("guidance_editor:overlay", profession=overlay.profession)
    return _render(
        request, "create.html", None, {"form": form, "problem": problem}, invalid=bool(form.errors or problem)
    )


# ---------------------------------------------------------------------------------------------------------
# The draft


@never_cache
@permission_required(EDIT)
def overlay(request: HttpRequest, profession: str) -> HttpResponse:
    overlay = _overlay(request, profession)
    rules = default_rules()
    changes = overlays.draft_changes(overlay)
    problems = list(overlays.check_draft(overlay).problems)
    rows = _summaries([change.content for change in changes], rules, problems)
    for row, change in zip(rows, changes, strict=True):
        row["change"] = change
    return _render(
        request,
        "overlay.html",
        overlay,
        {
            "rows": rows,
            "current": overlays.current_version(overlay),
            "published": overlays.draft_is_published(overlay),
            "has_problems": bool(problems),
        },
    )


def _save(request: HttpRequest, overlay: Overlay, form: Any, change: DraftChange | None) -> list[str]:
    """Save the form's change; the problems that stop it (none when it was saved)."""
    try:
        overlays.save_change(request.user, overlay, form.change(), change)
    except overlays.OverlayRefused as refused:
        return [problem.message for problem in refused.problems] or [refused.message]
    messages.success(request, _("The change has been saved in the draft."))
    return []


def _change_form_page(
    request: HttpRequest,
    overlay: Overlay,
    change: DraftChange | None,
    form: Any,
    template: str,
    extra: dict[str, Any] | None = None,
    *,
    invalid: bool = False,
) -> HttpResponse:
    """A form for one draft change: saved and back to the draft when valid, else the form with its problems."""
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        problems = _save(request, overlay, form, change)
        if not problems:
            return redirect("guidance_editor:overlay", profession=overlay.profession)
    return _render(
        request,
        template,
        overlay,
        {"form": form, "change": change, "problems": problems, **(extra or {})},
        invalid=invalid or bool(form.errors or problems),
    )


def _other_steps(overlay: Overlay, rules: RuleSet, own: str | None) -> list[tuple[str, str]]:
    added = [
        (str(body["id"]), f"{body['id']}")
        for body in (change.get("add") for change in overlays.draft_content(overlay))
        if isinstance(body, dict) and isinstance(body.get("id"), str) and body["id"] != own
    ]
    return [*step_choices(rules), *added]


def _step_page(request: HttpRequest, overlay: Overlay, change: DraftChange | None) -> HttpResponse:
    rules = default_rules()
    initial = StepForm.initial_from(change.content) if change is not None else None
    own = initial.get("id") if initial else None
    form = StepForm(
        request.POST or None, initial=initial, rules=rules, other_steps=_other_steps(overlay, rules, own)
    )
    return _change_form_page(request, overlay, change, form, "step_form.html")


def _replace_page(request: HttpRequest, overlay: Overlay, change: DraftChange | None) -> HttpResponse:
    rules = default_rules()
    if request.method == "POST":
        form = ReplaceTextForm(request.POST, rules=rules)
        chosen = ChooseTextForm(request.POST, rules=rules)
    elif change is not None:
        initial = ReplaceTextForm.initial_from(change.content)
        form = ReplaceTextForm(initial=initial, rules=rules)
        chosen = ChooseTextForm({"step": initial["step"], "field": initial["field"]}, rules=rules)
    else:
        chosen = ChooseTextForm(request.GET if "step" in request.GET else None, rules=rules)
        current = chosen.current_text(rules)
        initial = {"step": request.GET.get("step"), "field": request.GET.get("field")}
        if current is not None:
            initial.update({"text_nl": current.nl, "text_en": current.en})
        form = ReplaceTextForm(initial=initial, rules=rules)
    current = chosen.current_text(rules)
    step = rules.step_map.get(chosen.cleaned_data["step"]) if current is not None else None
    return _change_form_page(
        request,
        overlay,
        change,
        form,
        "replace_form.html",
        {"chosen": chosen, "current": current, "step": step},
        invalid=chosen.is_bound and bool(chosen.errors),
    )


def _hide_page(request: HttpRequest, overlay: Overlay, change: DraftChange | None) -> HttpResponse:
    rules = default_rules()
    initial = HideStepForm.initial_from(change.content) if change is not None else None
    form = HideStepForm(request.POST or None, initial=initial, rules=rules)
    return _change_form_page(request, overlay, change, form, "hide_form.html")


@never_cache
@permission_required(EDIT)
def add_step(request: HttpRequest, profession: str) -> HttpResponse:
    return _step_page(request, _overlay(request, profession), None)


@never_cache
@permission_required(EDIT)
def replace_text(request: HttpRequest, profession: str) -> HttpResponse:
    return _replace_page(request, _overlay(request, profession), None)


@never_cache
@permission_required(EDIT)
def hide_step(request: HttpRequest, profession: str) -> HttpResponse:
    return _hide_page(request, _overlay(request, profession), None)


@never_cache
@permission_required(EDIT)
def edit_change(request: HttpRequest, profession: str, change_id: int) -> HttpResponse:
    overlay = _overlay(request, profession)
    change = _change(overlay, change_id)
    kind = next(iter(change.content), "") if isinstance(change.content, dict) else ""
    if kind == "add":
        return _step_page(request, overlay, change)
    if kind == "replace":
        return _replace_page(request, overlay, change)
    if kind == "hide":
        return _hide_page(request, overlay, change)
    raise Http404("This change cannot be edited here; remove it instead.")


@never_cache
@require_POST
@permission_required(EDIT)
def remove_change(request: HttpRequest, profession: str, change_id: int) -> HttpResponse:
    overlay = _overlay(request, profession)
    overlays.remove_change(request.user, _change(overlay, change_id))
    messages.success(request, _("The change has been removed from the draft."))
    return redirect("guidance_editor:overlay", profession=overlay.profession)


@never_cache
@permission_required(EDIT)
def preview(request: HttpRequest, profession: str) -> HttpResponse:
    overlay = _overlay(request, profession)
    rules = default_rules()
    form = PreviewForm(request.GET if "submitted" in request.GET else None, rules=rules)
    result = overlays.preview(overlay, form.answers()) if form.is_bound and form.is_valid() else None
    return _render(request, "preview.html", overlay, {"form": form, "result": result})


@never_cache
@permission_required(EDIT)
def export_draft(request: HttpRequest, profession: str) -> HttpResponse:
    overlay = _overlay(request, profession)
    return _yaml_download(overlay, overlays.draft_content(overlay), f"{overlay.profession}-draft.yaml")


def _yaml_download(overlay: Overlay, content: list[Any], filename: str) -> HttpResponse:
    text = overlay_yaml(overlay.profession, content, default_rules().version)
    response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ---------------------------------------------------------------------------------------------------------
# Publishing, versions, rollback


@never_cache
@permission_required(EDIT)
def publish(request: HttpRequest, profession: str) -> HttpResponse:
    overlay = _overlay(request, profession)
    rules = default_rules()
    form = PublishForm(request.POST or None)
    refused: overlays.OverlayRefused | None = None
    if request.method == "POST" and form.is_valid():
        try:
            version = overlays.publish(request.user, overlay, form.cleaned_data["note"])
        except overlays.OverlayRefused as error:
            refused = error
        else:
            messages.success(
                request,
                _("Version %(number)s is published: health-care workers see it now.")
                % {"number": version.number},
            )
            return redirect("guidance_editor:versions", profession=overlay.profession)
    current = overlays.current_version(overlay)
    content = overlays.draft_content(overlay)
    problems = list(refused.problems) if refused else list(overlays.check_draft(overlay).problems)
    return _render(
        request,
        "publish.html",
        overlay,
        {
            "form": form,
            "current": current,
            "rows": _summaries(content, rules, problems),
            "problems": problems,
            "refused": refused.message if refused is not None else "",
            "differences": overlays.compare_versions(current.content if current else [], content),
        },
        invalid=bool(form.errors or refused),
    )


@never_cache
@permission_required(EDIT)
def versions(request: HttpRequest, profession: str) -> HttpResponse:
    overlay = _overlay(request, profession)
    history = list(overlay.versions.order_by("-number"))
    form = CompareForm(numbers=[version.number for version in history])
    if len(history) >= 2:
        form.initial = {"older": history[1].number, "newer": history[0].number}
    return _render(request, "versions.html", overlay, {"history": history, "compare_form": form})


@never_cache
@permission_required(EDIT)
def version(request: HttpRequest, profession: str, number: int) -> HttpResponse:
    overlay = _overlay(request, profession)
    shown = _version(overlay, number)
    current = overlays.current_version(overlay)
    return _render(
        request,
        "version.html",
        overlay,
        {"version": shown, "current": current, "rows": _summaries(shown.content, default_rules())},
    )


@never_cache
@permission_required(EDIT)
def export_version(request: HttpRequest, profession: str, number: int) -> HttpResponse:
    overlay = _overlay(request, profession)
    shown = _version(overlay, number)
    return _yaml_download(overlay, shown.content, f"{overlay.profession}-version-{shown.number}.yaml")


@never_cache
@permission_required(EDIT)
def compare(request: HttpRequest, profession: str) -> HttpResponse:
    overlay = _overlay(request, profession)
    history = list(overlay.versions.order_by("-number"))
    form = CompareForm(request.GET or None, numbers=[version.number for version in history])
    differences = None
    older = newer = None
    if form.is_bound and form.is_valid():
        numbers = sorted((form.cleaned_data["older"], form.cleaned_data["newer"]))
        older, newer = (_version(overlay, number) for number in numbers)
        differences = overlays.compare_versions(older.content, newer.content)
    return _render(
        request,
        "compare.html",
        overlay,
        {"form": form, "older": older, "newer": newer, "differences": differences},
        invalid=bool(form.is_bound and form.errors),
    )


@never_cache
@permission_required(EDIT)
def rollback(request: HttpRequest, profession: str, number: int) -> HttpResponse:
    overlay = _overlay(request, profession)
    target = _version(overlay, number)
    current = overlays.current_version(overlay)
    form = RollbackForm(request.POST if request.method == "POST" else None)
    problem = ""
    if request.method == "POST" and form.is_valid():
        try:
            version = overlays.rollback(request.user, overlay, target.number, form.cleaned_data["note"])
        except overlays.OverlayRefused as refused:
            problem = refused.message
        else:
            messages.success(
                request,
                _("Version %(number)s is published with the changes of version %(old)s.")
                % {"number": version.number, "old": target.number},
            )
            return redirect("guidance_editor:versions", profession=overlay.profession)
    return _render(
        request,
        "rollback.html",
        overlay,
        {
            "form": form,
            "target": target,
            "current": current,
            "problem": problem,
            "draft_is_published": overlays.draft_is_published(overlay),
            "differences": overlays.compare_versions(current.content if current else [], target.content),
        },
        invalid=bool(form.errors or problem),
    )
