"""What the wizard, the plan and the framework pages call each fact, code and urgency, in the site's languages.

The codes of kind, channel, perpetrator, in_care, profession and sector are those of meldpunt.vocabulary and
take its labels; severity and employment exist only in the action framework and are labelled here.
"""

from __future__ import annotations

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from guidance.ruleset import RuleSet
from meldpunt.vocabulary import Channel, InCare, Kind, Perpetrator, Profession, Sector


class Severity(models.TextChoices):
    ACUTE_DANGER = "acute_danger", _("You or others are in danger right now")
    THREAT_OF_VIOLENCE = "threat_of_violence", _("Someone threatened to use violence")
    REPEATED = "repeated", _("It happened more than once, or it is still going on")
    ONLINE_ONLY = "online_only", _("It happened only online")


class Employment(models.TextChoices):
    EMPLOYED = "employed", _("I am employed (also as a trainee or agency worker)")
    SELF_EMPLOYED = "self_employed", _("I am self-employed (own practice, freelance or locum)")


class Urgency(models.TextChoices):
    NOW = "now", _("Now")
    TODAY = "today", _("Today")
    THIS_WEEK = "this_week", _("This week")


# fact name -> the choices that label its codes
CHOICES: dict[str, type[models.TextChoices]] = {
    "kind": Kind,
    "channel": Channel,
    "perpetrator": Perpetrator,
    "in_care": InCare,
    "severity": Severity,
    "profession": Profession,
    "sector": Sector,
    "employment": Employment,
}

# fact name -> the question the wizard asks
QUESTIONS: dict[str, Promise] = {
    "kind": _("What happened?"),
    "channel": _("How did it reach you?"),
    "perpetrator": _("Who did it?"),
    "in_care": _("Is this person in your care, or were they?"),
    "severity": _("Does any of this apply?"),
    "profession": _("Your profession"),
    "sector": _("The sector you work in"),
    "employment": _("Are you employed or self-employed?"),
}


def fact_question(fact: str) -> str:
    return str(QUESTIONS.get(fact, fact))


def code_label(fact: str, code: str) -> str:
    """The label of `code` for `fact`, in the active language; the code itself when it has none."""
    choices = CHOICES.get(fact)
    if choices is None:
        return code
    labels = dict(choices.choices)
    return str(labels.get(code, code))


def overlay_name(rules: RuleSet) -> str:
    """The name of the profession overlay applied to `rules`, in the active language ("" when none)."""
    if not rules.overlay_profession:
        return ""
    profession = code_label("profession", rules.overlay_profession)
    if rules.overlay_version:
        return gettext("%(profession)s, version %(number)s") % {
            "profession": profession,
            "number": rules.overlay_version,
        }
    return gettext("%(profession)s, draft") % {"profession": profession}


def urgency_label(urgency: str) -> str:
    return str(dict(Urgency.choices).get(urgency, urgency))
