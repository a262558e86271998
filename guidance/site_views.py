"""The public pages of the action framework: browse it by kind of incident and by profession, and its boundaries.

Every page reads the rules through `published.rules_for`, so a profession page shows that profession's
published version. A step is listed under a kind (or a profession) when it can apply to an incident of that
kind: its `when` has no condition on the fact or one that names the code, and its `unless` does not rule the
code out on its own. With each step goes a plain-language summary of when it applies, made from its
conditions and the labels of guidance.labels.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from guidance.labels import code_label, overlay_name
from guidance.models import OverlayVersion
from guidance.published import rules_for
from guidance.ruleset import Condition, Partner, RuleSet, Step

# Themes (the file names under rules/steps/) in the order a reader meets them, with their headings.
THEMES: dict[str, Promise] = {
    "safety": gettext_lazy("Your safety first"),
    "documenting": gettext_lazy("Record what happened"),
    "police": gettext_lazy("Police and criminal complaint"),
    "patient": gettext_lazy("When the person is your patient"),
    "online": gettext_lazy("Online threats and exposure"),
    "home_address": gettext_lazy("Protecting your home address"),
    "employer": gettext_lazy("Your employer and your workplace"),
    "aftercare": gettext_lazy("Aftercare and support"),
    "legal": gettext_lazy("Legal help and damages"),
    # Steps a profession overlay adds (guidance/overlay_content.py).
    "profession": gettext_lazy("Added for this profession"),
}
OTHER_THEME = gettext_lazy("Other steps")

# Facts whose answers are things (a kind of incident, a channel, a person): "<what the fact is>: <answers>".
FACT_NAMES: dict[str, Promise] = {
    "kind": gettext_lazy("kind of incident: %(answers)s"),
    "channel": gettext_lazy("how it reached you: %(answers)s"),
    "perpetrator": gettext_lazy("who did it: %(answers)s"),
    "profession": gettext_lazy("your profession: %(answers)s"),
    "sector": gettext_lazy("the sector you work in: %(answers)s"),
}

# Facts whose answers describe a situation: each answer is a phrase of its own.
ANSWER_PHRASES: dict[str, dict[str, Promise]] = {
    "in_care": {
        "yes": gettext_lazy("the person is or was in your care"),
        "no": gettext_lazy("the person is not and was not in your care"),
        "unknown": gettext_lazy("you do not know whether the person is or was in your care"),
    },
    "severity": {
        "acute_danger": gettext_lazy("you or others are in danger right now"),
        "threat_of_violence": gettext_lazy("someone threatened to use violence"),
        "repeated": gettext_lazy("it happened more than once or is still going on"),
        "online_only": gettext_lazy("it happened only online"),
    },
    "employment": {
        "employed": gettext_lazy("you are employed"),
        "self_employed": gettext_lazy("you are self-employed"),
    },
}


def _lower_first(label: str) -> str:
    """A label for use inside a sentence: "Patient" -> "patient", but "GP care" and "SEH-arts" stay."""
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def join_or(items: Sequence[str]) -> str:
    """ "a", "a or b", "a, b or c" in the active language."""
    if len(items) <= 1:
        return "".join(items)
    return _("%(items)s or %(last)s") % {"items": ", ".join(items[:-1]), "last": items[-1]}


def join_and(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c" in the active language."""
    if len(items) <= 1:
        return "".join(items)
    return _("%(items)s and %(last)s") % {"items": ", ".join(items[:-1]), "last": items[-1]}


def _ordered_codes(condition: Condition, order: Sequence[str]) -> list[str]:
    """The condition's codes in the order the framework lists them (then any others, sorted)."""
    known = [code for code in order if code in condition.codes]
    return known + sorted(condition.codes - set(order))


def describe_condition(condition: Condition, rules: RuleSet) -> str:
    """One condition in plain language: "who did it: patient or relative", "you are self-employed"."""
    fact = rules.framework.fact_map.get(condition.fact)
    codes = _ordered_codes(condition, fact.codes if fact is not None else ())
    phrases = ANSWER_PHRASES.get(condition.fact)
    if phrases is not None:
        return join_or([str(phrases[code]) if code in phrases else code for code in codes])
    answers = join_or([_lower_first(code_label(condition.fact, code)) for code in codes])
    template = FACT_NAMES.get(condition.fact)
    if template is None:
        return f"{condition.fact}: {answers}"
    return str(template) % {"answers": answers}


def can_apply(step: Step, fact: str, code: str) -> bool:
    """Whether `step` can apply to an incident where `fact` is answered with `code`.

    Its `when` condition on the fact (if any) must name the code, and its `unless` must not consist only of
    conditions on the fact that name the code (then the answer alone would rule the step out).
    """
    if any(condition.fact == fact and code not in condition.codes for condition in step.when):
        return False
    return not (
        step.unless and all(condition.fact == fact and code in condition.codes for condition in step.unless)
    )


@dataclass(frozen=True)
class Applicability:
    """When a step applies, in words. `always` when nothing but the page's own choice is asked."""

    when: str
    unless: str

    @property
    def always(self) -> bool:
        return not self.when and not self.unless


