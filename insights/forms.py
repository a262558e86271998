"""The filter forms of the dashboard, the source comparison and the vintage comparison.

The forms draw the fields; the validation is insights.filters.from_query, the same the map, the exports,
the reports and the API use, so a parameter is accepted or refused with the same message everywhere. The
fields themselves accept any value: an unknown code is refused by `from_query` with a message that names the
parameter and the value, not with a generic "select a valid choice".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import get_language, gettext_lazy, ngettext, override
from django.utils.translation import gettext as _

from insights import filters, labels
from insights.filters import DEDUPLICATED, Selection, SelectionError


class _AnyChoice(forms.ChoiceField):
    def valid_value(self, value: Any) -> bool:
        return True


class _AnyChoices(forms.MultipleChoiceField):
    def valid_value(self, value: Any) -> bool:
        return True


@lru_cache(maxsize=16)
def country_choices(codes: tuple[str, ...], language: str) -> list[tuple[str, str]]:
    """The countries by name in the page's language (made once per language and list: a page asks for them
    on every request, and there are about two hundred)."""
    with override(language):
        return sorted(((code, labels.country_label(code)) for code in codes), key=lambda choice: choice[1])


def _ordered_sources(sources: Sequence[str]) -> list[str]:
    return sorted(sources, key=filters._source_rank)


class SelectionForm(forms.Form):
    """Period (from/to), countries, sources, view (de-duplicated or per source) and certainty.

    `options` is what the analytics database holds (queries.available()): the choices offered. After
    `is_valid()`, `selection` is the Selection; the errors are keyed by the query parameter's name."""

    show_view = True

    def __init__(self, data: Mapping[str, Any] | None, *, options: Mapping[str, Any]) -> None:
        self.options = options
        self.selection: Selection | None = None
        super().__init__(data, auto_id="filter-%s")
        self.fields["from"] = forms.CharField(
            label=gettext_lazy("From"),
            required=False,
            max_length=40,
            help_text=gettext_lazy("A year (2022) or a date (2022-03-31)."),
            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 10}),
        )
        self.fields["to"] = forms.CharField(
            label=gettext_lazy("To"),
            required=False,
            max_length=40,
            help_text=gettext_lazy("A year (2024) or a date (2024-12-31)."),
            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 10}),
        )
        self.fields["country"] = _AnyChoices(
            label=gettext_lazy("Countries"),
            required=False,
            choices=country_choices(tuple(options.get("countries", [])), get_language() or ""),
            help_text=gettext_lazy("None chosen: every country. Hold Ctrl (or ⌘) to choose several."),
            widget=forms.SelectMultiple(attrs={"size": 6}),
        )
        self.fields["source"] = _AnyChoices(
            label=gettext_lazy("Sources"),
            required=False,
            choices=[
                (slug, labels.source_label(slug)) for slug in _ordered_sources(options.get("sources", []))
            ],
            help_text=gettext_lazy("None chosen: every source."),
            widget=forms.CheckboxSelectMultiple,
        )
        if self.show_view:
            self.fields["view"] = _AnyChoice(
                label=gettext_lazy("What to count"),
                required=False,
                choices=[(view, labels.view_label(view)) for view in filters.VIEWS],
                help_text=gettext_lazy(
                    "De-duplicated: an incident reported by several sources counts once. Per source: "
                    "every source's own records."
                ),
                widget=forms.RadioSelect,
            )
        self.fields["certainty"] = _AnyChoices(
            label=gettext_lazy("Certainty"),
            required=False,
            choices=[(code, labels.certainty_label(code)) for code in options.get("certainty", [])],
            help_text=gettext_lazy("None chosen: every level."),
            widget=forms.CheckboxSelectMultiple,
        )
        if self.is_bound and not self.data.get("view"):
            # The default view is checked in the form, also before the visitor has chosen one.
            self.data = _with(self.data, "view", DEDUPLICATED)

    def known_sources(self) -> tuple[str, ...]:
        return tuple(_ordered_sources(self.options.get("sources", []))) or filters.SOURCE_ORDER

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            # Every page with this form is public: rumours are neither shown nor counted.
            self.selection = filters.from_query(self.data, known_sources=self.known_sources(), public=True)
        except SelectionError as error:
            for name, problem in error.problems.items():
                self.add_error(name if name in self.fields else None, problem)
        return cleaned

    def problems(self) -> list[dict[str, str]]:
        return form_problems(self)


