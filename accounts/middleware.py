"""Two-factor enforcement for staff, on every page including the Django admin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from accounts import twofactor

# Pages a staff member may open before the second factor: the 2FA pages themselves, logging out, switching
# language and the public site. Everything else, /admin/ included, waits for the second factor.
EXEMPT_VIEWS = frozenset(
    {
        "accounts:two_factor_setup",
        "accounts:two_factor_qr",
        "accounts:two_factor_verify",
        "accounts:login",
        "accounts:logout",
        "set_language",
        "home",
        "care_workers",
        "conflict_monitor",
    }
)
# Whole public areas: the meldpunt is for reporters, who never have an account; a staff member who reports
# something of their own must not be asked for their second factor first.
EXEMPT_NAMESPACES = frozenset({"meldpunt"})


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        match = request.resolver_match
        view_name = match.view_name if match is not None else ""
        if view_name == "admin:login":
            # One way in, with throttling and the audit trail: the admin's own login form has neither.
            next_url = request.GET.get("next") or reverse("admin:index")
            return HttpResponseRedirect(_with_next("accounts:login", next_url))
        namespace = match.namespace if match is not None else ""
        if (
            view_name in EXEMPT_VIEWS
            or namespace in EXEMPT_NAMESPACES
            or request.path_info.startswith(settings.STATIC_URL)
            # The API authenticates each request with a token (api/auth.py), never with the session.
            or request.path_info.startswith("/api/")
        ):
            return None
        user = request.user
        if not user.is_authenticated or twofactor.is_verified(request) or not user.is_staff_member:
            return None
        target = (
            "accounts:two_factor_verify"
            if twofactor.has_confirmed_device(user)
            else "accounts:two_factor_setup"
        )
        return HttpResponseRedirect(_with_next(target, request.get_full_path()))
