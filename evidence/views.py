"""The evidence pages under staff/evidence/: list, upload, web capture, one item, its file, hand-over, and
bundles. Who may do what: evidence/access.py. The work is done by evidence.actions and evidence.bundle."""

from __future__ import annotations

import contextlib
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from evidence import access, actions, signing, store
from evidence.bundle import build_bundle
from evidence.forms import (
    BundleForm,
    StatementForm,
    TransferForm,
    UploadForm,
    WebCaptureForm,
    target_from_token,
)
from evidence.models import Bundle, EvidenceItem, Kind, SigningKey

PAGE_SIZE = 50


def _form_errors_from(form: Any, error: ValidationError) -> None:
    """Put an action's ValidationError on the form: under its field when the form has one, else on top."""
    if hasattr(error, "error_dict"):
        for field, problems in error.error_dict.items():
            for problem in problems:
                form.add_error(field if field in form.fields else None, problem)
    else:
        form.add_error(None, error)


def _next_url(request: HttpRequest, candidate: str, default: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _added(request: HttpRequest, items: list[EvidenceItem], next_url: str) -> HttpResponse:
    messages.success(
        request,
        ngettext(
            "%(count)s file was added as evidence; its SHA-256 was recorded.",
            "%(count)s files were added as evidence; their SHA-256 values were recorded.",
            len(items),
        )
        % {"count": len(items)},
    )
    default = reverse("evidence:detail", args=[items[0].pk]) if len(items) == 1 else reverse("evidence:list")
    return redirect(_next_url(request, next_url, default))


# The list ---------------------------------------------------------------------------------------------------


@access.view_required
@require_GET
def item_list(request: HttpRequest) -> HttpResponse:
    organisations = access.organisations_to_view(request.user)
    items = access.visible_items(request.user).select_related("organisation")
    chosen_kind = request.GET.get("kind", "")
    if chosen_kind in Kind.values:
        items = items.filter(kind=chosen_kind)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "evidence/list.html",
        {
            "page": page,
            "items": list(page),
            "kinds": Kind.choices,
            "chosen_kind": chosen_kind,
            "several_organisations": len(organisations) > 1,
            "may_add": access.may_add(request.user),
        },
    )


# Adding -----------------------------------------------------------------------------------------------------


@access.add_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    organisations = access.organisations_to_add(request.user)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, organisations=organisations)
        if form.is_valid():
            try:
                items = actions.add_many(
                    request.user,
                    form.cleaned_data["organisation"],
                    form.cleaned_data["uploads"],
                    form.cleaned_data["kind"],
                    form.metadata(),
                    target=form.cleaned_data["target"],
                )
            except ValidationError as error:
                _form_errors_from(form, error)
            else:
                return _added(request, items, form.cleaned_data["next"])
    else:
        form = UploadForm(
            initial=_initial(request, "collected_by", "collected_at"), organisations=organisations
        )
    return _adding_page(request, "evidence/upload.html", form)


def _initial(request: HttpRequest, who: str, when: str) -> dict[str, Any]:
    """A new adding form's values: the user as the collector, now (to the minute), and the target and the
    address to go back to that the page was opened with."""
    user: Any = request.user
    return {
        who: user.get_full_name() or user.get_username(),
        when: timezone.localtime().replace(second=0, microsecond=0),
        "target": request.GET.get("target", ""),
        "next": request.GET.get("next", ""),
    }


def _adding_page(request: HttpRequest, template: str, form: Any) -> HttpResponse:
    return render(
        request, template, {"form": form, "target": _shown_target(form)}, status=400 if form.errors else 200
    )


def _shown_target(form: Any) -> Any:
    token = form["target"].value()
    if not token:
        return None
    try:
        return target_from_token(token)
    except ValidationError:
        return None


@access.add_required
@require_http_methods(["GET", "POST"])
def web_capture(request: HttpRequest) -> HttpResponse:
    organisations = access.organisations_to_add(request.user)
    if request.method == "POST":
        form = WebCaptureForm(request.POST, request.FILES, organisations=organisations)
        if form.is_valid():
            try:
                item = actions.add_evidence(
                    request.user,
                    form.cleaned_data["organisation"],
                    form.cleaned_data["file"],
                    Kind.WEB_CAPTURE,
                    form.metadata(),
                    target=form.cleaned_data["target"],
                )
            except ValidationError as error:
                _form_errors_from(form, error)
            else:
                return _added(request, [item], form.cleaned_data["next"])
    else:
        form = WebCaptureForm(
            initial=_initial(request, "capturer", "captured_at"), organisations=organisations
        )
    return _adding_page(request, "evidence/web_capture.html", form)


@access.add_required
@require_http_methods(["GET", "POST"])
def statement(request: HttpRequest) -> HttpResponse:
    """Type a witness statement: stored as a text file, hashed at intake like any other evidence."""
    organisations = access.organisations_to_add(request.user)
    if request.method == "POST":
        form = StatementForm(request.POST, organisations=organisations)
        if form.is_valid():
            try:
                item = actions.add_typed_statement(
                    request.user,
                    form.cleaned_data["organisation"],
                    witness=form.cleaned_data["witness"],
                    statement=form.cleaned_data["statement"],
                    language=form.cleaned_data["language"],
                    metadata=form.metadata(),
                    target=form.cleaned_data["target"],
                )
            except ValidationError as error:
                _form_errors_from(form, error)
            else:
                messages.success(request, _("The statement was added as evidence; its SHA-256 was recorded."))
                default = reverse("evidence:detail", args=[item.pk])
                return redirect(_next_url(request, form.cleaned_data["next"], default))
    else:
        form = StatementForm(
            initial=_initial(request, "collected_by", "collected_at"), organisations=organisations
        )
    return _adding_page(request, "evidence/statement.html", form)


