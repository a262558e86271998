"""The form of a new report: a title, the kind, the language, and the selection of the dashboard's filter
form (insights.forms.SelectionForm: period, countries, sources, view and certainty, validated by
insights.filters.from_query with the same messages as everywhere else)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from insights import reports
from insights.filters import DEDUPLICATED
from insights.forms import SelectionForm
from insights.models import PolicyReport


class ReportForm(SelectionForm):
    def __init__(self, data: Mapping[str, Any] | None, *, options: Mapping[str, Any]) -> None:
        super().__init__(data, options=options)
        language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
        selection_fields = dict(self.fields)
        self.fields = {
            "title": forms.CharField(
                label=_("Title"),
                max_length=200,
                help_text=_("As it will stand above the report, e.g. “Attacks on health care in 2024”."),
            ),
            "kind": forms.ChoiceField(
                label=_("Kind of report"),
                choices=[
                    (
                        PolicyReport.Kind.PERIODIC,
                        _("Periodic report: the period, countries and sources chosen"),
                    ),
                    (
                        PolicyReport.Kind.COUNTRY_BRIEF,
                        _("Country brief: one country, with its areas and a map"),
                    ),
                ],
                initial=PolicyReport.Kind.PERIODIC,
                widget=forms.RadioSelect,
            ),
            "language": forms.ChoiceField(
                label=_("Language of the report"),
                choices=list(settings.LANGUAGES),
                initial=language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE,
            ),
            **selection_fields,
        }
        if "view" in self.fields:
            self.fields["view"].initial = DEDUPLICATED
        self.fields["country"].help_text = _(
            "None chosen: every country. A country brief needs exactly one. Hold Ctrl (or ⌘) to choose several."
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind and self.selection is not None:
            for name, problem in reports.check_request(
                kind, self.selection, cleaned.get("language", "")
            ).items():
                if name not in self.errors:
                    self.add_error(name if name in self.fields else None, problem)
        return cleaned
