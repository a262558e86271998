"""Forms of the incident pages: the list's filters, and splitting and merging an incident."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from registry.models import Incident, IncidentLink
from sources.crosswalks import crosswalks, iso3_exists

NUMBER = re.compile(r"^\s*(?:I-?)?0*(\d{1,12})\s*$", re.IGNORECASE)


def incident_pk(text: str) -> int | None:
    """The id in an incident number as people write it: I-000042, i-42, 42."""
    found = NUMBER.match(text or "")
    return int(found.group(1)) if found else None


def iso3_codes(text: str) -> list[str]:
    """ISO 3166-1 alpha-3 codes separated by spaces or commas, checked; ValidationError names a bad one."""
    codes = [code.upper() for code in re.split(r"[\s,;]+", text or "") if code]
    user_assigned = crosswalks().user_assigned_codes
    for code in codes:
        if not (len(code) == 3 and code.isalpha() and iso3_exists(code, user_assigned)):
            raise forms.ValidationError(
                _("%(code)s is not an ISO 3166-1 alpha-3 country code (like SYR or UKR)."),
                params={"code": code},
                code="country",
            )
    return list(dict.fromkeys(codes))


def choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


class IncidentFilterForm(forms.Form):
    number = forms.CharField(
        label=_("Incident number"), required=False, max_length=20, help_text=_("For example I-000042.")
    )
    country = forms.CharField(label=_("Country (ISO3 code)"), required=False, max_length=3)
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1900, max_value=2200)
    source = forms.ChoiceField(label=_("Source"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("active")), ("retired", _("retired")), ("all", _("all"))],
    )

    def __init__(self, *args: Any, sources: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "source").choices = [("", _("every source")), *(sources or [])]

    def clean_number(self) -> int | None:
        text = self.cleaned_data["number"]
        if not text:
            return None
        pk = incident_pk(text)
        if pk is None:
            raise forms.ValidationError(_("Give an incident number like I-000042."), code="number")
        return pk

    def clean_country(self) -> str:
        text = self.cleaned_data["country"]
        return iso3_codes(text)[0] if text.strip() else ""

    def filter(self, incidents: QuerySet[Incident]) -> QuerySet[Incident]:
        if not self.is_bound:
            return incidents.filter(status=Incident.Status.ACTIVE)
        if not self.is_valid():
            return incidents.none()
        data = self.cleaned_data
        if data["number"] is not None:
            return incidents.filter(pk=data["number"])
        if data["status"] != "all":
            incidents = incidents.filter(status=data["status"] or Incident.Status.ACTIVE)
        if data["country"]:
            incidents = incidents.filter(country_iso3=data["country"])
        if data["year"] is not None:
            incidents = incidents.filter(event_date__year=data["year"])
        if data["source"]:
            links = IncidentLink.objects.filter(incident=OuterRef("pk"), source=data["source"])
            incidents = incidents.filter(Exists(links))
        return incidents


class SplitForm(forms.Form):
    keys = forms.MultipleChoiceField(
        label=_("Records to split off"), widget=forms.CheckboxSelectMultiple, required=True
    )
    note = forms.CharField(
        label=_("Note (optional)"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "split")
        super().__init__(*args, **kwargs)
        keys = sorted(incident.links.values_list("record_key", flat=True))
        choice_field(self, "keys").choices = [(key, key) for key in keys]
        self.fields["keys"].error_messages["required"] = _("Tick at least one record to split off.")


class MergeForm(forms.Form):
    other = forms.CharField(
        label=_("Number of the other incident"),
        max_length=20,
        help_text=_("Its records move into this incident, and it is retired."),
    )
    note = forms.CharField(
        label=_("Note (optional)"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "merge")
        super().__init__(*args, **kwargs)
        self.incident = incident

    def clean_other(self) -> Incident:
        pk = incident_pk(self.cleaned_data["other"])
        other = Incident.objects.filter(pk=pk).first() if pk is not None else None
        if other is None:
            raise forms.ValidationError(_("There is no incident with this number."), code="unknown")
        if other.pk == self.incident.pk:
            raise forms.ValidationError(_("An incident cannot be merged with itself."), code="itself")
        if other.status != Incident.Status.ACTIVE:
            raise forms.ValidationError(
                _("Incident %(number)s is retired; only active incidents can be merged."),
                params={"number": other.number},
                code="retired",
            )
        return other
