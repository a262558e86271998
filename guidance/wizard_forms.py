"""The form of one wizard screen: a field per fact it asks, labelled in the page's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from guidance import wizard
from guidance.wizard import NONE_OF_THESE, Answers, Screen
from meldpunt.forms import ErrorLinksMixin

# fact -> the hint under its question, and the message when it is left unanswered
_HINTS: Mapping[str, Promise] = {
    "kind": _("Choose everything that applies."),
    "channel": _("If it reached you in more than one way, choose the way that worries you most."),
    "severity": _("Choose everything that applies. If nothing does, choose “None of these”."),
}
_REQUIRED: Mapping[str, Promise] = {
    "kind": _("Choose at least one kind of incident."),
    "channel": _("Choose how it reached you."),
    "perpetrator": _("Choose who did it."),
    "in_care": _("Choose yes, no or I do not know."),
    "severity": _("Choose what applies, or “None of these”."),
    "profession": _("Choose your profession."),
    "sector": _("Choose your sector."),
    "employment": _("Choose employed or self-employed."),
}
_BLANK: Mapping[str, Promise] = {
    "profession": _("Choose your profession"),
    "sector": _("Choose your sector"),
}


class ScreenForm(ErrorLinksMixin, forms.Form):
    """The questions of `screen`, filled in with the answers so far."""

    def __init__(
        self, screen: Screen, answers: Mapping[str, tuple[str, ...]], data: Mapping[str, Any] | None = None
    ) -> None:
        initial = {
            fact: list(answers[fact]) if wizard.is_multi(fact) else answers[fact][0]
            for fact in screen.facts
            if answers.get(fact)
        }
        super().__init__(data, initial=initial)
        self.screen = screen
        for fact in screen.facts:
            self.fields[fact] = _field(fact, answers)

    @property
    def asks_one_question(self) -> bool:
        return len(self.screen.facts) == 1

    def clean_severity(self) -> list[str]:
        chosen: list[str] = self.cleaned_data["severity"]
        if NONE_OF_THESE in chosen and len(chosen) > 1:
            raise forms.ValidationError(
                _("You chose “None of these” and something else: choose one or the other."),
                code="none_and_other",
            )
        return chosen

    def answers(self) -> Answers:
        """The answers of this screen (call after is_valid()), in the order of the rule files."""
        result: Answers = {}
        for fact in self.screen.facts:
            value = self.cleaned_data[fact]
            chosen = value if isinstance(value, list) else [value]
            result[fact] = tuple(code for code in wizard.codes(fact) if code in chosen)
        return result


def _field(fact: str, answers: Mapping[str, tuple[str, ...]]) -> forms.Field:
    choices = [(code, wizard.answer_label(fact, code)) for code in wizard.codes(fact)]
    common: dict[str, Any] = {
        "label": wizard.question(fact, answers),
        "help_text": _HINTS.get(fact, ""),
        "error_messages": {"required": _REQUIRED[fact]},
    }
    if wizard.is_multi(fact):
        return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)
    if fact in _BLANK:
        return forms.ChoiceField(choices=[("", _BLANK[fact]), *choices], widget=forms.Select, **common)
    return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
