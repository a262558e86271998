"""Password login with throttling and an audit trail; the login view and tests call `attempt_login`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import authenticate, get_user_model, update_session_auth_hash
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.forms import PasswordChangeForm
from django.db import transaction
from django.http import HttpRequest

from accounts import keys, throttle
from accounts.throttle import Refusal
from audit.chain import record


@dataclass(frozen=True)
class LoginOutcome:
    user: Any = None
    refusal: Refusal | None = None

    @property
    def succeeded(self) -> bool:
        return self.user is not None


def client_key(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is set by whoever sends the request. Behind a proxy, the proxy
    # must set REMOTE_ADDR (gunicorn does with --forwarded-allow-ips).
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _existing_user(username: str) -> Any:
    user_model = get_user_model()
    return user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()


def attempt_login(
    request: HttpRequest, username: str, password: str, *, now: datetime | None = None
) -> LoginOutcome:
    """Log in with a password unless the account or the client has too many recent failures.

    When refused, the password is not checked at all. A failure is recorded for both the account name
    (whether or not it exists, so the throttle does not reveal which accounts exist) and the client.
    """
    account_throttle = throttle.login_account_throttle()
    client_throttle = throttle.login_client_throttle()
    account = throttle.account_key(username)
    client = client_key(request)
    existing = _existing_user(username)

    refusal = account_throttle.refusal(account, now=now) or client_throttle.refusal(client, now=now)
    if refusal is not None:
        record("accounts.login_throttled", target=existing, details={"scope": refusal.scope})
        return LoginOutcome(refusal=refusal)

    user = authenticate(request, username=username, password=password)
    if user is None:
        with transaction.atomic():
            account_throttle.fail(account, now=now)
            client_throttle.fail(client, now=now)
            # The name typed is never logged: for an account that does not exist it may be a password typed
            # into the wrong field, or someone's real name.
            record("accounts.login_failed", target=existing, details={"known_account": existing is not None})
        return LoginOutcome()

    with transaction.atomic():
        account_throttle.reset(account)
        auth_login(request, user)
        record("accounts.login", actor=user, target=user)
    # Outside the transaction above: Argon2id takes a moment, and SQLite holds its write lock meanwhile.
    # The view must pass its response to keys.apply_cookie.
    keys.unlock(request, user, password)
    return LoginOutcome(user=user)


def log_out(request: HttpRequest) -> None:
    user = request.user
    if user.is_authenticated:
        record("accounts.logout", actor=user, target=user)
    auth_logout(request)
    keys.forget(request)  # the view must pass its response to keys.apply_cookie


def change_password(request: HttpRequest, form: PasswordChangeForm) -> None:
    """Save a valid password change and keep this session logged in (other sessions are logged out)."""
    with transaction.atomic():
        user = form.save()
        keys.change_password(
            request, user, form.cleaned_data["old_password"], form.cleaned_data["new_password1"]
        )
        update_session_auth_hash(request, user)
        record("accounts.password_changed", actor=user, target=user)
