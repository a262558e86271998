from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader

from accounts.keys import KEY_COOKIE
from guidance.published import rules_for
from meldpunt import followup, intake_throttle
from meldpunt.models import OrganisationPolicy


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "zorgveilig/home.html")


def care_workers(request: HttpRequest) -> HttpResponse:
    return render(request, "zorgveilig/care_workers.html")


def conflict_monitor(request: HttpRequest) -> HttpResponse:
    return render(request, "zorgveilig/conflict_monitor.html")


def help_page(request: HttpRequest) -> HttpResponse:
    rules = rules_for(None)
    emergency = ("politie_112", "politie_0900")
    return render(
        request,
        "zorgveilig/help.html",
        {
            "rules": rules,
            "police": [rules.partner_map[key] for key in emergency if key in rules.partner_map],
            "partners": [partner for partner in rules.partners if partner.id not in emergency],
        },
    )


def about(request: HttpRequest) -> HttpResponse:
    rules = rules_for(None)
    return render(
        request,
        "zorgveilig/about.html",
        {"rules": rules, "sources": sorted(rules.sources, key=lambda source: source.title.casefold())},
    )


def privacy(request: HttpRequest) -> HttpResponse:
    # The names and periods the statement gives come from the settings and the code that uses them, so the
    # text cannot drift from what the site does.
    retention = OrganisationPolicy._meta.get_field("retention_days_after_closure")
    minimum = next(v.limit_value for v in retention.validators if isinstance(v, MinValueValidator))
    maximum = next(v.limit_value for v in retention.validators if isinstance(v, MaxValueValidator))
    return render(
        request,
        "zorgveilig/privacy.html",
        {
            "csrf_cookie": settings.CSRF_COOKIE_NAME,
            "session_cookie": settings.SESSION_COOKIE_NAME,
            "language_cookie": settings.LANGUAGE_COOKIE_NAME,
            "language_cookie_days": (settings.LANGUAGE_COOKIE_AGE or 0) // 86400,
            "csrf_cookie_days": settings.CSRF_COOKIE_AGE // 86400,
            "followup_cookie": followup.FOLLOWUP_COOKIE,
            "key_cookie": KEY_COOKIE,
            "followup_idle_minutes": followup.IDLE_SECONDS // 60,
            "staff_session_hours": settings.SESSION_COOKIE_AGE // 3600,
            "retention_default_days": OrganisationPolicy.DEFAULT_RETENTION_DAYS,
            "retention_min_days": minimum,
            "retention_max_days": maximum,
            "intake_window_minutes": intake_throttle.WINDOW_SECONDS // 60,
            "receipt_window_minutes": followup.RECEIPT_WINDOW_SECONDS // 60,
        },
    )


def figures(request: HttpRequest) -> HttpResponse:
    from django.urls import NoReverseMatch, reverse

    # The overview reads the analytics database through insights; without it the page still comes out.
    from insights.dashboard_views import figures_overview

    links = {}
    for name in ("dashboard", "sources", "map", "dutch", "reports"):
        try:
            links[name] = reverse(f"insights:{name}")
        except NoReverseMatch:  # a part of insights that is not there (yet)
            links[name] = ""
    return render(request, "zorgveilig/figures.html", {"conflict": figures_overview(), "links": links})


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without the request and without context processors: the failure may lie in the database,
    # the session or a context processor, and this page must still come out.
    return HttpResponse(loader.get_template("500.html").render(), status=500)