def applicability(step: Step, rules: RuleSet, *, fact: str = "", code: str = "") -> Applicability:
    """The summary of `step`'s conditions, leaving out what the page's own choice (`fact` = `code`) settles.

    A `when` condition on that fact is then met and is left out. For a single-answer fact an `unless`
    condition on it is settled too: one naming the code is met (left out), and one not naming it can never
    be met, so the whole `unless` falls away. A multi-answer fact (kind) may carry other answers as well, so
    its `unless` conditions stay.
    """
    when = [c for c in step.when if not (fact and c.fact == fact)]
    unless = list(step.unless)
    fact_def = rules.framework.fact_map.get(fact) if fact else None
    if fact_def is not None and not fact_def.multi:
        if any(c.fact == fact and code not in c.codes for c in unless):
            unless = []
        else:
            unless = [c for c in unless if c.fact != fact]
    return Applicability(
        when=join_and([describe_condition(c, rules) for c in when]),
        unless=join_and([describe_condition(c, rules) for c in unless]),
    )


@dataclass(frozen=True)
class StepItem:
    step: Step
    applies: Applicability


@dataclass(frozen=True)
class ThemeGroup:
    theme: str
    heading: str
    items: tuple[StepItem, ...]


def by_theme(steps: Iterable[Step], rules: RuleSet, *, fact: str = "", code: str = "") -> list[ThemeGroup]:
    """The steps grouped by theme (in THEMES order, unknown themes last), each group in plan order."""
    order = list(THEMES)
    groups: dict[str, list[Step]] = {}
    for step in steps:
        groups.setdefault(step.theme, []).append(step)
    themes = sorted(groups, key=lambda theme: (order.index(theme) if theme in order else len(order), theme))
    return [
        ThemeGroup(
            theme=theme or "other",
            heading=str(THEMES.get(theme, OTHER_THEME)),
            items=tuple(
                StepItem(step, applicability(step, rules, fact=fact, code=code))
                for step in sorted(groups[theme], key=lambda step: step.sort_key)
            ),
        )
        for theme in themes
    ]


def partners_of(steps: Iterable[Step], rules: RuleSet) -> list[Partner]:
    """The partners the steps name, each once, in the order of the partner file."""
    wanted = {partner_id for step in steps for partner_id in step.partners}
    return [partner for partner in rules.partners if partner.id in wanted]


def _codes(rules: RuleSet, fact: str) -> tuple[str, ...]:
    definition = rules.framework.fact_map.get(fact)
    return definition.codes if definition is not None else ()


def _steps_count(count: int) -> str:
    return ngettext("%(count)s step", "%(count)s steps", count) % {"count": count}


# Views -------------------------------------------------------------------------------------------------------


def index(request: HttpRequest) -> HttpResponse:
    rules = rules_for(None)
    return render(
        request,
        "guidance/site/index.html",
        {
            "rules": rules,
            "kinds": [(code, code_label("kind", code)) for code in _codes(rules, "kind")],
        },
    )


def kind_index(request: HttpRequest) -> HttpResponse:
    rules = rules_for(None)
    entries = [
        {
            "code": code,
            "label": code_label("kind", code),
            "steps": _steps_count(sum(1 for step in rules.steps if can_apply(step, "kind", code))),
        }
        for code in _codes(rules, "kind")
    ]
    return render(request, "guidance/site/kinds.html", {"rules": rules, "entries": entries})


def kind_detail(request: HttpRequest, kind: str) -> HttpResponse:
    rules = rules_for(None)
    if kind not in _codes(rules, "kind"):
        raise Http404("unknown kind of incident")
    steps = [step for step in rules.steps if can_apply(step, "kind", kind)]
    return render(
        request,
        "guidance/site/kind.html",
        {
            "rules": rules,
            "kind": kind,
            "label": code_label("kind", kind),
            "boundary": rules.boundary_map.get(kind),
            "groups": by_theme(steps, rules, fact="kind", code=kind),
            "partners": partners_of(steps, rules),
            "steps_count": _steps_count(len(steps)),
        },
    )


def profession_index(request: HttpRequest) -> HttpResponse:
    generic = rules_for(None)
    # One query for the professions that have a published overlay; only those need their rules applied.
    published = set(OverlayVersion.objects.values_list("overlay__profession", flat=True).distinct())
    entries = [
        {
            "code": code,
            "label": code_label("profession", code),
            "overlay": overlay_name(rules_for(code)) if code in published else "",
        }
        for code in _codes(generic, "profession")
    ]
    return render(request, "guidance/site/professions.html", {"rules": generic, "entries": entries})


def profession_detail(request: HttpRequest, profession: str) -> HttpResponse:
    if profession not in _codes(rules_for(None), "profession"):
        raise Http404("unknown profession")
    rules = rules_for(profession)
    steps = [step for step in rules.steps if can_apply(step, "profession", profession)]
    return render(
        request,
        "guidance/site/profession.html",
        {
            "rules": rules,
            "profession": profession,
            "label": code_label("profession", profession),
            "groups": by_theme(steps, rules, fact="profession", code=profession),
            "partners": partners_of(steps, rules),
            "hidden": rules.hidden,
            "steps_count": _steps_count(len(steps)),
        },
    )


def boundaries(request: HttpRequest) -> HttpResponse:
    rules = rules_for(None)
    kind_codes = _codes(rules, "kind")
    ordered = sorted(
        rules.boundaries,
        key=lambda b: kind_codes.index(b.kind) if b.kind in kind_codes else len(kind_codes),
    )
    entries = [
        {
            "boundary": boundary,
            "label": code_label("kind", boundary.kind),
            "has_page": boundary.kind in kind_codes,
        }
        for boundary in ordered
    ]
    return render(request, "guidance/site/boundaries.html", {"rules": rules, "entries": entries})
