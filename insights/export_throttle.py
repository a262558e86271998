"""A rate limit on public exports: a large selection is many megabytes read and written, so each network
may make INSIGHTS_EXPORT_RATE_LIMIT exports per hour (DEFAULT_RATE_LIMIT when the setting is absent).

Counted as guidance.pdf counts plans: per network (the /24 or /48 of meldpunt.followup.client_key, kept only
as an HMAC with SECRET_KEY) in Django's cache, in fixed windows of an hour, so no row in the database says
that someone on this network downloaded figures. Staff who may analyse data are not limited, nor is the
metadata of an export (a small JSON document).
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from accounts.throttle import key_hash
from meldpunt.followup import client_key

DEFAULT_RATE_LIMIT = 60
WINDOW_SECONDS = 60 * 60
_SCOPE = "insights.export"


def rate_limit() -> int:
    return int(getattr(settings, "INSIGHTS_EXPORT_RATE_LIMIT", DEFAULT_RATE_LIMIT))


def _window_key(request: HttpRequest, now: float) -> tuple[str, int]:
    window = int(now // WINDOW_SECONDS)
    return f"{_SCOPE}:{key_hash(_SCOPE, client_key(request))}:{window}", window


def retry_after(request: HttpRequest, *, now: float | None = None) -> int | None:
    """Seconds until this network may export again, or None when it may now."""
    now = time.time() if now is None else now
    key, window = _window_key(request, now)
    if int(cache.get(key, 0)) < rate_limit():
        return None
    return max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))


def count(request: HttpRequest, *, now: float | None = None) -> None:
    key, _window = _window_key(request, time.time() if now is None else now)
    if not cache.add(key, 1, timeout=WINDOW_SECONDS + 60):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=WINDOW_SECONDS + 60)
