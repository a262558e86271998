"""The field-report form: it reads what was typed (types, ranges, known codes) and nothing more.

Whether a report is complete enough to submit is decided by registry.field_reports.problems, for the pages
and the API alike; the views add its findings to this form by field. The API validates its JSON with this
form too, so the messages are the same everywhere.
"""

from __future__ import annotations

import gettext
import re
from functools import cache
from typing import Any

import pycountry
from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from registry.field_report_models import (
    CERTAINTY_CRITERIA,
    COUNT_FIELDS,
    COUNT_GROUPS,
    AttackType,
    Certainty,
    DatePrecision,
    FieldReport,
    GeoPrecision,
    PerpetratorCategory,
    ResourceAffected,
    Weapon,
)
from registry.field_reports import EDITABLE_FIELDS
from sources.crosswalks import crosswalks

MAX_COUNT = 100_000
SAVE = "save"
SUBMIT = "submit"


@cache
def _iso3166(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True)


def country_name(iso3: str) -> str:
    """The country's name in the active language (pycountry's ISO 3166 translations)."""
    if not iso3:
        return ""
    country = pycountry.countries.get(alpha_3=iso3)
    if country is None:
        return {"XKX": str(_("Kosovo"))}.get(iso3, iso3)
    name = str(getattr(country, "common_name", None) or country.name)
    return _iso3166((get_language() or "en").split("-")[0]).gettext(name)


def country_choices() -> list[tuple[str, Any]]:
    codes = [country.alpha_3 for country in pycountry.countries] + list(crosswalks().user_assigned_codes)
    named = sorted(((code, country_name(code)) for code in set(codes)), key=lambda pair: pair[1].casefold())
    return [("", _("Choose a country")), *named]


def country_numbers() -> dict[str, str]:
    """ISO 3166-1 numeric code of every alpha-3 code: the world outlines (vendor/world) are keyed by it."""
    return {country.alpha_3: country.numeric for country in pycountry.countries}


FACILITY_NUMBER = re.compile(r"^\s*(?:F-?)?0*(\d{1,9})\s*$", re.IGNORECASE)


