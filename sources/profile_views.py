"""The mapping profile pages: list, editor, YAML download and upload, and a preview of a sample file.

Profiles are global, like the datasets they read: every page needs Permission.ANALYSE_DATA in any
organisation (403 without it; the middleware asks staff for their second factor first), and an unknown
profile is a 404. The work is done by sources.profiles (actions) and sources.preview.
"""

from __future__ import annotations

import datetime
import re
import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from accounts.permissions import permission_required
from accounts.roles import Permission
from sources import profile_definition, profiles
from sources.forms import UploadLimit, too_large_message
from sources.models import MappingProfile
from sources.preview import Preview, PreviewFailed, preview
from sources.profile_forms import (
    TYPE_LABELS,
    MappingForm,
    MappingFormSet,
    PreviewForm,
    ProfileForm,
    YamlUploadForm,
    add_problems,
    field_label,
)

ANALYSE = Permission.ANALYSE_DATA
MAX_MAPPINGS = 120
NOTHING = "\u2013"  # an en dash, for a field without a value


def _profile(slug: str) -> MappingProfile:
    profile = MappingProfile.objects.filter(slug=slug).first()
    if profile is None:
        raise Http404("No such mapping profile.")
    return profile


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], *, invalid: bool = False
) -> HttpResponse:
    return render(
        request,
        f"sources/profiles/{template}",
        {"section": "profiles", **context},
        status=400 if invalid else 200,
    )


@never_cache
@permission_required(ANALYSE)
def profile_list(request: HttpRequest) -> HttpResponse:
    rows = MappingProfile.objects.order_by("name").annotate(release_count=Count("releases"))
    return _render(request, "list.html", {"rows": rows})


# ---------------------------------------------------------------------------------------------------------
# The editor


def _reshown(post: QueryDict) -> tuple[ProfileForm, Any]:
    """The forms as posted, unbound (no errors shown), without the mappings ticked for removal and with one
    mapping more: adding a mapping needs no JavaScript, only a round trip."""
    initial: dict[str, Any] = {name: post.get(name, "") for name in ProfileForm.base_fields}
    initial["derive_from_counts"] = "derive_from_counts" in post
    rows = []
    try:
        total = min(int(post.get("fields-TOTAL_FORMS", "0")), MAX_MAPPINGS)
    except ValueError:
        total = 0
    for index in range(total):
        prefix = f"fields-{index}-"
        if post.get(f"{prefix}DELETE"):
            continue
        row: dict[str, Any] = {name: post.get(prefix + name, "") for name in MappingForm.base_fields}
        row["optional"] = f"{prefix}optional" in post
        rows.append(row)
    rows.append({"form": "name", "unknown": "warn"})
    return ProfileForm(initial=initial), MappingFormSet(initial=rows, prefix="fields")


def _definition(form: ProfileForm, formset: Any) -> profile_definition.ProfileDefinition | None:
    """The definition the valid forms describe, or None with the problems shown on the forms."""
    data = form.definition_data()
    mappings = [mapping for mapping_form in formset.forms if (mapping := mapping_form.mapping_data())]
    if form.errors or any(mapping_form.errors for mapping_form in formset.forms):
        return None
    data["fields"] = dict(mappings)
    definition, problems = profile_definition.check_definition(data)
    if definition is None:
        add_problems(form, formset, problems)
    return definition


def _editor(request: HttpRequest, profile: MappingProfile | None) -> HttpResponse:
    fixed = {"slug": profile.slug} if profile is not None else {}
    if request.method == "POST" and "add_mapping" in request.POST:
        form, formset = _reshown(request.POST)
        if profile is not None:
            form.initial.update(fixed)
    elif request.method == "POST":
        form = ProfileForm(request.POST, initial=fixed)
        formset = MappingFormSet(request.POST, prefix="fields")
        if profile is not None:
            form.fields["slug"].disabled = True
        if form.is_valid() and formset.is_valid() and (definition := _definition(form, formset)) is not None:
            try:
                if profile is None:
                    saved = profiles.create_profile(definition, actor=request.user)
                    messages.success(request, _("The mapping profile has been created."))
                else:
                    version = form.cleaned_data.get("version")
                    saved = profiles.update_profile(
                        profile, definition, actor=request.user, expected_version=version
                    )
                    messages.success(
                        request,
                        _("The mapping profile has been saved as version %(version)s.")
                        % {"version": saved.version},
                    )
                return redirect("sources:profile_detail", slug=saved.slug)
            except profile_definition.ProfileRefused as refused:
                form.add_error(None, str(refused))
    elif profile is not None:
        try:
            definition = profile_definition.definition_of(profile)
        except profile_definition.ProfileError as error:
            # Editing would start from a partial form and lose mappings: fix the YAML instead.
            return _render(request, "form.html", {"profile": profile, "problems": error.messages()})
        form = ProfileForm(initial=ProfileForm.initial_from(definition, profile.version))
        formset = MappingFormSet(prefix="fields", initial=MappingForm.initial_from(definition))
    else:
        form = ProfileForm(
            initial={
                "kind": "incidents",
                "date_precision": "day",
                "period": "year",
                "derive_from_counts": True,
            }
        )
        starters = [
            {"field": "event_date", "type": "date", "format": "iso", "form": "name", "unknown": "warn"},
            {"field": "country_iso3", "type": "country", "form": "name", "unknown": "warn"},
        ]
        formset = MappingFormSet(prefix="fields", initial=starters)
    if profile is not None:
        form.fields["slug"].disabled = True
    invalid = request.method == "POST" and "add_mapping" not in request.POST
    context = {"form": form, "formset": formset, "profile": profile, "type_labels": TYPE_LABELS}
    return _render(request, "form.html", context, invalid=invalid)


