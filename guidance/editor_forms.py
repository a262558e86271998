"""The forms of the overlay editor: each builds one change (guidance/overlay_content.py) from labelled fields.

Every text is asked in Dutch and in English, side by side; sources, partners and conditions are chosen from
the generic rules, so most mistakes cannot be typed. What only the whole draft can tell (an id used twice, a
step hidden twice) is checked by guidance.overlays.save_change and shown in the form's error summary.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from guidance.labels import CHOICES, Urgency, code_label, fact_question
from guidance.loader import CODE
from guidance.overlay_content import Change
from guidance.ruleset import RuleSet, Text
from meldpunt.forms import ErrorLinksMixin

LANGUAGES = (("nl", _("in Dutch")), ("en", _("in English")))
# The wizard's facts a sample incident and an added step's conditions use; the profession is the overlay's.
CONDITION_FACTS = ("kind", "channel", "perpetrator", "in_care", "severity", "sector", "employment")
BASIS_SLOTS = 3


def _language() -> str:
    return translation.get_language() or "nl"


def step_choices(rules: RuleSet) -> list[tuple[str, str]]:
    """The generic steps as choices: their title in the page's language, with the id."""
    return [(step.id, f"{step.title.get(_language())} ({step.id})") for step in rules.steps]


def _fact_choices(rules: RuleSet, fact: str) -> list[tuple[str, str]]:
    known = rules.framework.fact_map.get(fact)
    codes = known.codes if known is not None else tuple(CHOICES[fact].values)
    return [(code, code_label(fact, code)) for code in codes]


def _text_fields(form: forms.Form, name: str, label: Any, *, long: bool, required: bool = True) -> None:
    for language, language_label in LANGUAGES:
        form.fields[f"{name}_{language}"] = forms.CharField(
            label=format_lazy("{} {}", label, language_label),
            required=required,
            max_length=4000,
            widget=forms.Textarea(attrs={"rows": 4, "lang": language})
            if long
            else forms.TextInput(attrs={"lang": language}),
            error_messages={
                "required": format_lazy(_("Enter this text {language}."), language=language_label)
            },
        )


def _text(data: dict[str, Any], name: str) -> dict[str, str]:
    return {"nl": data[f"{name}_nl"].strip(), "en": data[f"{name}_en"].strip()}


def _text_initial(initial: dict[str, Any], name: str, text: Any) -> None:
    if isinstance(text, dict):
        for language, _label in LANGUAGES:
            initial[f"{name}_{language}"] = text.get(language, "")