class SourceComparisonForm(SelectionForm):
    """The selection without a view (the comparison shows both), and the base year of the index."""

    show_view = False

    def __init__(self, data: Mapping[str, Any] | None, *, options: Mapping[str, Any]) -> None:
        super().__init__(data, options=options)
        years = options.get("years", [])
        self.fields["base"] = _AnyChoice(
            label=gettext_lazy("Base year of the index"),
            required=False,
            choices=[("", _("The first year every line has"))] + [(str(year), str(year)) for year in years],
            help_text=gettext_lazy("The indexed chart puts every line at 100 in this year."),
        )
        self.base_year: int | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        text = str(self.data.get("base") or "").strip()
        if text:
            years = [int(year) for year in self.options.get("years", [])]
            if not text.isdigit() or int(text) not in years:
                span = f"{years[0]}\u2013{years[-1]}" if years else _("none")
                self.add_error(
                    "base",
                    _("%(value)r is not a year with figures; the years are %(years)s")
                    % {"value": text[:20], "years": span},
                )
            else:
                self.base_year = int(text)
        return cleaned


class VintageForm(forms.Form):
    """Which product's vintages to compare: a source, and one of its products (the one with the most
    vintages when none is named). The product field is offered only when the source has several."""

    def __init__(self, data: Mapping[str, Any] | None, *, series: Sequence[Mapping[str, Any]]) -> None:
        super().__init__(data, auto_id="vintage-%s")
        self.series = sorted(series, key=lambda row: (filters._source_rank(row["source"]), row["product"]))
        self.chosen: Mapping[str, Any] | None = None
        sources = _ordered_sources(sorted({row["source"] for row in self.series}))
        self.fields["source"] = _AnyChoice(
            label=gettext_lazy("Source"),
            required=False,
            choices=[(slug, labels.source_label(slug)) for slug in sources],
        )
        asked = str((data or {}).get("source") or "").strip()
        source = asked if asked in sources else (self._best(self.series) or {}).get("source")
        products = [row for row in self.series if row["source"] == source]
        self.several_products = len(products) > 1 or bool((data or {}).get("product"))
        self.fields["product"] = _AnyChoice(
            label=gettext_lazy("Product"),
            required=False,
            choices=[("", _("The one with the most vintages"))]
            + [
                (
                    row["product"],
                    ngettext(
                        "%(product)s (%(count)s vintage)", "%(product)s (%(count)s vintages)", row["vintages"]
                    )
                    % {"product": row["product"], "count": row["vintages"]},
                )
                for row in products
            ],
            help_text=gettext_lazy("Vintages are compared within one product: one series of files."),
        )
        if self.is_bound and not asked and source:
            self.data = _with(self.data, "source", source)

    @staticmethod
    def _best(rows: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
        """The product with the most vintages (the newest, then the first source, on a tie)."""
        ordered = sorted(rows, key=lambda row: (filters._source_rank(row["source"]), row["product"]))
        ordered.sort(key=lambda row: (row["vintages"], row["newest"] or ""), reverse=True)
        return ordered[0] if ordered else None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        source = str(self.data.get("source") or "").strip()
        product = str(self.data.get("product") or "").strip()
        sources = _ordered_sources(sorted({row["source"] for row in self.series}))
        if source and source not in sources:
            self.add_error(
                "source",
                _("unknown source %(name)r; the sources with vintages are %(known)s")
                % {"name": source[:40], "known": ", ".join(sources) or _("none")},
            )
            return cleaned
        candidates = [row for row in self.series if not source or row["source"] == source]
        if product:
            matching = [row for row in candidates if row["product"] == product]
            if not matching:
                self.add_error(
                    "product",
                    _("%(source)s has no product %(name)r; its products are %(known)s")
                    % {
                        "source": source,
                        "name": product[:80],
                        "known": ", ".join(row["product"] for row in candidates),
                    },
                )
                return cleaned
            candidates = matching
        self.chosen = self._best(candidates)
        return cleaned

    def problems(self) -> list[dict[str, str]]:
        return form_problems(self)


def form_problems(form: forms.Form) -> list[dict[str, str]]:
    """Each error with the query parameter it is about, that field's label and its element's id, for the
    summary above the form."""
    found = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        for error in errors:
            found.append(
                {
                    "parameter": "" if name == NON_FIELD_ERRORS else name,
                    "label": str(field.label) if field else "",
                    "message": str(error),
                    "id": str(form.auto_id) % name if field else "",
                }
            )
    return found


def _with(data: Any, name: str, value: str) -> Any:
    if hasattr(data, "copy") and hasattr(data, "setlist"):
        copied = data.copy()
        copied.setlist(name, [value])
        return copied
    return {**dict(data), name: value}
