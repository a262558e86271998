"""`Authorization: Bearer zv_…`: a staff member's API token (accounts.api_tokens), with failures throttled.

Failed attempts are counted per network (IPv4 /24, IPv6 /48, as the receipt throttle does, so no address
is kept: meldpunt.followup.client_key) with the limit and window of the login throttle for one client. Once
over it, every token from that network is refused unchecked until the window has passed (429 with
Retry-After), so guessing goes no faster by trying harder. Tokens have 256 random bits; the throttle is
there to keep someone from hammering the table, and to show up in the throttle's counts when they try.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from ninja.security import HttpBearer

from accounts import api_tokens
from accounts.api_tokens import TokenAccess, TokenRefused
from accounts.models import User
from accounts.permissions import has_permission
from accounts.roles import Permission
from accounts.throttle import Throttle
from api.errors import ApiError
from meldpunt.followup import client_key

FAILURE_SCOPE = "api.token.client"


def failure_throttle() -> Throttle:
    return Throttle(FAILURE_SCOPE, settings.LOGIN_CLIENT_FAILURE_LIMIT, settings.LOGIN_FAILURE_WINDOW_SECONDS)


@dataclass(frozen=True)
class Caller:
    """Who is calling, on `request.auth` of every authenticated operation."""

    access: TokenAccess

    @property
    def user(self) -> User:
        return self.access.user

    @property
    def private_key(self) -> bytes:
        return self.access.private_key


def caller(request: HttpRequest) -> Caller:
    found = getattr(request, "auth", None)
    if not isinstance(found, Caller):  # pragma: no cover - every case operation is behind TokenAuth
        raise ApiError(401, _("This needs an API token, sent as the header “Authorization: Bearer zv_…”."))
    return found


class TokenAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> Caller | None:
        # As HttpBearer, but never logging the header: ninja's own logs a malformed one in DEBUG mode, and
        # that may be a token sent with the wrong scheme.
        scheme, _space, token = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != self.openapi_scheme or not token:
            return None
        return self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str) -> Caller:
        access = token_access(request, token)
        if not self.allows(access.user):
            raise ApiError(403, str(self.refusal_text))
        return Caller(access)

    # What this API needs of the token's user; the cases API: handling cases (as on the staff pages, without
    # the permission anywhere a 403; a case of an organisation where the user does not handle cases is a 404,
    # meldpunt.cases.case_for). Other routers subclass and override both.
    refusal_text: Any = gettext_lazy("This account does not handle cases, so it cannot use the cases API.")

    def allows(self, user: Any) -> bool:
        return has_permission(user, Permission.HANDLE_CASES)


def token_access(request: HttpRequest, token: str) -> TokenAccess:
    """The access a bearer token gives, with the failure throttle per network: 429 while the network is
    refused, 401 (and a counted failure) for a token that is not valid."""
    throttle = failure_throttle()
    network = client_key(request)
    refusal = throttle.refusal(network)
    if refusal is not None:
        raise ApiError(
            429,
            ngettext(
                "Too many wrong API tokens were sent from your network. Try again in %(minutes)d minute.",
                "Too many wrong API tokens were sent from your network. Try again in %(minutes)d minutes.",
                refusal.minutes,
            )
            % {"minutes": refusal.minutes},
            headers={"Retry-After": str(refusal.retry_after)},
        )
    try:
        return api_tokens.authenticate(token)
    except TokenRefused as refused:
        throttle.fail(network)
        raise ApiError(
            401,
            str(refused),
            code=str(refused.reason),
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from None