class CreateOverlayForm(ErrorLinksMixin, forms.Form):
    profession = forms.ChoiceField(
        label=_("Profession"),
        error_messages={"required": _("Choose the profession of the overlay.")},
    )
    organisation = forms.ModelChoiceField(
        label=_("Maintained by"),
        queryset=Organisation.objects.none(),
        empty_label=None,
        help_text=_("The organisation whose profession editors maintain the overlay."),
    )

    def __init__(
        self, *args: Any, professions: list[tuple[str, str]], organisations: list[Organisation], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        profession: Any = self.fields["profession"]
        profession.choices = [("", _("Choose a profession")), *professions]
        organisation: Any = self.fields["organisation"]
        organisation.queryset = Organisation.objects.filter(pk__in=[o.pk for o in organisations])


class StepForm(ErrorLinksMixin, forms.Form):
    """A step of the profession's own: what a steps/*.yaml entry holds, field by field."""

    id = forms.CharField(
        label=_("Short name (id)"),
        max_length=60,
        help_text=_(
            "Lowercase letters, digits and underscores, starting with a letter, for example "
            "huisarts_inform_practice. It must differ from the names of the generic steps."
        ),
        error_messages={"required": _("Enter a short name for the step.")},
    )
    urgency = forms.ChoiceField(
        label=_("When should it be done?"),
        choices=Urgency.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose when the step should be done.")},
    )
    order = forms.IntegerField(
        label=_("Order"),
        min_value=0,
        max_value=1000,
        initial=50,
        help_text=_(
            "Within the same urgency, steps with a lower number come first. The generic steps use 10 to 80."
        ),
        error_messages={
            "required": _("Enter a whole number from 0 to 1000."),
            "invalid": _("Enter a whole number from 0 to 1000."),
            "min_value": _("Enter a whole number from 0 to 1000."),
            "max_value": _("Enter a whole number from 0 to 1000."),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "input-short"}),
    )

    def __init__(self, *args: Any, rules: RuleSet, other_steps: list[tuple[str, str]], **kwargs: Any) -> None:
        """`other_steps`: the steps this one may exclude (generic and added ones, as choices)."""
        super().__init__(*args, **kwargs)
        _text_fields(self, "title", _("Title"), long=False)
        _text_fields(self, "what", _("What to do"), long=True)
        _text_fields(self, "why", _("Why"), long=True)
        source_choices = [("", _("Choose a source")), *((s.id, s.title) for s in rules.sources)]
        for slot in range(1, BASIS_SLOTS + 1):
            label = format_lazy(_("Basis {number}: claim"), number=slot)
            _text_fields(self, f"claim_{slot}", label, long=True, required=slot == 1)
            self.fields[f"source_{slot}"] = forms.ChoiceField(
                label=format_lazy(_("Basis {number}: source"), number=slot),
                choices=source_choices,
                required=slot == 1,
                error_messages={"required": _("Choose the source of the claim.")},
            )
        self.fields["partners"] = forms.MultipleChoiceField(
            label=_("Who can help"),
            choices=[(p.id, p.name.get(_language())) for p in rules.partners],
            widget=forms.CheckboxSelectMultiple,
            required=False,
        )
        for fact in CONDITION_FACTS:
            self.fields[f"when_{fact}"] = forms.MultipleChoiceField(
                label=fact_question(fact),
                choices=_fact_choices(rules, fact),
                widget=forms.CheckboxSelectMultiple,
                required=False,
            )
        for fact in CONDITION_FACTS:
            self.fields[f"unless_{fact}"] = forms.MultipleChoiceField(
                label=fact_question(fact),
                choices=_fact_choices(rules, fact),
                widget=forms.CheckboxSelectMultiple,
                required=False,
            )
        self.fields["excludes"] = forms.MultipleChoiceField(
            label=_("Never show together with"),
            help_text=_("Of two steps that exclude each other, the plan keeps the more urgent one."),
            choices=other_steps,
            widget=forms.CheckboxSelectMultiple,
            required=False,
        )

    def text_pairs(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"{name}_nl"], self[f"{name}_en"]) for name in ("title", "what", "why")]

    def basis_slots(self) -> list[dict[str, Any]]:
        return [
            {
                "number": slot,
                "nl": self[f"claim_{slot}_nl"],
                "en": self[f"claim_{slot}_en"],
                "source": self[f"source_{slot}"],
            }
            for slot in range(1, BASIS_SLOTS + 1)
        ]

    def when_fields(self) -> list[forms.BoundField]:
        return [self[f"when_{fact}"] for fact in CONDITION_FACTS]

    def unless_fields(self) -> list[forms.BoundField]:
        return [self[f"unless_{fact}"] for fact in CONDITION_FACTS]

    def clean_id(self) -> str:
        value = str(self.cleaned_data["id"]).strip()
        if not CODE.match(value):
            raise forms.ValidationError(
                _("Use only lowercase letters, digits and underscores, starting with a letter.")
            )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for slot in range(2, BASIS_SLOTS + 1):
            names = (f"claim_{slot}_nl", f"claim_{slot}_en", f"source_{slot}")
            filled = [name for name in names if data.get(name)]
            if filled and len(filled) < len(names):
                for name in names:
                    if not data.get(name):
                        self.add_error(
                            name, _("Fill in the claim in both languages and its source, or none.")
                        )
        return data

    def change(self) -> Change:
        data = self.cleaned_data
        step: dict[str, Any] = {
            "id": data["id"],
            "urgency": data["urgency"],
            "order": data["order"],
            "title": _text(data, "title"),
            "what": _text(data, "what"),
            "why": _text(data, "why"),
            "basis": [
                {"claim": _text(data, f"claim_{slot}"), "source": data[f"source_{slot}"]}
                for slot in range(1, BASIS_SLOTS + 1)
                if data.get(f"source_{slot}")
            ],
        }
        if data["partners"]:
            step["partners"] = list(data["partners"])
        for key in ("when", "unless"):
            conditions = {
                fact: list(data[f"{key}_{fact}"]) for fact in CONDITION_FACTS if data[f"{key}_{fact}"]
            }
            if conditions:
                step[key] = conditions
        if data["excludes"]:
            step["excludes"] = list(data["excludes"])
        return {"add": step}

    @staticmethod
    def initial_from(change: Change) -> dict[str, Any]:
        step = change.get("add") or {}
        initial: dict[str, Any] = {key: step.get(key) for key in ("id", "urgency", "order")}
        for name in ("title", "what", "why"):
            _text_initial(initial, name, step.get(name))
        for slot, basis in enumerate(step.get("basis") or [], start=1):
            if slot > BASIS_SLOTS or not isinstance(basis, dict):
                break
            _text_initial(initial, f"claim_{slot}", basis.get("claim"))
            initial[f"source_{slot}"] = basis.get("source", "")
        initial["partners"] = list(step.get("partners") or [])
        for key in ("when", "unless"):
            for fact, codes in (step.get(key) or {}).items():
                initial[f"{key}_{fact}"] = list(codes)
        initial["excludes"] = list(step.get("excludes") or [])
        return initial


