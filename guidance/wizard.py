"""The wizard's questions: which screens there are, which facts each asks, which apply, and where to go next.

At most eight screens: seven questions (one theme each) and "check your answers". The question about the care
relationship is only asked when a patient or a relative did it. Everything here is a pure function of the
answers so far (fact -> codes): the views carry those answers from screen to screen in hidden form fields,
so nothing of an incident is kept on the server or put in an address.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from guidance import labels
from guidance.engine import default_rules

# fact -> its codes, in the order of the rule files (a single-valued fact has exactly one)
Answers = dict[str, tuple[str, ...]]

# The severity screen's "None of these": the question was answered, but there is nothing for the plan.
NONE_OF_THESE = "none"
# The name of the last screen, and of the hidden fields that carry the answers ("answer-kind", ...).
CHECK = "check"
FIELD_PREFIX = "answer-"
# Who can be in the worker's care: the patient, or the patient a relative is close to.
CARE_RELATIONS = frozenset({"patient", "relative"})


def _always(answers: Mapping[str, tuple[str, ...]]) -> bool:
    return True


def _care_relation_possible(answers: Mapping[str, tuple[str, ...]]) -> bool:
    # Before "who did it" is answered the question may still come, so it counts in "Question 2 of 7".
    perpetrator = answers.get("perpetrator")
    return not perpetrator or perpetrator[0] in CARE_RELATIONS


@dataclass(frozen=True)
class Screen:
    id: str
    facts: tuple[str, ...]
    title: Promise
    applies: Callable[[Mapping[str, tuple[str, ...]]], bool] = field(default=_always, compare=False)


SCREENS: tuple[Screen, ...] = (
    Screen("what", ("kind",), labels.QUESTIONS["kind"]),
    Screen("how", ("channel",), labels.QUESTIONS["channel"]),
    Screen("who", ("perpetrator",), labels.QUESTIONS["perpetrator"]),
    Screen("care", ("in_care",), labels.QUESTIONS["in_care"], _care_relation_possible),
    Screen("severity", ("severity",), labels.QUESTIONS["severity"]),
    Screen("work", ("profession", "sector"), _("About your work")),
    Screen("employment", ("employment",), labels.QUESTIONS["employment"]),
)
SCREEN_MAP: Mapping[str, Screen] = {screen.id: screen for screen in SCREENS}
FACTS: tuple[str, ...] = tuple(fact for screen in SCREENS for fact in screen.facts)


def screen(screen_id: str) -> Screen | None:
    return SCREEN_MAP.get(screen_id)


def codes(fact: str) -> tuple[str, ...]:
    """The codes `fact` may be answered with, as the rule files list them (plus "None of these")."""
    known = default_rules().framework.fact_map[fact].codes
    return (*known, NONE_OF_THESE) if fact == "severity" else known


def is_multi(fact: str) -> bool:
    return default_rules().framework.fact_map[fact].multi


# Where the user is -----------------------------------------------------------------------------------------


def applicable(answers: Mapping[str, tuple[str, ...]]) -> tuple[Screen, ...]:
    return tuple(screen for screen in SCREENS if screen.applies(answers))


def is_answered(screen: Screen, answers: Mapping[str, tuple[str, ...]]) -> bool:
    return all(answers.get(fact) for fact in screen.facts)


def first_unanswered(answers: Mapping[str, tuple[str, ...]]) -> Screen | None:
    return next((screen for screen in applicable(answers) if not is_answered(screen, answers)), None)


def is_complete(answers: Mapping[str, tuple[str, ...]]) -> bool:
    return first_unanswered(answers) is None


def progress(screen: Screen, answers: Mapping[str, tuple[str, ...]]) -> tuple[int, int]:
    """(number, total) of the question screens that apply, for "Question 2 of 6"."""
    screens = applicable(answers)
    return screens.index(screen) + 1, len(screens)


def next_screen(current: Screen, answers: Mapping[str, tuple[str, ...]], *, changing: bool) -> str:
    """The screen after `current`: the next that applies, or CHECK after the last one.

    After a change from the check screen the user goes straight back there, unless the change makes a
    question apply that has no answer yet (a new perpetrator who is a patient: is this person in your care?).
    """
    if changing:
        missing = first_unanswered(answers)
        return missing.id if missing is not None else CHECK
    screens = applicable(answers)
    later = [screen for screen in screens if SCREENS.index(screen) > SCREENS.index(current)]
    return later[0].id if later else CHECK


def previous_screen(current: str, answers: Mapping[str, tuple[str, ...]]) -> Screen | None:
    """The screen before `current` (a screen id or CHECK) that applies; None before the first."""
    screens = applicable(answers)
    if current == CHECK:
        return screens[-1]
    position = SCREENS.index(SCREEN_MAP[current])
    earlier = [screen for screen in screens if SCREENS.index(screen) < position]
    return earlier[-1] if earlier else None


def with_answers(answers: Mapping[str, tuple[str, ...]], new: Mapping[str, tuple[str, ...]]) -> Answers:
    """`answers` with `new` in place of what they said, without the answers to questions that no longer apply."""
    merged = {**answers, **new}
    return without_inapplicable({fact: merged[fact] for fact in FACTS if merged.get(fact)})


def without_inapplicable(answers: Mapping[str, tuple[str, ...]]) -> Answers:
    kept = dict(answers)
    for screen in SCREENS:
        if not screen.applies(answers):
            for fact in screen.facts:
                kept.pop(fact, None)
    return kept


# The answers in hidden form fields -------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """The answers read from a posted form, and whether anything had to be left out."""

    answers: Answers
    unreadable: bool


def read(fields: Mapping[str, Iterable[str]]) -> Reading:
    """The answers in the hidden fields "answer-<fact>" of a posted form (a QueryDict's lists()).

    An unknown fact, an unknown code, two codes for a one-code fact, or "None of these" next to another
    severity: that answer is left out and the reading is marked unreadable; what could be read is kept.
    """
    answers: Answers = {}
    unreadable = False
    for name, values in fields.items():
        if not name.startswith(FIELD_PREFIX):
            continue
        fact = name.removeprefix(FIELD_PREFIX)
        if fact not in FACTS:
            unreadable = True
            continue
        given = list(dict.fromkeys(value for value in values if value))
        allowed = codes(fact)
        if (
            any(code not in allowed for code in given)
            or (len(given) > 1 and not is_multi(fact))
            or (NONE_OF_THESE in given and len(given) > 1)
        ):
            unreadable = True
            continue
        if given:
            answers[fact] = tuple(code for code in allowed if code in given)
    return Reading(with_answers({}, answers), unreadable)


def hidden_fields(
    answers: Mapping[str, tuple[str, ...]], *, leave_out: Iterable[str] = ()
) -> list[tuple[str, str]]:
    """(name, value) of the hidden inputs that carry `answers` to the next page (`leave_out`: facts the
    page asks itself)."""
    skipped = set(leave_out)
    return [
        (FIELD_PREFIX + fact, code) for fact in FACTS if fact not in skipped for code in answers.get(fact, ())
    ]


# What the answers mean elsewhere ---------------------------------------------------------------------------


def for_plan(answers: Mapping[str, tuple[str, ...]]) -> dict[str, str | list[str]]:
    """The answers as guidance.plan_for takes them."""
    result: dict[str, str | list[str]] = {}
    for fact, given in answers.items():
        plan_codes = [code for code in given if code != NONE_OF_THESE]
        if not plan_codes:
            continue
        result[fact] = plan_codes if is_multi(fact) else plan_codes[0]
    return result


def report_prefill(answers: Mapping[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    """(field, value) pairs for the meldpunt report form, whose codes are those of the rule files."""
    fields = {
        "kinds": "kind",
        "channel": "channel",
        "perpetrator": "perpetrator",
        "perpetrator_in_care": "in_care",
        "profession": "profession",
        "sector": "sector",
    }
    pairs = [(name, code) for name, fact in fields.items() for code in answers.get(fact, ())]
    if "repeated" in answers.get("severity", ()):
        pairs.append(("frequency", "repeated"))
    return pairs


@dataclass(frozen=True)
class SummaryRow:
    screen: Screen
    question: str
    answers: tuple[str, ...]


def question(fact: str, answers: Mapping[str, tuple[str, ...]]) -> str:
    """The question for `fact` in the active language, as it was asked given the other answers."""
    if fact == "in_care" and answers.get("perpetrator") == ("relative",):
        return str(_("Is the patient this person is close to in your care, or were they?"))
    return labels.fact_question(fact)


def answer_label(fact: str, code: str) -> str:
    if code == NONE_OF_THESE:
        return str(_("None of these"))
    return labels.code_label(fact, code)


def summary(answers: Mapping[str, tuple[str, ...]]) -> list[SummaryRow]:
    """One row per question that applies: the question and the labels of its answers, in the active language."""
    return [
        SummaryRow(screen, question(fact, answers), tuple(answer_label(fact, code) for code in answers[fact]))
        for screen in applicable(answers)
        for fact in screen.facts
        if answers.get(fact)
    ]
