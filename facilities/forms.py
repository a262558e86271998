"""Forms of the facility pages. They check input; the changes are made by facilities.actions."""

from __future__ import annotations

import datetime
import functools
from typing import Any, cast

import pycountry
from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from facilities.importers import FileFormat
from facilities.models import (
    Damage,
    Facility,
    FacilityStatus,
    FacilityType,
    Notification,
    NotificationParty,
    Party,
)

MAX_IMPORT_MB = 20


class ErrorLinks:
    """The error summary links each problem to its field (as the other staff forms do)."""

    def error_links(self) -> list[dict[str, Any]]:
        form = cast("forms.BaseForm", self)
        return [
            {"anchor": form[name].auto_id, "label": form[name].label, "errors": errors}
            for name, errors in form.errors.items()
            if name != "__all__"
        ]


@functools.cache
def country_choices() -> list[tuple[str, str]]:
    countries = sorted(pycountry.countries, key=lambda country: country.name)
    return [(country.alpha_3, f"{country.name} ({country.alpha_3})") for country in countries]


class OrganisationField(forms.ModelChoiceField):
    """One of the user's organisations; with only one, it is taken when nothing was chosen."""

    def __init__(self, organisations: list[Organisation], label: Any) -> None:
        self.only = organisations[0] if len(organisations) == 1 else None
        super().__init__(
            label=label,
            queryset=Organisation.objects.filter(pk__in=[organisation.pk for organisation in organisations]),
            initial=self.only.pk if self.only else None,
            required=self.only is None,
            empty_label=None if self.only else _("Choose an organisation"),
            error_messages={
                "required": _("Choose the organisation."),
                "invalid_choice": _("Choose one of your organisations."),
            },
        )

    def clean(self, value: Any) -> Any:
        if value in self.empty_values and self.only is not None:
            return self.only
        return super().clean(value)


def _organisation_field(organisations: list[Organisation], label: Any) -> forms.ModelChoiceField:
    return OrganisationField(organisations, label)


class FacilityForm(ErrorLinks, forms.ModelForm):
    class Meta:
        model = Facility
        fields = [
            "name",
            "facility_type",
            "operator",
            "country_iso3",
            "admin1",
            "latitude",
            "longitude",
            "location_public",
            "external_id",
        ]
        labels = {
            "facility_type": _("Type"),
            "country_iso3": _("Country"),
            "admin1": _("Province, governorate or region (optional)"),
            "external_id": _("External identifier (optional)"),
            "operator": _("Operator (optional)"),
        }
        help_texts = {
            "latitude": _("Decimal degrees, WGS 84, from -90 (south) to 90 (north), e.g. 36.2021."),
            "longitude": _("Decimal degrees, WGS 84, from -180 (west) to 180 (east), e.g. 37.1343."),
            "location_public": _(
                "Show this facility on the public map and in the public API. Leave it off when the "
                "location should be shared with the parties only."
            ),
            "external_id": _("The facility's code in another registry (e.g. the Ministry of Health's)."),
        }
        widgets = {
            "latitude": forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
            "longitude": forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        }

    def __init__(self, *args: Any, organisations: list[Organisation] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country_iso3"] = forms.ChoiceField(
            label=_("Country"),
            choices=[("", _("Choose a country")), *country_choices()],
            error_messages={"required": _("Choose the country.")},
        )
        self.fields["latitude"].error_messages.update(
            {"required": _("Enter the latitude."), "invalid": _("Enter the latitude as a decimal number.")}
        )
        self.fields["longitude"].error_messages.update(
            {"required": _("Enter the longitude."), "invalid": _("Enter the longitude as a decimal number.")}
        )
        self.fields["name"].error_messages["required"] = _("Enter the facility's name.")
        self.fields["facility_type"].error_messages["required"] = _("Choose the type of facility.")
        if organisations is not None:
            # A new facility: which organisation registers it, and its status now.
            self.fields["organisation"] = _organisation_field(organisations, _("Registered by"))
            self.fields["status"] = forms.ChoiceField(
                label=_("Status now"), choices=FacilityStatus.choices, initial=FacilityStatus.FUNCTIONAL
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("latitude") == 0 and cleaned.get("longitude") == 0:
            self.add_error(
                "latitude", _("0, 0 lies in the ocean off West Africa: enter the facility's coordinates.")
            )
        return cleaned

    def clean_external_id(self) -> str:
        value: str = self.cleaned_data.get("external_id", "").strip()
        if not value:
            return value
        organisation = self.data.get("organisation") if "organisation" in self.fields else None
        organisation_id = organisation or (self.instance.organisation_id if self.instance.pk else None)
        if organisation_id:
            clash = Facility.objects.filter(organisation_id=organisation_id, external_id=value)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise forms.ValidationError(
                    _("Another facility of this organisation has this identifier."), code="duplicate"
                )
        return value


class StatusForm(ErrorLinks, forms.Form):
    date = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("Enter the date."), "invalid": _("Enter a date as YYYY-MM-DD.")},
    )
    status = forms.ChoiceField(label=_("Status"), choices=FacilityStatus.choices)
    damage = forms.ChoiceField(label=_("Damage"), choices=Damage.choices, initial=Damage.NONE)
    source = forms.CharField(
        label=_("Source (optional)"),
        max_length=300,
        required=False,
        help_text=_("Who reported it, or where it was seen: an incident number, a report, a visit."),
    )
    note = forms.CharField(
        label=_("Note (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_date(self) -> Any:
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."), code="future")
        return date


class ImportForm(ErrorLinks, forms.Form):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none())
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8) or GeoJSON, at most %(limit)s MB; the columns are listed below.")
        % {"limit": MAX_IMPORT_MB},
        error_messages={
            "required": _("Choose the file to import."),
            "empty": _("The file is empty (0 bytes)."),
        },
    )
    file_format = forms.ChoiceField(
        label=_("Format"),
        required=False,
        choices=[("", _("Tell from the file")), (FileFormat.CSV, "CSV"), (FileFormat.GEOJSON, "GeoJSON")],
    )
    dry_run = forms.BooleanField(
        label=_("Only check the file: store nothing"),
        required=False,
        help_text=_("Shows every problem and what an import would change."),
    )

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"] = _organisation_field(organisations, _("Register the facilities for"))

    def clean_file(self) -> Any:
        uploaded = self.cleaned_data.get("file")
        if uploaded is not None and uploaded.size > MAX_IMPORT_MB * 1024 * 1024:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s MB.") % {"limit": MAX_IMPORT_MB}, code="too_large"
            )
        return uploaded