TEXT_FIELD_CHOICES = [("title", _("Title")), ("what", _("What to do")), ("why", _("Why"))]


class ReplaceTextForm(ErrorLinksMixin, forms.Form):
    """The new text, once the step and the text are chosen (ChooseTextForm): those travel as hidden fields."""

    step = forms.ChoiceField(
        label=_("Step"),
        widget=forms.HiddenInput,
        error_messages={"required": _("Choose the step whose text you replace.")},
    )
    field = forms.ChoiceField(
        label=_("Text"),
        choices=TEXT_FIELD_CHOICES,
        widget=forms.HiddenInput,
        error_messages={"required": _("Choose which text you replace.")},
    )

    def __init__(self, *args: Any, rules: RuleSet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        step: Any = self.fields["step"]
        step.choices = [("", _("Choose a step")), *step_choices(rules)]
        _text_fields(self, "text", _("New text"), long=True)

    def change(self) -> Change:
        data = self.cleaned_data
        return {"replace": {"step": data["step"], "field": data["field"], "text": _text(data, "text")}}

    @staticmethod
    def initial_from(change: Change) -> dict[str, Any]:
        body = change.get("replace") or {}
        initial: dict[str, Any] = {"step": body.get("step"), "field": body.get("field")}
        _text_initial(initial, "text", body.get("text"))
        return initial


class ChooseTextForm(ErrorLinksMixin, forms.Form):
    """The first half of a text replacement, sent with GET: which text of which step, to show it."""

    step = forms.ChoiceField(label=_("Step"), error_messages={"required": _("Choose a step.")})
    field = forms.ChoiceField(
        label=_("Text"),
        choices=TEXT_FIELD_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose which text you replace.")},
    )

    def __init__(self, *args: Any, rules: RuleSet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        step: Any = self.fields["step"]
        step.choices = [("", _("Choose a step")), *step_choices(rules)]

    def current_text(self, rules: RuleSet) -> Text | None:
        if not self.is_valid():
            return None
        text: Text = getattr(rules.step(self.cleaned_data["step"]), self.cleaned_data["field"])
        return text


class HideStepForm(ErrorLinksMixin, forms.Form):
    step = forms.ChoiceField(label=_("Step"), error_messages={"required": _("Choose the step to hide.")})

    def __init__(self, *args: Any, rules: RuleSet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        step: Any = self.fields["step"]
        step.choices = [("", _("Choose a step")), *step_choices(rules)]
        _text_fields(self, "reason", _("Reason"), long=True)

    def change(self) -> Change:
        data = self.cleaned_data
        return {"hide": {"step": data["step"], "reason": _text(data, "reason")}}

    @staticmethod
    def initial_from(change: Change) -> dict[str, Any]:
        body = change.get("hide") or {}
        initial: dict[str, Any] = {"step": body.get("step")}
        _text_initial(initial, "reason", body.get("reason"))
        return initial


class PreviewForm(forms.Form):
    """A sample incident: the wizard's facts, each optional (the profession is the overlay's)."""

    def __init__(self, *args: Any, rules: RuleSet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for fact in CONDITION_FACTS:
            known = rules.framework.fact_map.get(fact)
            if known is not None and known.multi:
                self.fields[fact] = forms.MultipleChoiceField(
                    label=fact_question(fact),
                    choices=_fact_choices(rules, fact),
                    widget=forms.CheckboxSelectMultiple,
                    required=False,
                )
            else:
                self.fields[fact] = forms.ChoiceField(
                    label=fact_question(fact),
                    choices=[("", _("Not answered")), *_fact_choices(rules, fact)],
                    required=False,
                )

    def answers(self) -> dict[str, Any]:
        return {fact: value for fact, value in self.cleaned_data.items() if value}


class PublishForm(ErrorLinksMixin, forms.Form):
    note = forms.CharField(
        label=_("What changed, and why"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown in the list of versions to the other editors. At most 500 characters."),
        error_messages={"required": _("Say in a few words what changed and why.")},
    )


class RollbackForm(ErrorLinksMixin, forms.Form):
    note = forms.CharField(
        label=_("Reason (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CompareForm(ErrorLinksMixin, forms.Form):
    older = forms.TypedChoiceField(label=_("Older version"), coerce=int)
    newer = forms.TypedChoiceField(label=_("Newer version"), coerce=int)

    def __init__(self, *args: Any, numbers: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(number, format_lazy(_("Version {number}"), number=number)) for number in numbers]
        older: Any = self.fields["older"]
        newer: Any = self.fields["newer"]
        older.choices = choices
        newer.choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("older") is not None and data.get("older") == data.get("newer"):
            self.add_error("newer", _("Choose two different versions."))
        return data
