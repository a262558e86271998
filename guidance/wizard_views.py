"""The wizard's pages: the questions, the check screen, the plan and its PDF.

Every page after the first answers a POST that carries the answers so far in hidden fields (CSRF protected):
nothing of the incident is stored on the server, written to a log or put in an address, and every response is
marked no-store so the browser keeps no copy either. What a user may do next (back, change, the plan in the
other language, the PDF, the report form) is again a form that posts the answers.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from guidance import pdf, wizard
from guidance.engine import Plan
from guidance.published import plan_for
from guidance.wizard import CHECK, Answers, Screen
from guidance.wizard_forms import ScreenForm

URGENCY_HEADINGS = {
    "now": gettext_lazy("Do now"),
    "today": gettext_lazy("Do today"),
    "this_week": gettext_lazy("Do this week"),
}


# Rendering the screens --------------------------------------------------------------------------------------


def _screen_page(
    request: HttpRequest,
    screen: Screen,
    answers: Answers,
    *,
    form: ScreenForm | None = None,
    changing: bool = False,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    form = form or ScreenForm(screen, answers)
    number, total = wizard.progress(screen, answers)
    one_question = len(screen.facts) == 1
    return render(
        request,
        "guidance/wizard/screen.html",
        {
            "screen": screen,
            "form": form,
            "fields": [form[fact] for fact in screen.facts],
            "one_question": one_question,
            "title": form[screen.facts[0]].label if one_question else screen.title,
            "number": number,
            "total": total,
            "is_first": wizard.previous_screen(screen.id, answers) is None,
            "hidden": wizard.hidden_fields(answers, leave_out=screen.facts),
            "changing": changing,
            "problem": problem,
            # The focus goes to the error summary when there is one, else to the question.
            "focus_heading": not (form.errors or problem),
        },
        status=status,
    )


def _start_again(request: HttpRequest, answers: Answers) -> HttpResponse:
    return _screen_page(
        request,
        wizard.SCREENS[0],
        answers,
        problem=_(
            "Some of the answers sent with this page could not be read, so you are back at the first question. "
            "The answers that could be read are kept: check them as you go through the questions again."
        ),
        status=400,
    )


def _answer_first(request: HttpRequest, screen: Screen, answers: Answers) -> HttpResponse:
    return _screen_page(
        request,
        screen,
        answers,
        problem=_("This question has no answer yet. Answer it to see your plan."),
        status=400,
    )


def _check_page(request: HttpRequest, answers: Answers) -> HttpResponse:
    missing = wizard.first_unanswered(answers)
    if missing is not None:
        return _answer_first(request, missing, answers)
    return render(
        request,
        "guidance/wizard/check.html",
        {
            "rows": wizard.summary(answers),
            "hidden": wizard.hidden_fields(answers),
            "total": len(wizard.applicable(answers)),
        },
    )


def _posted_answers(request: HttpRequest) -> Answers | HttpResponse:
    """The complete answers posted to a plan page, or the page that asks for what is missing or unreadable."""
    reading = wizard.read(dict(request.POST.lists()))
    if reading.unreadable:
        return _start_again(request, reading.answers)
    missing = wizard.first_unanswered(reading.answers)
    if missing is not None:
        return _answer_first(request, missing, reading.answers)
    return reading.answers


# The questions ----------------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def questions(request: HttpRequest) -> HttpResponse:
    """The first question (GET), and every step through the questions after it (POST)."""
    if request.method == "GET":
        return _screen_page(request, wizard.SCREENS[0], {})
    reading = wizard.read(dict(request.POST.lists()))
    answers = reading.answers
    if reading.unreadable:
        return _start_again(request, answers)
    posted = request.POST.get("screen", "")
    changing = request.POST.get("changing") == "1"

    if "change" in request.POST:  # a "Change" button on the check screen
        target = wizard.screen(request.POST["change"])
        if target is None or not target.applies(answers):
            return _start_again(request, answers)
        return _screen_page(request, target, answers, changing=True)

    if posted == CHECK:
        if "back" in request.POST:
            return _screen_page(request, wizard.applicable(answers)[-1], answers)
        return _check_page(request, answers)

    current = wizard.screen(posted)
    if current is None or not current.applies(answers):
        return _start_again(request, answers)
    form = ScreenForm(current, answers, request.POST)

    if "back" in request.POST:
        # What was chosen on this screen is kept when it is a valid answer, so going back loses nothing.
        if form.is_valid():
            answers = wizard.with_answers(answers, form.answers())
        previous = wizard.previous_screen(current.id, answers)
        return _screen_page(request, previous or current, answers, changing=changing)

    if not form.is_valid():
        return _screen_page(request, current, answers, form=form, changing=changing, status=400)
    answers = wizard.with_answers(answers, form.answers())
    following = wizard.next_screen(current, answers, changing=changing)
    if following == CHECK:
        return _check_page(request, answers)
    return _screen_page(request, wizard.SCREEN_MAP[following], answers, changing=changing)


# The plan ---------------------------------------------------------------------------------------------------


def _other_languages(url_name: str) -> list[dict[str, str]]:
    """For each other language of the site: the address of `url_name` there, and a button text in it."""
    current = translation.get_language()
    others = []
    for code, _name in settings.LANGUAGES:
        if code == current:
            continue
        with translation.override(code):
            language = translation.get_language_info(code)["name_local"]
            others.append(
                {
                    "code": code,
                    "action": reverse(url_name),
                    "label": _("Show this plan in %(language)s") % {"language": language},
                }
            )
    return others


def plan_context(answers: Answers) -> dict[str, Any]:
    """What the plan page and the PDF show, in the active language."""
    plan: Plan = plan_for(wizard.for_plan(answers))
    return {
        "plan": plan,
        "rules": plan.rules,
        "groups": [(urgency, URGENCY_HEADINGS[urgency], steps) for urgency, steps in plan.by_urgency()],
        "rows": wizard.summary(answers),
        "made_on": timezone.localdate(),
        "acute_danger": "acute_danger" in answers.get("severity", ()),
    }


@never_cache
@require_http_methods(["GET", "POST"])
def plan(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "guidance/wizard/not_kept.html")
    answers = _posted_answers(request)
    if isinstance(answers, HttpResponse):
        return answers
    return render(
        request,
        "guidance/wizard/plan.html",
        {
            **plan_context(answers),
            "hidden": wizard.hidden_fields(answers),
            "report_prefill": wizard.report_prefill(answers),
            "other_languages": _other_languages("wizard:plan"),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def plan_pdf(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "guidance/wizard/not_kept.html")
    answers = _posted_answers(request)
    if isinstance(answers, HttpResponse):
        return answers
    minutes = pdf.refusal_minutes(request)
    if minutes is not None:
        refused = render(
            request,
            "guidance/wizard/pdf_refused.html",
            {"minutes": minutes, "hidden": wizard.hidden_fields(answers)},
            status=429,
        )
        refused["Retry-After"] = str(minutes * 60)
        return refused
    pdf.count(request)
    context = plan_context(answers)
    response = HttpResponse(pdf.render(pdf.plan_html(context)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf.filename(context["made_on"])}"'
    return response
