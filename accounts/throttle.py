"""Counting failed attempts and refusing further ones for a while: logins, 2FA codes, later receipt codes.

A `Throttle` allows at most `limit` failures per key within a sliding window of `window_seconds`. Callers ask
`refusal(key)` BEFORE checking the secret (a refused attempt is not checked at all, so guessing goes no
faster by trying harder), record `fail(key)` when the secret was wrong and may `reset(key)` on success.

Keys are stored as HMAC-SHA256 with SECRET_KEY, so the table never holds an account name or an address.
Failures are rows in the database, so the count holds across processes and restarts.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import ThrottleFailure

LOGIN_ACCOUNT_SCOPE = "login.account"
LOGIN_CLIENT_SCOPE = "login.client"
TWO_FACTOR_SCOPE = "two_factor.user"


def key_hash(scope: str, key: str) -> str:
    message = f"{scope}\x00{key}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is refused and for how long: `retry_after` seconds from now."""

    scope: str
    retry_after: int

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


@dataclass(frozen=True)
class Throttle:
    scope: str
    limit: int
    window_seconds: int

    @property
    def window(self) -> timedelta:
        return timedelta(seconds=self.window_seconds)

    def refusal(self, key: str, *, now: datetime | None = None) -> Refusal | None:
        """A Refusal when `key` already has `limit` failures within the window, else None."""
        now = now or timezone.now()
        recent = list(
            ThrottleFailure.objects.filter(
                scope=self.scope, key_hash=key_hash(self.scope, key), created_at__gt=now - self.window
            )
            .order_by("-created_at")
            .values_list("created_at", flat=True)[: self.limit]
        )
        if len(recent) < self.limit:
            return None
        # Attempts are allowed again once the limit-th most recent failure has left the window.
        free_at = recent[self.limit - 1] + self.window
        return Refusal(self.scope, max(1, math.ceil((free_at - now).total_seconds())))

    def fail(self, key: str, *, now: datetime | None = None) -> None:
        now = now or timezone.now()
        ThrottleFailure.objects.create(scope=self.scope, key_hash=key_hash(self.scope, key), created_at=now)
        self.prune(now=now)

    def reset(self, key: str) -> None:
        ThrottleFailure.objects.filter(scope=self.scope, key_hash=key_hash(self.scope, key)).delete()

    def prune(self, *, now: datetime | None = None) -> int:
        """Delete this scope's failures that have left the window; they can never count again."""
        now = now or timezone.now()
        deleted, _counts = ThrottleFailure.objects.filter(
            scope=self.scope, created_at__lte=now - self.window
        ).delete()
        return deleted


# Built on each call so that changed settings (tests, a reloaded configuration) take effect.
def login_account_throttle() -> Throttle:
    return Throttle(LOGIN_ACCOUNT_SCOPE, settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_FAILURE_WINDOW_SECONDS)


def login_client_throttle() -> Throttle:
    return Throttle(
        LOGIN_CLIENT_SCOPE, settings.LOGIN_CLIENT_FAILURE_LIMIT, settings.LOGIN_FAILURE_WINDOW_SECONDS
    )


def two_factor_throttle() -> Throttle:
    return Throttle(TWO_FACTOR_SCOPE, settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_FAILURE_WINDOW_SECONDS)


def account_key(username: str) -> str:
    """Case and surrounding space do not make a new account name to guess against."""
    return username.strip().casefold()