@never_cache
@permission_required(ANALYSE)
def profile_new(request: HttpRequest) -> HttpResponse:
    return _editor(request, None)


@never_cache
@permission_required(ANALYSE)
def profile_edit(request: HttpRequest, slug: str) -> HttpResponse:
    return _editor(request, _profile(slug))


# ---------------------------------------------------------------------------------------------------------
# One profile


def _settings(spec: profile_definition.FieldSpec) -> list[str]:
    """A mapping's settings as short texts for the detail page."""
    shown = []
    if spec.optional:
        shown.append(_("the column may be missing"))
    if spec.type == "date":
        shown.append(_("format: %(format)s") % {"format": spec.format})
    if spec.type == "flag":
        words = {"yes": ", ".join(spec.yes_words), "no": ", ".join(spec.no_words)}
        shown.append(_("yes: %(yes)s; no: %(no)s") % words)
        if spec.unknown_words:
            shown.append(_("not known: %(words)s") % {"words": ", ".join(spec.unknown_words)})
    if spec.type == "country":
        shown.append(_("ISO codes") if spec.form == "code" else _("names or codes"))
    if spec.crosswalk:
        shown.append(_("crosswalk: %(name)s") % {"name": spec.crosswalk})
    if spec.values:
        count = len(spec.values)
        shown.append(
            ngettext("%(count)s value of its own", "%(count)s values of its own", count) % {"count": count}
        )
    if spec.unknown == "quarantine":
        shown.append(_("other values quarantine the row"))
    if spec.minimum is not None or spec.maximum is not None:
        bounds = {
            "low": NOTHING if spec.minimum is None else f"{spec.minimum:g}",
            "high": NOTHING if spec.maximum is None else f"{spec.maximum:g}",
        }
        shown.append(_("from %(low)s to %(high)s") % bounds)
    return shown


@never_cache
@permission_required(ANALYSE)
def profile_detail(request: HttpRequest, slug: str) -> HttpResponse:
    profile = _profile(slug)
    problems: list[str] = []
    try:
        definition: profile_definition.ProfileDefinition | None = profile_definition.definition_of(profile)
    except profile_definition.ProfileError as error:
        definition, problems = None, error.messages()
    mappings = []
    if definition is not None:
        for spec in definition.fields:
            mappings.append(
                {
                    "label": field_label(definition.kind, spec.field),
                    "columns": spec.columns,
                    "type": TYPE_LABELS[spec.type],
                    "settings": _settings(spec),
                    "values": [
                        (word, ", ".join(code) if isinstance(code, tuple) else code)
                        for word, code in spec.values.items()
                    ],
                }
            )
    constants = [
        (field_label(profile.kind, name), _shown(value))
        for name, value in (definition.constants.items() if definition else [])
    ]
    releases = profile.releases.select_related("product__source").order_by("-imported_at")[:50]
    context = {
        "profile": profile,
        "definition": definition,
        "problems": problems,
        "mappings": mappings,
        "constants": constants,
        "releases": releases,
        "precision": _precision(definition),
    }
    return _render(request, "detail.html", context)


def _precision(definition: profile_definition.ProfileDefinition | None) -> str:
    if definition is None:
        return ""
    if definition.kind == "aggregates":
        return (
            _("one month of a country a row")
            if definition.period == "month"
            else _("one year of a country a row")
        )
    texts = {"day": _("dates to the day"), "month": _("dates to the month"), "year": _("dates to the year")}
    return texts[definition.date_precision]


