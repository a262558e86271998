"""The forms of the mapping profile editor: the profile, its field mappings (a formset, so mappings are added
and removed without JavaScript), a YAML upload and a sample file for the preview.

The forms only gather text; sources.profiles.check_definition decides what is valid, and its problems are
shown on the form they belong to (a mapping's problems on that mapping).
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sources.crosswalks import crosswalks
from sources.models import Aggregate, Record
from sources.profile_definition import (
    AGGREGATE_FIELDS,
    DATE_FORMATS,
    INCIDENT_FIELDS,
    PERIODS,
    ROW_NUMBER,
    SETTINGS,
    TYPES,
    Problem,
    ProfileDefinition,
    vocabularies,
)

TYPE_LABELS = {
    "date": _("date"),
    "year": _("year (a whole number)"),
    "count": _("count (a whole number of 0 or more)"),
    "number": _("number"),
    "flag": _("yes/no flag"),
    "text": _("text"),
    "country": _("country"),
    "category": _("category (one code)"),
    "labels": _("labels (several codes in one cell)"),
}
KIND_LABELS = {"incidents": _("incidents (one row per incident)"), "aggregates": _("aggregate counts")}
PRECISION_LABELS = {"day": _("day"), "month": _("month"), "year": _("year")}
MAX_ROWS = 100


def lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def field_label(kind: str, name: str) -> str:
    model = Aggregate if kind == "aggregates" else Record
    field = model._meta.get_field(name)
    return f"{getattr(field, 'verbose_name', name)} ({name})"


def field_choices() -> list[tuple[Any, Any]]:
    """The fields a profile fills, grouped by kind (the same name in both kinds is one choice)."""
    incident = [(name, field_label("incidents", name)) for name in INCIDENT_FIELDS]
    aggregate = [
        (name, field_label("aggregates", name)) for name in AGGREGATE_FIELDS if name not in INCIDENT_FIELDS
    ]
    return [
        ("", _("Choose a field")),
        (_("Incidents and aggregates"), incident),
        (_("Aggregates only"), aggregate),
    ]


def crosswalk_choices() -> list[tuple[str, Any]]:
    table = crosswalks()
    names = sorted({name for field in (*INCIDENT_FIELDS, "who_ssa") for name in vocabularies(field, table)})
    return [("", _("None: only the values below")), *((name, name) for name in names)]


class ErrorLinks:
    """The error summary links each problem to its field."""

    def error_links(self) -> list[dict[str, Any]]:
        form = cast("forms.Form", self)
        return [
            {"anchor": form[name].auto_id, "label": form[name].label, "errors": errors}
            for name, errors in form.errors.items()
            if name != "__all__"
        ]


def _text(
    label: Any, *, required: bool = False, rows: int = 0, help_text: Any = "", **attrs: Any
) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": rows, **attrs}) if rows else forms.TextInput(attrs=attrs)
    return forms.CharField(
        label=label, required=required, help_text=help_text, widget=widget, max_length=20_000
    )


class ProfileForm(ErrorLinks, forms.Form):
    slug = forms.RegexField(
        label=_("Code"),
        regex=r"^[a-z0-9][a-z0-9-]{0,79}$",
        help_text=_(
            "Lowercase letters, digits and hyphens. Files read with this profile go to the product with this "
            "code unless you name another."
        ),
        error_messages={
            "invalid": _("Use lowercase letters, digits and hyphens only, e.g. partner-incidents.")
        },
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    name = _text(_("Name"), required=True)
    description = _text(_("Description (optional)"), rows=3)
    source_slug = forms.RegexField(
        label=_("Source code"),
        regex=r"^[a-z0-9][a-z0-9-]{0,39}$",
        help_text=_(
            "An existing source (who-ssa, shcc, insecurity-insight, awsd, acled, inso) or a new one, such as "
            "a partner."
        ),
        error_messages={"invalid": _("Use lowercase letters, digits and hyphens only, e.g. inso.")},
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    source_name = _text(
        _("Source name"), help_text=_("Needed for a new source; an existing source keeps its name.")
    )
    source_unit = _text(
        _("Unit of counting (optional)"),
        help_text=_("What one row counts, e.g. incident reported by a partner NGO."),
    )
    source_licence = _text(_("Licence (optional)"))
    source_url = forms.URLField(label=_("Web address (optional)"), required=False, assume_scheme="https")
    kind = forms.ChoiceField(
        label=_("The rows are"), choices=list(KIND_LABELS.items()), widget=forms.RadioSelect
    )
    identifier = _text(
        _("Identifier column"),
        rows=2,
        help_text=_(
            "The header of the column that identifies a row, one spelling a line. Leave empty when the file "
            "has none: the row number then identifies a row, and vintages are compared row by row."
        ),
    )
    date_precision = forms.ChoiceField(
        label=_("Precision of the dates (incidents)"), choices=list(PRECISION_LABELS.items()), initial="day"
    )
    derive_from_counts = forms.BooleanField(
        label=_("Derive resources and attack types from the counts (incidents)"),
        required=False,
        initial=True,
        help_text=_(
            "As the Insecurity Insight importer does: health workers killed means personnel were affected, "
            "kidnapped health workers an abduction, and so on."
        ),
    )
    period = forms.ChoiceField(
        label=_("Period of a row (aggregates)"),
        choices=[(p, PRECISION_LABELS[p]) for p in PERIODS],
        initial="year",
    )
    measures = _text(
        _("Other counts to keep (aggregates)"),
        rows=2,
        help_text=_("Headers of further count columns, one a line; each is kept under its header."),
    )
    constants = _text(
        _("Constants"),
        rows=3,
        help_text=_(
            "Fields the file does not hold, one a line as field = value, e.g. country_iso3 = AFG or "
            "certainty = unverified."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def definition_data(self) -> dict[str, Any]:
        """The profile part of a definition (sources.profiles), from the cleaned data."""
        data = self.cleaned_data
        source = {key: data[f"source_{key}"].strip() for key in ("slug", "name", "unit", "licence", "url")}
        definition: dict[str, Any] = {
            "slug": data["slug"],
            "name": data["name"].strip(),
            "description": data["description"].strip(),
            "source": {key: value for key, value in source.items() if value},
            "kind": data["kind"],
            "identifier": lines(data["identifier"]) or ROW_NUMBER,
        }
        if data["kind"] == "incidents":
            definition.update(
                date_precision=data["date_precision"], derive_from_counts=data["derive_from_counts"]
            )
        else:
            definition["period"] = data["period"]
            if measures := lines(data["measures"]):
                definition["measures"] = measures
        constants = {}
        for number, line in enumerate(lines(data["constants"]), start=1):
            name, equals, value = line.partition("=")
            if not equals or not name.strip():
                self.add_error("constants", _("Line %(number)s: write field = value.") % {"number": number})
            constants[name.strip()] = value.strip()
        if constants:
            definition["constants"] = constants
        return definition

    @staticmethod
    def initial_from(definition: ProfileDefinition, version: int) -> dict[str, Any]:
        source = definition.source
        return {
            "slug": definition.slug,
            "name": definition.name,
            "description": definition.description,
            "source_slug": source.slug,
            "source_name": source.name,
            "source_unit": source.unit,
            "source_licence": source.licence,
            "source_url": source.url,
            "kind": definition.kind,
            "identifier": "\n".join(definition.identifier),
            "date_precision": definition.date_precision,
            "derive_from_counts": definition.derive_from_counts,
            "period": definition.period,
            "measures": "\n".join(definition.measures),
            "constants": "\n".join(
                f"{name} = {_constant_text(value)}" for name, value in definition.constants.items()
            ),
            "version": version,
        }


def _constant_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(value)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


class MappingForm(ErrorLinks, forms.Form):
    """One harmonised field and the column it is read from; the settings apply to their type only."""

    field = forms.ChoiceField(label=_("Field"), required=False)
    columns = _text(
        _("Column header"),
        rows=2,
        help_text=_("One spelling a line; the first the file has is read."),
        spellcheck="false",
    )
    type = forms.ChoiceField(
        label=_("Read as"),
        choices=[("", _("Choose a type")), *((t, TYPE_LABELS[t]) for t in TYPES)],
        required=False,
    )
    optional = forms.BooleanField(label=_("The column may be missing from a file"), required=False)
    format = _text(
        _("Date format (dates)"),
        help_text=format_lazy(
            # The pattern is passed in: a % in a message would make it a format string for gettext.
            _("{iso} (YYYY-MM-DD), {serial}, or a pattern such as {pattern} for 31/12/2023."),
            iso=DATE_FORMATS[0],
            serial=DATE_FORMATS[1],
            pattern="%d/%m/%Y",
        ),
        spellcheck="false",
    )
    yes_words = _text(_("Words for yes (flags)"), rows=2, help_text=_("One a line; default: yes, true, 1."))
    no_words = _text(_("Words for no (flags)"), rows=2, help_text=_("One a line; default: no, false, 0."))
    unknown_words = _text(_("Words for not known (flags, optional)"), rows=2)
    form = forms.ChoiceField(
        label=_("The cell holds (countries)"),
        choices=[("name", _("a name (or an ISO code)")), ("code", _("an ISO 3166-1 alpha-3 code"))],
        required=False,
    )
    values = _text(
        _("Values (categories and labels)"),
        rows=4,
        help_text=_("One a line as source value = code; for labels, several codes separated by commas."),
    )
    crosswalk = forms.ChoiceField(label=_("Crosswalk (categories and labels)"), required=False)
    unknown = forms.ChoiceField(
        label=_("A value not in the values or the crosswalk (categories)"),
        choices=[("warn", _("keeps the row, with a warning")), ("quarantine", _("quarantines the row"))],
        required=False,
    )
    minimum = forms.FloatField(label=_("Lowest value (numbers, optional)"), required=False)
    maximum = forms.FloatField(label=_("Highest value (numbers, optional)"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ChoiceField", self.fields["field"]).choices = field_choices()
        cast("forms.ChoiceField", self.fields["crosswalk"]).choices = crosswalk_choices()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = data.get("field") or data.get("type") or (data.get("columns") or "").strip()
        if given and not data.get("DELETE"):
            for name in ("field", "columns", "type"):
                if not data.get(name):
                    self.add_error(name, _("Fill this in, or tick the box to remove the mapping."))
        return data

    def mapping_data(self) -> tuple[str, dict[str, Any]] | None:
        """(field, its mapping as sources.profiles reads it), or None for an empty or removed form."""
        data = self.cleaned_data
        if not data or data.get("DELETE") or not data.get("field"):
            return None
        value_type = data["type"]
        mapping: dict[str, Any] = {"columns": lines(data["columns"]), "type": value_type}
        if data["optional"]:
            mapping["optional"] = True
        for key in SETTINGS.get(value_type, ()):
            value = data.get(key)
            if key.endswith("_words"):
                value = lines(value or "")
            elif key == "values":
                value = self._values(value or "", multiple=value_type == "labels")
            if value not in (None, "", []):
                mapping[key] = value
        return data["field"], mapping

    def _values(self, text: str, *, multiple: bool) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for number, line in enumerate(lines(text), start=1):
            word, equals, code = line.rpartition("=")
            if not equals or not word.strip() or not code.strip():
                self.add_error(
                    "values", _("Line %(number)s: write source value = code.") % {"number": number}
                )
                continue
            codes = [item.strip() for item in code.split(",") if item.strip()]
            found[word.strip()] = codes if multiple else code.strip()
        return found

    @staticmethod
    def initial_from(definition: ProfileDefinition) -> list[dict[str, Any]]:
        rows = []
        for spec in definition.fields:
            values = "\n".join(
                f"{word} = {', '.join(code) if isinstance(code, tuple) else code}"
                for word, code in spec.values.items()
            )
            rows.append(
                {
                    "field": spec.field,
                    "columns": "\n".join(spec.columns),
                    "type": spec.type,
                    "optional": spec.optional,
                    "format": spec.format,
                    "yes_words": "\n".join(spec.yes_words),
                    "no_words": "\n".join(spec.no_words),
                    "unknown_words": "\n".join(spec.unknown_words),
                    "form": spec.form or "name",
                    "values": values,
                    "crosswalk": spec.crosswalk,
                    "unknown": spec.unknown or "warn",
                    "minimum": spec.minimum,
                    "maximum": spec.maximum,
                }
            )
        return rows


class BaseMappingFormSet(forms.BaseFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove this mapping")

    def clean(self) -> None:
        seen: set[str] = set()
        for form in self.forms:
            name = (
                form.cleaned_data.get("field")
                if form.cleaned_data and not form.cleaned_data.get("DELETE")
                else None
            )
            if name in seen:
                form.add_error("field", _("This field is mapped twice; remove one of the two."))
            if name:
                seen.add(name)


MappingFormSet = forms.formset_factory(MappingForm, formset=BaseMappingFormSet, extra=0, can_delete=True)


def add_problems(form: ProfileForm, formset: Any, problems: list[Problem]) -> None:
    """Show sources.profiles' problems on the form they belong to."""
    by_field = {
        f.cleaned_data.get("field"): f
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE")
    }
    top = {"slug": "slug", "name": "name", "kind": "kind", "identifier": "identifier", "measures": "measures"}
    for problem in problems:
        parts = problem.where.split(".")
        if parts[0] == "fields" and len(parts) > 1 and parts[1] in by_field:
            by_field[parts[1]].add_error(None, f"{problem.where}: {problem.message}")
        elif parts[0] == "source" and len(parts) > 1 and f"source_{parts[1]}" in form.fields:
            form.add_error(f"source_{parts[1]}", problem.message)
        elif parts[0] == "constants":
            form.add_error("constants", f"{problem.where}: {problem.message}")
        elif parts[0] in top:
            form.add_error(top[parts[0]], problem.message)
        else:
            form.add_error(None, f"{problem.where}: {problem.message}")


class YamlUploadForm(ErrorLinks, forms.Form):
    file = forms.FileField(
        label=_("Profile file (YAML)"),
        error_messages={
            "required": _("Choose the YAML file of the profile."),
            "empty": _("The file is empty (0 bytes)."),
        },
    )
    replace = forms.BooleanField(
        label=_("Replace the profile with the same code"),
        required=False,
        help_text=_(
            "The file then becomes the next version of that profile; earlier releases keep the version they "
            "were read with."
        ),
    )


class PreviewForm(ErrorLinks, forms.Form):
    file = forms.FileField(
        label=_("Sample file"),
        help_text=_("XLSX, CSV (UTF-8) or JSON. Nothing is imported: the file is read and deleted."),
        error_messages={
            "required": _("Choose a file to preview."),
            "empty": _("The file is empty (0 bytes)."),
        },
    )
    rows = forms.IntegerField(label=_("Rows to show"), min_value=1, max_value=MAX_ROWS, initial=20)