class FacilityNumberField(forms.CharField):
    """A facility's number as the registry shows it (F-000012), or just 12; the value is the number."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"maxlength": 20, "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        found = FACILITY_NUMBER.match(text)
        if found is None or int(found.group(1)) == 0:
            raise forms.ValidationError(_("Give the facility's number, like F-000012."), code="invalid")
        return int(found.group(1))

    def prepare_value(self, value: Any) -> Any:
        return f"F-{value:06d}" if isinstance(value, int) else value


def _radio(label: Any, choices: Any, **kwargs: Any) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=choices, widget=forms.RadioSelect, required=False, **kwargs)


def _boxes(label: Any, choices: Any, **kwargs: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label, choices=choices, widget=forms.CheckboxSelectMultiple, required=False, **kwargs
    )


def _count_field(label: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=MAX_COUNT,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "class": "input-count"}),
    )


def _coordinate(label: Any, limit: int, help_text: Any) -> forms.FloatField:
    return forms.FloatField(
        label=label,
        required=False,
        min_value=-limit,
        max_value=limit,
        help_text=help_text,
        widget=forms.NumberInput(
            attrs={"step": "any", "min": -limit, "max": limit, "class": "input-coordinate"}
        ),
    )


class FieldReportForm(forms.Form):
    organisation = forms.ChoiceField(label=_("For which organisation"), required=True)

    event_date = forms.DateField(
        label=_("Date of the attack"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("If you know only the week or the month, give a day in it and say so below."),
    )
    date_precision = _radio(_("How precise is the date?"), DatePrecision.choices)
    event_time = forms.TimeField(
        label=_("Time (optional)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    country_iso3 = forms.ChoiceField(label=_("Country"), required=False)
    admin1 = forms.CharField(label=_("Province, state or region (optional)"), required=False, max_length=200)
    place_name = forms.CharField(
        label=_("Town, village or site (optional)"),
        required=False,
        max_length=200,
        help_text=_("For example the name of the hospital and the town it is in."),
    )
    latitude = _coordinate(_("Latitude"), 90, _("Decimal degrees, north positive (for example 50.4501)."))
    longitude = _coordinate(_("Longitude"), 180, _("Decimal degrees, east positive (for example 30.5234)."))
    geo_precision = _radio(_("How precise is the place?"), GeoPrecision.choices)
    facility_id = FacilityNumberField(
        label=_("Number of the registered facility (optional)"),
        required=False,
        help_text=_("When the attack hit a facility in the facility registry: its number, like F-000012."),
    )
    attack_types = _boxes(
        _("Types of attack"), AttackType.choices, help_text=_("Choose every type that applies.")
    )
    resources = _boxes(
        _("Health care affected"), ResourceAffected.choices, help_text=_("Choose every kind that applies.")
    )
    certainty = _radio(_("How certain is it that the attack happened?"), Certainty.choices)
    perpetrator_category = _radio(_("Who did it?"), PerpetratorCategory.choices)
    perpetrator_name = forms.CharField(
        label=_("Name of the perpetrator, as you were told (optional)"), required=False, max_length=300
    )
    weapons = _boxes(_("Weapons used"), Weapon.choices)
    description = forms.CharField(
        label=_("What happened"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What you saw or were told: what happened, to whom, and what it meant for care."),
    )
    information_sources = forms.CharField(
        label=_("Sources of information (restricted, optional)"),
        required=False,
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Who told you, and how to reach them again. Only members of your organisation see this: it is "
            "never published and not part of the record that is linked with other sources."
        ),
    )

    def __init__(
        self,
        *args: Any,
        organisations: list[Organisation] | None = None,
        **kwargs: Any,
    ) -> None:
        # Labels end in a question mark or stand alone; no colon after them.
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.organisations = organisations or []
        if len(self.organisations) > 1:
            self.choice("organisation").choices = [
                ("", _("Choose an organisation")),
                *((organisation.slug, organisation.name) for organisation in self.organisations),
            ]
        else:
            # A new report of the one organisation the documenter works for, or an existing report.
            del self.fields["organisation"]
        self.choice("country_iso3").choices = country_choices()
        for name, group_label, counts in COUNT_GROUPS:
            for field_name, label in counts:
                self.fields[field_name] = _count_field(label)
                self.fields[field_name].group = name  # type: ignore[attr-defined]
                self.fields[field_name].group_label = group_label  # type: ignore[attr-defined]
        self.order_fields(["organisation", *EDITABLE_FIELDS])

    def choice(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field

    def chosen_organisation(self) -> Organisation | None:
        """The organisation for a new report (after is_valid): the one chosen, or the only one."""
        if len(self.organisations) == 1:
            return self.organisations[0]
        slug = self.cleaned_data.get("organisation")
        return next((organisation for organisation in self.organisations if organisation.slug == slug), None)

    def values(self) -> dict[str, Any]:
        """The cleaned values, as registry.field_reports takes them."""
        data = self.cleaned_data
        values = {name: data.get(name) for name in EDITABLE_FIELDS}
        for name in (
            "country_iso3",
            "admin1",
            "place_name",
            "geo_precision",
            "certainty",
            "perpetrator_category",
            "perpetrator_name",
            "description",
            "information_sources",
        ):
            values[name] = (values[name] or "").strip()
        values["date_precision"] = values["date_precision"] or DatePrecision.DAY
        for name in ("attack_types", "resources", "weapons"):
            values[name] = list(values[name] or [])
        return values

    # For the template ----------------------------------------------------------------------------------

    def count_groups(self) -> list[dict[str, Any]]:
        return [
            {"name": name, "label": label, "fields": [self[field_name] for field_name, _label in counts]}
            for name, label, counts in COUNT_GROUPS
        ]

    def certainty_options(self) -> list[dict[str, Any]]:
        """Each level's radio button with its SSA criteria."""
        return [
            {"radio": radio, "criteria": CERTAINTY_CRITERIA[Certainty(radio.data["value"])]}
            for radio in self["certainty"]
        ]

    def error_links(self) -> list[dict[str, Any]]:
        """The error summary links each problem to its field; a group of choices at its first box."""
        links = []
        for name, errors in self.errors.items():
            if name == "__all__" or name not in self.fields:
                continue
            field = self[name]
            anchor = field.auto_id
            if isinstance(field.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
                anchor = f"{anchor}_0"
            label = field.label
            group_label = getattr(field.field, "group_label", None)
            if group_label is not None:
                label = f"{group_label}: {label}"
            links.append({"anchor": anchor, "label": label, "errors": errors})
        return links


def initial_from(report: FieldReport) -> dict[str, Any]:
    """The form's values for an existing report."""
    return {name: getattr(report, name) for name in EDITABLE_FIELDS}


def data_from(report: FieldReport) -> dict[str, Any]:
    """The report's values as form data (to check a saved draft with the form's own rules)."""
    data: dict[str, Any] = {}
    for name, value in initial_from(report).items():
        if value is None:
            data[name] = ""
        elif isinstance(value, list):
            data[name] = list(value)
        elif hasattr(value, "isoformat"):
            data[name] = value.isoformat()
        else:
            data[name] = str(value) if not isinstance(value, str) else value
    return data


assert set(COUNT_FIELDS) <= set(EDITABLE_FIELDS)
