"""The page of statistics from the Dutch report point: public figures with small counts hidden, and for a
case handler, on request (`?exact=1`), the exact counts of the reports their own organisations received."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from accounts.permissions import has_permission, organisations_with
from accounts.roles import Permission
from insights import analytics_db, dutch_statistics
from insights.dutch_statistics import YearNotCovered

TEMPLATE = "insights/dutch/statistics.html"


def dutch(request: HttpRequest) -> HttpResponse:
    problems: dict[str, str] = {}
    exact_asked = exact_parameter(request.GET, problems)
    year = year_parameter(request.GET, problems)
    may_see_exact = has_permission(request.user, Permission.HANDLE_CASES)
    context: dict[str, Any] = {
        "may_see_exact": may_see_exact,
        "exact_refused": exact_asked and not may_see_exact,
        "problems": problems,
    }
    if problems:
        return render(request, TEMPLATE, context, status=400)
    exact = exact_asked and may_see_exact
    try:
        if exact:
            organisations = organisations_with(request.user, Permission.HANDLE_CASES)
            context["organisation_names"] = ", ".join(each.name for each in organisations)
            figures = dutch_statistics.statistics(year, organisation_ids=[each.pk for each in organisations])
        else:
            figures = dutch_statistics.public_statistics(year)
    except YearNotCovered as error:
        context["problems"] = {"year": year_not_covered(error)}
        return render(request, TEMPLATE, context, status=400)
    except analytics_db.AnalyticsError:
        context["missing"] = True
        return render(request, TEMPLATE, context)
    context["figures"] = figures
    response = render(request, TEMPLATE, context)
    if exact:
        # Exact counts are for the case handler who asked: never kept by a shared cache or the browser.
        patch_cache_control(response, private=True, no_store=True)
    return response


def _shown(value: str) -> str:
    return value if len(value) <= 40 else value[:40] + "…"


def exact_parameter(query: QueryDict, problems: dict[str, str]) -> bool:
    value = query.get("exact", "")
    if value in ("", "0"):
        return False
    if value == "1":
        return True
    problems["exact"] = _(
        "Parameter “exact”: “%(value)s” is not allowed; use 1 for exact counts or leave it out."
    ) % {"value": _shown(value)}
    return False


def year_parameter(query: QueryDict, problems: dict[str, str]) -> int | None:
    value = query.get("year", "").strip()
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or len(value) != 4:
        problems["year"] = _("Parameter “year”: “%(value)s” is not a year such as 2025.") % {
            "value": _shown(value)
        }
        return None
    return int(value)


def year_not_covered(error: YearNotCovered) -> str:
    if not error.years:
        return _("Parameter “year”: there are no reports yet, so there are no figures for %(year)s.") % {
            "year": error.year
        }
    return _(
        "Parameter “year”: there are no figures for %(year)s; choose a year from %(first)s to %(last)s."
    ) % {
        "year": error.year,
        "first": error.years[0],
        "last": error.years[-1],
    }
