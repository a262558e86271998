"""Forms of the evidence pages: upload, web capture, typed witness statement, hand-over, and bundle export.

The forms only take the input apart; evidence.actions checks files and metadata and names what is wrong.
"""

from __future__ import annotations

import re
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
from evidence.actions import STATEMENT_MAX_CHARACTERS
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


class StatementForm(ErrorLinks, _TargetFields):
    """A witness statement typed on the spot (evidence.actions.add_typed_statement)."""

    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none())
    witness = forms.CharField(
        label=_("Who gave the statement"),
        max_length=300,
        help_text=_(
            "A name, or a description if the witness asked not to be named (for example: a nurse on duty "
            "that night). The statement is stored encrypted and only your organisation sees it."
        ),
    )
    language = forms.CharField(
        label=_("Language of the statement"),
        max_length=60,
        required=False,
        help_text=_("The language the witness spoke, if it is not the one you typed in."),
    )
    statement = forms.CharField(
        label=_("Statement"),
        max_length=STATEMENT_MAX_CHARACTERS,
        strip=False,  # the statement is kept as typed; only its line ends are made \n (statement_text)
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_(
            "As the witness gave it, in their words. What you add yourself belongs in the notes. Once added, "
            "the statement cannot be changed: add a new one to correct it."
        ),
    )
    collected_by = forms.CharField(label=_("Taken by"), max_length=200)
    collected_at = _local_datetime(label=_("Taken at"))
    notes = forms.CharField(
        label=_("Notes"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("How and where the statement was taken, who else was present, an interpreter."),
    )

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"] = OrganisationChoice(organisations)
        self.fields["collected_at"].help_text = _time_zone_help()

    def clean_statement(self) -> str:
        text: str = self.cleaned_data.get("statement") or ""
        if not text.strip():
            raise forms.ValidationError(_("Type the statement."), code="required")
        return text

    def metadata(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "collected_by": data["collected_by"],
            "collected_at": data["collected_at"],
            "how": How.STATEMENT_TAKEN,
            "tool_or_device": str(_("Typed into ZorgVeilig")),
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


SEARCH_LIMIT = 100  # items shown at once on the bundle page; the search narrows them down
_INCIDENT_NUMBER = re.compile(r"^\s*I-?0*(\d{1,12})\s*$", re.IGNORECASE)
_HASH_START = re.compile(r"^[0-9a-f]{6,64}$")


class BundleForm(ErrorLinks, forms.Form):
    """The bundle page: a search that narrows the items shown (it never unticks one), the items, the reason.

    The "search" button posts the form too, so ticked items and the reason survive a new search."""

    SEARCH_FIELDS = ("q", "kind", "collected_from", "collected_to")

    q = forms.CharField(
        label=_("Search"),
        max_length=200,
        required=False,
        help_text=_(
            "A file name, a word of the notes, the collector, the first characters of a SHA-256, or an "
            "incident number (I-000123)."
        ),
    )
    kind = forms.ChoiceField(
        label=_("Kind of evidence"), choices=[("", _("Every kind")), *Kind.choices], required=False
    )
    collected_from = forms.DateField(
        label=_("Collected from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    collected_to = forms.DateField(
        label=_("Collected until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
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
        self.visible = items

    def search_values(self) -> dict[str, Any]:
        """The search as given (the bound data, else the initial values), each checked on its own: a wrong
        value is left out of the search and reported by the form's errors."""
        found: dict[str, Any] = {}
        for name in self.SEARCH_FIELDS:
            field = self.fields[name]
            raw = self[name].value()
            try:
                found[name] = field.clean(raw)
            except forms.ValidationError:
                found[name] = None
        return found

    def matching(self) -> Any:
        """The visible items the search matches, newest first."""
        values = self.search_values()
        items = self.visible
        if values["kind"]:
            items = items.filter(kind=values["kind"])
        if values["collected_from"]:
            items = items.filter(collected_at__date__gte=values["collected_from"])
        if values["collected_to"]:
            items = items.filter(collected_at__date__lte=values["collected_to"])
        text = (values["q"] or "").strip()
        if text:
            condition = (
                models.Q(original_filename__icontains=text)
                | models.Q(notes__icontains=text)
                | models.Q(collected_by__icontains=text)
                | models.Q(original_url__icontains=text)
            )
            if _HASH_START.match(text.lower()):
                condition |= models.Q(sha256__startswith=text.lower())
            number = _INCIDENT_NUMBER.match(text)
            if number:
                incident_type = ContentType.objects.get_by_natural_key("registry", "incident")
                condition |= models.Q(target_type=incident_type, target_id=str(int(number.group(1))))
            items = items.filter(condition)
        return items.order_by("-collected_at", "-pk")

    def chosen_ids(self) -> list[int]:
        raw = self["items"].value() or []
        return [int(value) for value in raw if str(value).isdigit()]

    def show(self) -> tuple[int, int]:
        """Limit the choices on the page to the ticked items and the first SEARCH_LIMIT matches; returns
        (matches, shown of them). Call after validation: the submitted items are checked against every
        visible item, not only those shown."""
        matching = self.matching()
        total = matching.count()
        first = list(matching.values_list("pk", flat=True)[:SEARCH_LIMIT])
        chosen = [pk for pk in self.chosen_ids() if pk not in first]
        field: Any = self.fields["items"]
        shown = self.visible.filter(pk__in=[*chosen, *first]).select_related("organisation")
        field.queryset = shown.order_by("-collected_at", "-pk")
        return total, len(first)