@require_POST
@permission_required(ANALYSE)
def profile_delete(request: HttpRequest, slug: str) -> HttpResponse:
    profile = _profile(slug)
    try:
        profiles.delete_profile(profile, actor=request.user)
    except profile_definition.ProfileRefused as refused:
        messages.error(request, str(refused))
        return redirect("sources:profile_detail", slug=profile.slug)
    messages.success(request, _("The mapping profile %(name)s has been deleted.") % {"name": profile.name})
    return redirect("sources:profile_list")


@never_cache
@permission_required(ANALYSE)
def profile_yaml(request: HttpRequest, slug: str) -> HttpResponse:
    profile = _profile(slug)
    text = profiles.profile_to_yaml(profile, actor=request.user)
    response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{profile.slug}.yaml"'
    return response


# ---------------------------------------------------------------------------------------------------------
# Uploads: a YAML profile, a sample file to preview


def _limited(view: Any) -> Any:
    """The upload limit goes in before anything reads the request body, the CSRF check included, which
    therefore runs inside (as on the import page, sources.views.import_form)."""
    protected = csrf_protect(view)

    def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        limit = UploadLimit(request)
        if request.method == "POST":
            request.upload_handlers.insert(0, limit)
        return protected(request, limit, *args, **kwargs)

    return csrf_exempt(limited)


def _too_large(form: Any, limit: UploadLimit) -> None:
    if limit.exceeded:
        form.errors.pop("file", None)
        form.add_error("file", too_large_message())


@never_cache
@permission_required(ANALYSE)
@_limited
def profile_upload(request: HttpRequest, limit: UploadLimit) -> HttpResponse:
    form = YamlUploadForm(request.POST, request.FILES) if request.method == "POST" else YamlUploadForm()
    problems: list[str] = []
    if request.method == "POST" and form.is_valid() and not limit.exceeded:
        upload = form.cleaned_data["file"]
        try:
            text = upload.read().decode("utf-8-sig")
            profile, created = profiles.profile_from_yaml(
                text,
                actor=request.user,
                replace=form.cleaned_data["replace"],
                file_name=Path(upload.name).name,
            )
        except UnicodeDecodeError:
            form.add_error("file", _("The file is not UTF-8 text; save it as UTF-8."))
        except profile_definition.ProfileError as error:
            problems = error.messages()
        except profile_definition.ProfileRefused as refused:
            form.add_error("replace", str(refused))
        else:
            message = (
                _("The mapping profile has been created.")
                if created
                else _("The mapping profile has been saved as version %(version)s.")
                % {"version": profile.version}
            )
            messages.success(request, message)
            return redirect("sources:profile_detail", slug=profile.slug)
    if request.method == "POST":
        _too_large(form, limit)
    invalid = request.method == "POST"
    return _render(request, "upload.html", {"form": form, "problems": problems}, invalid=invalid)


SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _preview_upload(upload: Any, profile: MappingProfile, rows: int) -> Preview:
    with tempfile.TemporaryDirectory(prefix="zorgveilig-preview-") as directory:
        name = SAFE_NAME.sub("-", Path(upload.name or "sample").name)[-100:] or "sample"
        path = Path(directory) / name
        with path.open("wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        return preview(path, profile.source_slug, profile=profile, rows=rows)


def _shown(value: Any) -> str:
    if value is None or value == "" or value == []:
        return NOTHING
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_shown(item)}" for key, item in value.items())
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _preview_rows(result: Preview, kind: str) -> list[dict[str, Any]]:
    """Each row's cells of the columns read, next to its harmonised fields or why it would be quarantined."""
    read = sorted(result.columns.values(), key=lambda column: column["column"])
    rows = []
    for row in result.rows:
        cells = [
            (column["header"], row.cells[column["column"] - 1] if column["column"] <= len(row.cells) else "")
            for column in read
        ]
        fields = [(field_label(kind, name), _shown(value)) for name, value in row.fields.items()]
        rows.append({"row": row, "cells": cells, "fields": fields})
    return rows


@never_cache
@permission_required(ANALYSE)
@_limited
def profile_preview(request: HttpRequest, limit: UploadLimit, slug: str) -> HttpResponse:
    profile = _profile(slug)
    form = PreviewForm(request.POST, request.FILES) if request.method == "POST" else PreviewForm()
    result: Preview | None = None
    failed = ""
    if request.method == "POST" and form.is_valid() and not limit.exceeded:
        try:
            result = _preview_upload(form.cleaned_data["file"], profile, form.cleaned_data["rows"])
        except PreviewFailed as error:
            failed = str(error)
    if request.method == "POST":
        _too_large(form, limit)
    context = {
        "profile": profile,
        "form": form,
        "result": result,
        "failed": failed,
        "rows": _preview_rows(result, result.kind) if result else [],
    }
    return _render(request, "preview.html", context, invalid=bool(form.errors or failed))
