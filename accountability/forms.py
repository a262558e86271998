"""Forms of the accountability pages: an investigation with its sources, and the list's filters.

The rules are accountability.actions.check's; the forms put each message next to the field it names.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accountability import actions
from accountability.models import Investigation, InvestigationSource
from accounts.models import Organisation
from registry.forms import incident_pk, iso3_codes
from registry.models import Incident


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class ErrorLinks:
    """The error summary links each problem to its field."""

    def error_links(self) -> list[dict[str, Any]]:
        form: Any = self
        return [
            {"anchor": form[name].auto_id, "label": form[name].label, "errors": errors}
            for name, errors in form.errors.items()
            if name != "__all__" and name in form.fields
        ]


class InvestigationForm(ErrorLinks, forms.ModelForm):
    incident_number = forms.CharField(
        label=_("Incident number"),
        max_length=20,
        help_text=_("For example I-000042."),
    )
    organisation = forms.ModelChoiceField(
        label=_("Recorded for"),
        queryset=Organisation.objects.none(),
        empty_label=None,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Investigation
        fields = actions.FIELDS
        widgets = {
            "opened": forms.RadioSelect,
            "opened_at": DateInput(),
            "outcome_at": DateInput(),
        }
        help_texts = {
            "body": _("Who opened it, or, when none was opened, who was expected to."),
            "status": _("How far the investigation has got."),
        }

    def __init__(
        self,
        *args: Any,
        organisations: list[Organisation] | None = None,
        incident: Incident | None = None,
        existing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.incident: Incident | None = incident
        body = self.fields["body"]
        assert isinstance(body, forms.ChoiceField)
        body.choices = [("", _("— choose —")), *Investigation.Body.choices]
        if existing:
            # The incident and the organisation of an investigation do not change.
            del self.fields["incident_number"]
            del self.fields["organisation"]
        else:
            del self.fields["version"]
            choice = self.fields["organisation"]
            assert isinstance(choice, forms.ModelChoiceField)
            choice.queryset = Organisation.objects.filter(
                pk__in=[organisation.pk for organisation in organisations or []]
            ).order_by("name")
            if organisations and len(organisations) == 1:
                # Nothing to choose: the one organisation, also when the field is not sent.
                choice.widget = forms.HiddenInput()
                choice.required = False
                choice.initial = organisations[0].pk
                self.only_organisation: Organisation | None = organisations[0]
            if incident is not None and not self.is_bound:
                self.initial["incident_number"] = incident.number

    def clean_organisation(self) -> Organisation | None:
        chosen = self.cleaned_data.get("organisation")
        return chosen or getattr(self, "only_organisation", None)

    def clean_incident_number(self) -> Incident:
        pk = incident_pk(self.cleaned_data["incident_number"])
        found = Incident.objects.select_related("merged_into").filter(pk=pk).first() if pk else None
        if found is None:
            raise forms.ValidationError(
                _("There is no incident with this number; give one like I-000042."), code="incident"
            )
        self.incident = found
        return found

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, message in actions.check(cleaned).items():
            if name in self.fields and name not in self.errors:
                self.add_error(name, message)
        return cleaned

    def fields_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in actions.FIELDS}


class SourceForm(forms.ModelForm):
    class Meta:
        model = InvestigationSource
        fields = actions.SOURCE_FIELDS
        widgets = {"url": forms.URLInput(attrs={"inputmode": "url", "placeholder": "https://"})}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("note") and not cleaned.get("url") and not cleaned.get("citation"):
            self.add_error("url", _("Give a web address or a citation for this note."))
        return cleaned


class BaseSourceFormSet(forms.BaseFormSet):
    def sources(self) -> list[dict[str, str]]:
        """The filled-in sources, in order (empty rows and those marked for removal left out)."""
        found = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", {})
            if not data or data.get("DELETE"):
                continue
            if any((data.get(name) or "").strip() for name in actions.SOURCE_FIELDS):
                found.append({name: data.get(name) or "" for name in actions.SOURCE_FIELDS})
        return found

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        if len(self.sources()) > actions.MAX_SOURCES:
            raise forms.ValidationError(
                _("Give at most %(count)d sources.") % {"count": actions.MAX_SOURCES}, code="too_many"
            )


SourceFormSet = forms.formset_factory(
    SourceForm, formset=BaseSourceFormSet, extra=2, can_delete=True, max_num=actions.MAX_SOURCES
)


def source_formset(data: Any = None, investigation: Investigation | None = None) -> Any:
    initial = (
        [
            {name: getattr(source, name) for name in actions.SOURCE_FIELDS}
            for source in investigation.sources.all()
        ]
        if investigation is not None
        else []
    )
    return SourceFormSet(data, initial=initial, prefix="sources")


class FilterForm(forms.Form):
    incident = forms.CharField(label=_("Incident number"), required=False, max_length=20)
    country = forms.CharField(label=_("Country (ISO3 code)"), required=False, max_length=3)
    opened = forms.ChoiceField(label=_("Investigation opened"), required=False)
    body = forms.ChoiceField(label=_("Opened by"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        every = ("", _("any"))
        for name, choices in (
            ("opened", Investigation.Opened.choices),
            ("body", Investigation.Body.choices),
            ("status", Investigation.Status.choices),
            ("outcome", Investigation.Outcome.choices),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [every, *choices]

    def clean_incident(self) -> int | None:
        text = self.cleaned_data["incident"]
        if not text.strip():
            return None
        pk = incident_pk(text)
        if pk is None:
            raise forms.ValidationError(_("Give an incident number like I-000042."), code="number")
        return pk

    def clean_country(self) -> str:
        text = self.cleaned_data["country"]
        return iso3_codes(text)[0] if text.strip() else ""

    def filter(self, investigations: QuerySet[Investigation]) -> QuerySet[Investigation]:
        if not self.is_bound:
            return investigations
        if not self.is_valid():
            return investigations.none()
        data = self.cleaned_data
        if data["incident"] is not None:
            investigations = investigations.filter(
                Q(incident_id=data["incident"]) | Q(incident__merged_into_id=data["incident"])
            )
        if data["country"]:
            investigations = investigations.filter(incident__country_iso3=data["country"])
        for name in ("opened", "body", "status", "outcome"):
            if data[name]:
                investigations = investigations.filter(**{name: data[name]})
        return investigations
