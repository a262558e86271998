from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meldpunt.attachments import max_file_bytes, max_report_bytes, megabytes
from meldpunt.vocabulary import (
    Channel,
    Consequence,
    ContactPreference,
    Frequency,
    InCare,
    Kind,
    Perpetrator,
    Place,
    Profession,
    Province,
    Sector,
    StepTaken,
)

MONTHS = [
    (1, _("January")),
    (2, _("February")),
    (3, _("March")),
    (4, _("April")),
    (5, _("May")),
    (6, _("June")),
    (7, _("July")),
    (8, _("August")),
    (9, _("September")),
    (10, _("October")),
    (11, _("November")),
    (12, _("December")),
]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files (also none); each is checked by meldpunt.attachments, not here."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = [file for file in (data if isinstance(data, list | tuple) else [data]) if file]
        if self.required and not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return files


def _limits_hint() -> str:
    return _("At most %(file)s MB a file and %(report)s MB for all files of the report together.") % {
        "file": megabytes(max_file_bytes()),
        "report": megabytes(max_report_bytes()),
    }


class ErrorLinksMixin:
    """The error summary links each problem to its field; a group of choices is reached at its first box."""

    def error_links(self) -> list[dict[str, Any]]:
        form: Any = self
        links = []
        for name, errors in form.errors.items():
            if name == "__all__":
                continue
            field = form[name]
            anchor = field.auto_id
            if isinstance(field.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
                anchor = f"{anchor}_0"
            links.append({"anchor": anchor, "label": field.label, "errors": errors})
        return links


def _choice(label: Any, choices: Any, *, widget: Any = None, **kwargs: Any) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=choices, widget=widget or forms.RadioSelect, **kwargs)


def _blank(choices: list[tuple[str, Any]], label: Any) -> list[tuple[str, Any]]:
    return [("", label), *choices]


