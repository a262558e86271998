"""Forms of the review queue, the reviewer's decision and the counts page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from linkage.models import Decision
from registry.forms import choice_field, iso3_codes
from sources.crosswalks import crosswalks

# Short names of the attack-type families of sources/crosswalks.yaml (which describes each in full).
FAMILY_LABELS: dict[str, Promise] = {
    "heavy_weapons": _("Heavy weapons"),
    "individual_weapons": _("Individual weapons"),
    "physical_assault": _("Physical assault"),
    "threat": _("Threats and intimidation"),
    "obstruction": _("Obstruction of care"),
    "deprivation_of_liberty": _("Abduction, arrest or detention"),
    "looting": _("Looting and theft"),
    "armed_entry": _("Armed entry or occupation"),
    "arson": _("Arson"),
    "chemical": _("Chemical release"),
    "other": _("Other"),
    "unknown": _("Unknown"),
}


def family_choices() -> list[tuple[str, Any]]:
    return [(code, FAMILY_LABELS.get(code, code)) for code in crosswalks().attack_families]


class DecisionForm(forms.Form):
    verdict = forms.ChoiceField(label=_("Verdict"), choices=Decision.Verdict.choices)
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why you decided so, for the next reviewer. The note is not written to the audit log."),
    )


class ReviewFilterForm(forms.Form):
    pair = forms.ChoiceField(label=_("Sources"), required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)

    def __init__(
        self,
        *args: Any,
        pairs: list[tuple[str, str]] | None = None,
        countries: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "pair").choices = [
            ("", _("every pair of sources")),
            *((f"{a}|{b}", f"{a} \u2013 {b}") for a, b in pairs or []),
        ]
        choice_field(self, "country").choices = [("", _("every country")), *((c, c) for c in countries or [])]

    def chosen(self) -> tuple[tuple[str, str] | None, str]:
        """(source pair or None, country or "") from valid data; nothing chosen otherwise."""
        if not self.is_bound or not self.is_valid():
            return None, ""
        pair = self.cleaned_data["pair"]
        first, _sep, second = pair.partition("|")
        return ((first, second) if pair else None), self.cleaned_data["country"]


class CountsFilterForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1900, max_value=2200)
    countries = forms.CharField(
        label=_("Countries"),
        required=False,
        max_length=400,
        help_text=_("ISO3 codes separated by spaces or commas, like SYR UKR. Empty: every country."),
    )
    family = forms.ChoiceField(label=_("Type of attack"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "family").choices = [("", _("every type")), *family_choices()]

    def clean_countries(self) -> list[str]:
        return iso3_codes(self.cleaned_data["countries"])

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for linkage.counts (no filter when the form is not valid)."""
        if not self.is_bound or not self.is_valid():
            return {"year": None, "countries": [], "families": []}
        data = self.cleaned_data
        return {
            "year": data["year"],
            "countries": data["countries"],
            "families": [data["family"]] if data["family"] else [],
        }
