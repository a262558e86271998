"""Forms of the evidence pages: upload, web capture, hand-over, and bundle export.

The forms only take the input apart; evidence.actions checks files and metadata and names what is wrong.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from evidence.models import EvidenceItem, How, Kind
from evidence.store import MB, max_file_bytes

TARGET_SALT = "evidence.target"
# What the file picker offers (a phone then offers its camera too); the server checks the bytes anyway.
ACCEPT = (
    "image/*,video/*,audio/*,application/pdf,text/plain,text/html,.txt,.rtf,.doc,.docx,.xlsx,.pptx,.odt,.ods,"
    ".warc,.gz,.mhtml,.mht,.html,.heic,.mkv"
)


def target_token(target: models.Model) -> str:
    """A signed reference to `target` for a form's hidden field: a page cannot be made to attach to another."""
    content_type = ContentType.objects.get_for_model(target)
    return signing.dumps([content_type.app_label, content_type.model, str(target.pk)], salt=TARGET_SALT)


def target_from_token(token: str) -> models.Model:
    """The object a token names; ValidationError when it was changed or the object is gone."""
    try:
        app_label, model, pk = signing.loads(token, salt=TARGET_SALT)
        found = ContentType.objects.get_by_natural_key(app_label, model).get_object_for_this_type(pk=pk)
    except (signing.BadSignature, ValueError, TypeError, ObjectDoesNotExist):
        raise forms.ValidationError(
            _("The object this evidence should document does not exist (any more)."), code="target"
        ) from None
    assert isinstance(found, models.Model)
    return found


class ErrorLinks:
    """The error summary links each problem to its field."""

    def error_links(self) -> list[dict[str, Any]]:
        form: Any = self
        return [
            {"anchor": form[name].auto_id, "label": form[name].label, "errors": errors}
            for name, errors in form.errors.items()
            if name != "__all__" and name in form.fields and not form.fields[name].widget.is_hidden
        ]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """One or more files; each is checked by evidence.store, not here."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = [file for file in (data if isinstance(data, list | tuple) else [data]) if file]
        if self.required and not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return files


def _local_datetime(**kwargs: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"), **kwargs
    )


def _time_zone_help() -> str:
    return str(_("Local time of the site (%(zone)s).")) % {"zone": settings.TIME_ZONE}


class OrganisationChoice(forms.ModelChoiceField):
    def __init__(self, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(
            queryset=Organisation.objects.filter(pk__in=[organisation.pk for organisation in organisations]),
            label=_("Organisation"),
            empty_label=None,
            **kwargs,
        )
        if len(organisations) == 1:
            self.initial = organisations[0].pk
            self.widget = forms.HiddenInput()


class _TargetFields(forms.Form):
    target = forms.CharField(required=False, widget=forms.HiddenInput)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_target(self) -> models.Model | None:
        token = self.cleaned_data.get("target") or ""
        return target_from_token(token) if token else None


class UploadForm(ErrorLinks, _TargetFields):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none())
    kind = forms.ChoiceField(label=_("Kind of evidence"), choices=Kind.choices, initial=Kind.PHOTO)
    uploads = MultipleFileField(label=_("Files"))
    collected_by = forms.CharField(
        label=_("Collected by"),
        max_length=200,
        help_text=_("The person who took the photo, recorded the statement or received the file."),
    )
    collected_at = _local_datetime(label=_("Collected at"))
    how = forms.ChoiceField(
        label=_("How it was collected"), choices=How.choices, initial=How.RECORDED_ON_SCENE
    )
    tool_or_device = forms.CharField(
        label=_("Tool or device"),
        max_length=200,
        required=False,
        help_text=_("For example: the phone or camera, or the app that recorded it."),
    )
    original_url = forms.URLField(
        label=_("Original address (URL)"),
        max_length=2000,
        required=False,
        assume_scheme="https",
        help_text=_("Where the file was found online, if it was."),
    )
    notes = forms.CharField(
        label=_("Notes"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What it shows, where exactly, anything an investigator should know."),
    )

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"] = OrganisationChoice(organisations)
        self.fields["collected_at"].help_text = _time_zone_help()
        self.fields["uploads"].help_text = str(
            _("One or more files of the same kind, at most %(limit)s MB each.")
        ) % {"limit": max_file_bytes() // MB}

    def metadata(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            name: data[name]
            for name in ("collected_by", "collected_at", "how", "tool_or_device", "original_url", "notes")
        }


class WebCaptureForm(ErrorLinks, _TargetFields):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none())
    original_url = forms.URLField(
        label=_("Address of the page (URL)"), max_length=2000, assume_scheme="https"
    )
    captured_at = _local_datetime(label=_("Captured at"))
    capturer = forms.CharField(label=_("Captured by"), max_length=200)
    file = forms.FileField(
        label=_("Capture file"),
        help_text=_(
            "A screenshot (PNG, JPEG), the page printed to PDF, a web archive (WARC) or the saved page "
            "(HTML, MHTML)."
        ),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/*,application/pdf,.warc,.gz,.html,.mhtml,.mht"}
        ),
    )
    tool_or_device = forms.CharField(
        label=_("Tool"),
        max_length=200,
        required=False,
        help_text=_("For example: the browser and its screenshot function, or the archiving tool."),
    )
    notes = forms.CharField(
        label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"] = OrganisationChoice(organisations)
        self.fields["captured_at"].help_text = _time_zone_help()

    def metadata(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "original_url": data["original_url"],
            "captured_at": data["captured_at"],
            "capturer": data["capturer"],
            # Whoever captured the page collected it, at that moment.
            "collected_by": data["capturer"],
            "collected_at": data["captured_at"],
            "how": How.CAPTURED_ONLINE,
            "tool_or_device": data["tool_or_device"],
            "notes": data["notes"],
        }


class TransferForm(ErrorLinks, forms.Form):
    recipient = forms.CharField(
        label=_("Handed over to"),
        max_length=300,
        help_text=_("Name and organisation, for example an investigator of a UN mechanism."),
    )
    reason = forms.CharField(label=_("Why"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ItemChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        item: EvidenceItem = obj
        name = item.original_filename or item.sha256[:12]
        collected = timezone.localtime(item.collected_at)
        return f"{item.get_kind_display()}: {name} ({item.organisation.name}, {collected:%Y-%m-%d})"


class BundleForm(ErrorLinks, forms.Form):
    items = ItemChoice(
        label=_("Items"),
        queryset=EvidenceItem.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one item.")},
    )
    reason = forms.CharField(
        label=_("Why, and for whom"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recorded in the custody log of every item and in the signed manifest."),
    )

    def __init__(self, *args: Any, items: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["items"]
        field.queryset = items.select_related("organisation")
