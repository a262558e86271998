"""The import form of the web UI, and the upload limit it is held to."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from sources.importers import IMPORTERS, source_slug
from sources.models import MappingProfile, Product, Source
from sources.releases import PRODUCT_SLUG


def max_upload_mb() -> int:
    return int(settings.SOURCES_IMPORT_MAX_MB)


def too_large_message() -> str:
    return str(
        _(
            "The file is larger than %(limit)s MB, the most the web import takes. Import it on the server "
            "with 'zorgveilig import', or ask an administrator to raise ZORGVEILIG_IMPORT_MAX_MB."
        )
        % {"limit": max_upload_mb()}
    )


class UploadLimit(FileUploadHandler):
    """Stops reading an upload once it passes the limit, so an oversized file is never written to disk;
    the form then says why (it has to be the first upload handler of the request)."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = max_upload_mb() * 1024 * 1024
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def source_choices() -> list[tuple[str, str]]:
    """The sources that have importers, by name where the name is known."""
    names = dict(Source.objects.values_list("slug", "name"))
    choices = []
    for slug, paths in IMPORTERS.items():
        name = names.get(slug)
        if name is None:
            try:
                name = import_string(paths[0]).source.name
            except ImportError:
                name = ""
        choices.append((slug, f"{name} ({slug})" if name else slug))
    return sorted(choices, key=lambda choice: choice[1].casefold())


class ImportForm(forms.Form):
    source = forms.ChoiceField(
        label=_("Source"),
        required=False,
        help_text=_("Who published the file. With a mapping profile you may leave this empty."),
    )
    product = forms.CharField(
        label=_("Product (optional)"),
        required=False,
        max_length=80,
        help_text=_(
            "The series this file belongs to, whose earlier vintages it is compared with, e.g. "
            "incident-data-2022. Leave empty to tell it from the file name."
        ),
        widget=forms.TextInput(
            attrs={"list": "known-products", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    vintage = forms.DateField(
        label=_("Vintage date (optional)"),
        required=False,
        help_text=_(
            "The date the source published the file, or the date you downloaded it. Leave empty when the "
            "file states its version or its name holds a date."
        ),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
    )
    profile = forms.ModelChoiceField(
        label=_("Mapping profile (optional)"),
        queryset=MappingProfile.objects.all(),
        required=False,
        empty_label=_("None: the source's own importer"),
        help_text=_("For a layout no importer knows: which column holds which field."),
    )
    # Last, so that the other fields arrive before the file when an oversized upload is cut off.
    file = forms.FileField(
        label=_("File"),
        help_text=_("XLSX, CSV (UTF-8) or JSON, as published; at most %(limit)s MB."),
        error_messages={
            "required": _("Choose the file to import."),
            "empty": _("The file is empty (0 bytes)."),
        },
    )

    def __init__(self, *args: Any, upload_too_large: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.upload_too_large = upload_too_large
        source = cast("forms.ChoiceField", self.fields["source"])
        source.choices = [("", _("Choose a source")), *source_choices()]
        self.fields["file"].help_text = self.fields["file"].help_text % {"limit": max_upload_mb()}
        self.known_products = list(Product.objects.order_by("slug").values_list("slug", flat=True).distinct())

    def clean_product(self) -> str:
        product: str = self.cleaned_data["product"].strip()
        if product and not PRODUCT_SLUG.fullmatch(product):
            raise forms.ValidationError(
                _("Use lowercase letters, digits and hyphens only, e.g. incident-data-2022."), code="product"
            )
        return product

    def clean_file(self) -> Any:
        uploaded = self.cleaned_data.get("file")
        if uploaded is not None and uploaded.size > max_upload_mb() * 1024 * 1024:
            raise forms.ValidationError(too_large_message(), code="too_large")
        return uploaded

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.upload_too_large:
            self.errors.pop("file", None)
            self.add_error("file", forms.ValidationError(too_large_message(), code="too_large"))
        source = cleaned.get("source") or ""
        profile = cleaned.get("profile")
        if profile is None and not source and "source" not in self.errors:
            self.add_error("source", _("Choose the source of the file, or a mapping profile."))
        elif profile is not None and source and source_slug(source) != profile.source_slug:
            self.add_error(
                "profile",
                _("This mapping profile is for source %(profile_source)s, not %(source)s.")
                % {"profile_source": profile.source_slug, "source": source},
            )
        return cleaned

    def error_links(self) -> list[dict[str, Any]]:
        """The error summary links each problem to its field."""
        return [
            {"anchor": self[name].auto_id, "label": self[name].label, "errors": errors}
            for name, errors in self.errors.items()
            if name != "__all__"
        ]