class ReportForm(ErrorLinksMixin, forms.Form):
    """The public report form. Only what is needed for statistics and routing is required."""

    kinds = forms.MultipleChoiceField(
        label=_("What happened?"),
        choices=Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose everything that applies."),
        error_messages={"required": _("Choose at least one kind of incident.")},
    )
    channel = _choice(
        _("How did it reach you?"),
        Channel.choices,
        error_messages={"required": _("Choose how it reached you.")},
    )
    channel_platform = forms.CharField(
        label=_("Which platform, app or site?"),
        required=False,
        max_length=100,
        help_text=_("For social media, review sites and messaging apps, for example Facebook or X."),
    )
    place = _choice(
        _("Where did it happen?"), Place.choices, error_messages={"required": _("Choose a place.")}
    )
    perpetrator = _choice(
        _("Who did it?"), Perpetrator.choices, error_messages={"required": _("Choose who did it.")}
    )
    perpetrator_in_care = _choice(
        _("Is this person in your care, or were they?"),
        InCare.choices,
        required=False,
        initial=InCare.UNKNOWN,
    )
    occurred_day = forms.IntegerField(
        label=_("Day"),
        required=False,
        min_value=1,
        max_value=31,
        help_text=_("Leave empty if you do not remember the day."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "input-short"}),
    )
    occurred_month = forms.TypedChoiceField(
        label=_("Month"),
        choices=_blank(MONTHS, _("Choose a month")),  # type: ignore[arg-type]
        coerce=int,
        error_messages={"required": _("Choose the month it happened in.")},
    )
    occurred_year = forms.IntegerField(
        label=_("Year"),
        min_value=1990,
        error_messages={"required": _("Enter the year it happened in, for example 2025.")},
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "input-short"}),
    )
    frequency = _choice(
        _("How often did it happen?"), Frequency.choices, error_messages={"required": _("Choose how often.")}
    )
    profession = _choice(
        _("Your profession"),
        _blank(Profession.choices, _("Choose your profession")),
        widget=forms.Select,
        error_messages={"required": _("Choose your profession.")},
    )
    sector = _choice(
        _("The sector you work in"),
        _blank(Sector.choices, _("Choose your sector")),
        widget=forms.Select,
        error_messages={"required": _("Choose your sector.")},
    )
    province = _choice(
        _("Province"),
        _blank(Province.choices, _("I prefer not to say")),
        widget=forms.Select,
        required=False,
        help_text=_("Where you work. Leave this empty if it could give away who you are."),
    )
    consequences = forms.MultipleChoiceField(
        label=_("What did it do to you?"),
        choices=Consequence.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Choose everything that applies, or nothing."),
    )
    steps_taken = forms.MultipleChoiceField(
        label=_("What have you done already?"),
        choices=StepTaken.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Choose everything that applies, or nothing."),
    )
    narrative = forms.CharField(
        label=_("What happened, in your own words"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Only the organisation that handles your report can read this. Leave out names if you prefer."
        ),
        error_messages={"required": _("Describe what happened, in a few sentences at least.")},
    )
    attachments = MultipleFileField(
        label=_("Files (optional)"),
        help_text=_(
            "Screenshots, photos, letters, recordings: photos, PDF, text, audio, video and Word, Excel or "
            "OpenDocument files."
        ),
    )
    name = forms.CharField(label=_("Your name"), required=False, max_length=200)
    employer = forms.CharField(label=_("Your organisation or employer"), required=False, max_length=200)
    role = forms.CharField(label=_("Your position"), required=False, max_length=200)
    contact_preference = _choice(
        _("May we contact you?"),
        ContactPreference.choices,
        initial=ContactPreference.RECEIPT_ONLY,
        error_messages={"required": _("Choose how we may contact you.")},
    )
    email = forms.EmailField(
        label=_("Email address"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Phone number"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = f"{self.fields['attachments'].help_text} {_limits_hint()}"

    IDENTITY_FIELDS = ("name", "employer", "role")
    CONTACT_FIELDS = ("email", "phone")

    # What an action-framework plan can fill in: its codes are the ones these fields take.
    PREFILL_FIELDS = (
        "kinds",
        "channel",
        "perpetrator",
        "perpetrator_in_care",
        "profession",
        "sector",
        "frequency",
    )

    @classmethod
    def prefilled(cls, data: Mapping[str, list[str]]) -> ReportForm:
        """An unbound form with the values in `data` (field -> posted values) as its initial values.

        Only the fields of PREFILL_FIELDS are taken, and of those only the values the field offers: anything
        else is left out without a word, because the user checks and completes the form before sending it.
        """
        form = cls()
        for name in cls.PREFILL_FIELDS:
            field = form.fields[name]
            assert isinstance(field, forms.ChoiceField)
            values = [value for value in data.get(name, []) if value and field.valid_value(value)]
            if values:
                form.initial[name] = values if isinstance(field, forms.MultipleChoiceField) else values[0]
        return form

    def identity_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.IDENTITY_FIELDS]

    def contact_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.CONTACT_FIELDS]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        year, month, day = (cleaned.get(f"occurred_{part}") for part in ("year", "month", "day"))
        if year and month:
            try:
                occurred = date(int(year), int(month), int(day or 1))
            except ValueError:
                self.add_error("occurred_day", _("This month does not have that many days."))
            else:
                if occurred > timezone.localdate():
                    self.add_error("occurred_year", _("This date is in the future."))
        preference = cleaned.get("contact_preference")
        if preference == ContactPreference.EMAIL and not cleaned.get("email"):
            self.add_error("email", _("Enter an email address, or choose another way of contact."))
        if preference == ContactPreference.PHONE and not cleaned.get("phone"):
            self.add_error("phone", _("Enter a phone number, or choose another way of contact."))
        return cleaned


class ReceiptLoginForm(ErrorLinksMixin, forms.Form):
    code = forms.CharField(
        label=_("Receipt code"),
        max_length=64,
        help_text=_(
            "Sixteen letters and digits, as on the page you printed or wrote down: XXXX-XXXX-XXXX-XXXX."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        error_messages={"required": _("Enter your receipt code.")},
    )


class ReplyForm(ErrorLinksMixin, forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Write a message first.")},
    )


class AddFilesForm(ErrorLinksMixin, forms.Form):
    attachments = MultipleFileField(
        label=_("Files"),
        required=True,
        error_messages={"required": _("Choose at least one file.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = _limits_hint()


class EraseReportForm(ErrorLinksMixin, forms.Form):
    """The reporter's confirmation that their report is to be deleted for good."""

    confirm = forms.BooleanField(
        label=_("I understand that my report, the messages and the files are deleted for good"),
        help_text=_("This cannot be undone. Nobody can restore your report afterwards, not even us."),
        error_messages={"required": _("Tick the box to confirm that your report may be deleted.")},
    )