# One item ---------------------------------------------------------------------------------------------------


def _detail_page(
    request: HttpRequest, item: EvidenceItem, transfer_form: TransferForm | None = None
) -> HttpResponse:
    may_transfer = access.may_add(request.user, item.organisation)
    return render(
        request,
        "evidence/detail.html",
        {
            "item": item,
            "events": item.custody_events.select_related("audit_event", "bundle"),
            "bundles": item.bundles.select_related("created_by"),
            "may_transfer": may_transfer,
            "transfer_form": transfer_form or (TransferForm() if may_transfer else None),
            "stored": store.exists(item.sha256),
        },
        status=400 if transfer_form is not None and transfer_form.errors else 200,
    )


@access.login_first
@require_GET
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, access.item_for(request.user, pk))


@access.login_first
@require_GET
def item_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    item = access.item_for(request.user, pk)
    try:
        chunks = store.open_chunks(item.sha256)
        first = next(chunks)  # opens and checks the header before the custody event is recorded
    except store.StoreError:
        messages.error(request, _("The stored file cannot be read: tell the administrator."))
        return redirect("evidence:detail", pk=item.pk)
    actions.record_view(request.user, item)

    def stream() -> Any:
        yield first
        yield from chunks

    response = StreamingHttpResponse(stream(), content_type=item.content_type)
    response["Content-Length"] = str(item.size)
    name = item.original_filename or f"{item.sha256}.bin"
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["Cache-Control"] = "no-store"
    return response


@access.login_first
@require_POST
def transfer(request: HttpRequest, pk: int) -> HttpResponse:
    item = access.item_for(request.user, pk, to_add=True)
    form = TransferForm(request.POST)
    if form.is_valid():
        try:
            actions.record_transfer(
                request.user, item, form.cleaned_data["recipient"], form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _form_errors_from(form, error)
        else:
            messages.success(request, _("The hand-over was recorded in the custody log."))
            return redirect("evidence:detail", pk=item.pk)
    return _detail_page(request, item, form)


# Bundles ----------------------------------------------------------------------------------------------------


@access.view_required
@require_GET
def bundle_list(request: HttpRequest) -> HttpResponse:
    organisations = access.organisations_to_view(request.user)
    bundles = Bundle.objects.filter(organisation__in=[o.pk for o in organisations]).select_related(
        "organisation", "created_by"
    )
    page = Paginator(bundles, PAGE_SIZE).get_page(request.GET.get("page"))
    # Fingerprints of keys made already; a key is made when it is first needed (first bundle or download).
    fingerprints = dict(
        SigningKey.objects.filter(organisation__in=[o.pk for o in organisations]).values_list(
            "organisation_id", "fingerprint"
        )
    )
    return render(
        request,
        "evidence/bundles.html",
        {
            "page": page,
            "bundles": list(page),
            "keys": [(organisation, fingerprints.get(organisation.pk, "")) for organisation in organisations],
        },
    )


@access.view_required
@require_http_methods(["GET", "POST"])
def bundle_new(request: HttpRequest) -> HttpResponseBase:
    items = access.visible_items(request.user)
    searching = request.method == "POST" and "search" in request.POST
    if request.method == "POST" and not searching:
        form = BundleForm(request.POST, items=items)
        if form.is_valid():
            try:
                built = build_bundle(
                    request.user, list(form.cleaned_data["items"]), form.cleaned_data["reason"]
                )
            except ValidationError as error:
                _form_errors_from(form, error)
            except store.StoreError:
                form.add_error(
                    None, _("A stored file cannot be read, so no bundle was made: tell the administrator.")
                )
            else:
                handle = built.path.open("rb")
                built.path.unlink()  # the open handle keeps the bytes until the download is sent
                return FileResponse(
                    handle, as_attachment=True, filename=built.filename, content_type="application/zip"
                )
    elif searching:
        # A new search: keep what was ticked and typed, show no errors for what is not filled in yet.
        initial: dict[str, Any] = {name: request.POST.get(name, "") for name in BundleForm.SEARCH_FIELDS}
        initial["items"] = request.POST.getlist("items")
        initial["reason"] = request.POST.get("reason", "")
        form = BundleForm(initial=initial, items=items)
    else:
        chosen = [value for value in request.GET.getlist("item") if value.isdigit()]
        target = request.GET.get("target", "")
        if target:
            with contextlib.suppress(ValidationError):
                chosen += [str(item.pk) for item in actions.items_for(target_from_token(target))]
        found = {name: request.GET.get(name, "") for name in BundleForm.SEARCH_FIELDS}
        form = BundleForm(initial={**found, "items": chosen}, items=items)
    matches, shown = form.show()
    return render(
        request,
        "evidence/bundle_form.html",
        {"form": form, "matches": matches, "shown": shown, "any_items": items.exists()},
        status=400 if form.errors else 200,
    )


@access.login_first
@require_GET
def bundle_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    bundle = access.bundle_for(request.user, pk)
    return render(
        request,
        "evidence/bundle_detail.html",
        {
            "bundle": bundle,
            "items": bundle.items.all(),
            "fingerprint": bundle.signer_fingerprint,
        },
    )


@access.login_first
@require_GET
def public_key(request: HttpRequest, slug: str) -> HttpResponse:
    """The organisation's bundle signing key (PEM), to hand to investigators apart from the bundles."""
    organisation = access.organisation_for(request.user, slug)
    key = signing.signing_key(organisation)
    response = HttpResponse(signing.public_key_pem(key), content_type="application/x-pem-file")
    response["Content-Disposition"] = f'attachment; filename="{organisation.slug}-evidence-signing-key.pem"'
    return response