class PartyForm(ErrorLinks, forms.ModelForm):
    class Meta:
        model = Party
        fields = ["name", "kind", "contact", "notes"]
        widgets = {"contact": forms.Textarea(attrs={"rows": 3}), "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].error_messages.update(
            {"required": _("Enter the party's name."), "unique": _("A party with this name already exists.")}
        )


def _datetime_field(label: Any, *, required: bool) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        error_messages={
            "required": _("Enter the date and time."),
            "invalid": _("Enter a date and time as YYYY-MM-DD HH:MM."),
        },
    )


def _not_future(value: Any) -> Any:
    if value is not None and value > timezone.now() + datetime.timedelta(minutes=5):
        raise forms.ValidationError(_("This cannot be in the future."), code="future")
    return value


class FacilityChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        facility = cast("Facility", obj)
        return f"{facility.number} {facility.name} ({facility.country_iso3}, {facility.get_facility_type_display()})"


class NotificationForm(ErrorLinks, forms.Form):
    facilities = FacilityChoiceField(
        label=_("Facilities to notify"),
        queryset=Facility.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one facility.")},
    )
    parties = forms.ModelMultipleChoiceField(
        label=_("Parties to notify"),
        queryset=Party.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one party; add parties on the parties page.")},
    )
    language = forms.ChoiceField(label=_("Language of the letter"), choices=settings.LANGUAGES)
    sent_at = _datetime_field(_("Sent at (leave empty when you send it later)"), required=False)
    method = forms.ChoiceField(
        label=_("Sent by"), choices=[("", "\u2013"), *Notification.Method.choices], required=False
    )
    notes = forms.CharField(
        label=_("Notes (optional, not in the package)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, organisations: list[Organisation], facilities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"] = _organisation_field(organisations, _("Sent by organisation"))
        cast("forms.ModelMultipleChoiceField", self.fields["facilities"]).queryset = facilities
        self.order_fields(["organisation", "facilities", "parties", "language", "sent_at", "method", "notes"])

    def clean_sent_at(self) -> Any:
        return _not_future(self.cleaned_data.get("sent_at"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("sent_at") and not cleaned.get("method"):
            self.add_error("method", _("Say how it was sent."))
        return cleaned


class SentForm(ErrorLinks, forms.Form):
    sent_at = _datetime_field(_("Sent at"), required=True)
    method = forms.ChoiceField(
        label=_("Sent by"),
        choices=Notification.Method.choices,
        error_messages={"required": _("Say how it was sent.")},
    )

    def clean_sent_at(self) -> Any:
        return _not_future(self.cleaned_data.get("sent_at"))


class RecipientField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(cast("NotificationParty", obj).party.name)


class AcknowledgeForm(ErrorLinks, forms.Form):
    recipient = RecipientField(
        label=_("Party"),
        queryset=NotificationParty.objects.none(),
        error_messages={"required": _("Choose the party."), "invalid_choice": _("Choose the party.")},
    )
    acknowledged_at = _datetime_field(_("Acknowledged at"), required=True)
    acknowledged_by = forms.CharField(
        label=_("Acknowledged by"),
        max_length=200,
        help_text=_("The person or office of the party that acknowledged receipt."),
        error_messages={"required": _("Enter who acknowledged it.")},
    )
    note = forms.CharField(
        label=_("Note (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, notification: Notification, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.ModelChoiceField", self.fields["recipient"])
        field.queryset = notification.recipients.select_related("party")

    def clean_acknowledged_at(self) -> Any:
        return _not_future(self.cleaned_data.get("acknowledged_at"))


class FacilityFilterForm(forms.Form):
    q = forms.CharField(label=_("Name, operator or area"), required=False, max_length=100)
    country = forms.ChoiceField(label=_("Country"), required=False)
    facility_type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("Any type")), *FacilityType.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *FacilityStatus.choices]
    )
    notified = forms.BooleanField(label=_("Only facilities attacked after a notification"), required=False)

    def __init__(self, *args: Any, countries: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = dict(country_choices())
        cast("forms.ChoiceField", self.fields["country"]).choices = [
            ("", _("Any country")),
            *sorted(((code, names.get(code, code)) for code in countries), key=lambda choice: choice[1]),
        ]

    def filter(self, facilities: Any) -> Any:
        if not self.is_bound or not self.is_valid():
            return facilities
        data = self.cleaned_data
        if data["q"]:
            from django.db.models import Q

            text = data["q"].strip()
            facilities = facilities.filter(
                Q(name__icontains=text) | Q(operator__icontains=text) | Q(admin1__icontains=text)
            )
        if data["country"]:
            facilities = facilities.filter(country_iso3=data["country"])
        if data["facility_type"]:
            facilities = facilities.filter(facility_type=data["facility_type"])
        if data["status"]:
            facilities = facilities.filter(status=data["status"])
        if data["notified"]:
            facilities = facilities.filter(incident_links__notified_before_attack=True).distinct()
        return facilities
