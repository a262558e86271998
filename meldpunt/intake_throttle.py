"""A rate limit on new reports, for the public form and the API: a flood of reports would bury the real ones.

Counted per network (the same /24 or /48 prefix as the receipt throttle, see followup.client_key, so no
address is kept) and over all clients together, within an hour. The limits are settings
(ZORGVEILIG_REPORT_RATE_LIMIT, ZORGVEILIG_REPORT_GLOBAL_RATE_LIMIT): a hospital's staff behind one address,
or a benchmark, may need more. Phone intake by staff is not limited.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from accounts.throttle import Refusal, Throttle
from meldpunt.followup import GLOBAL_KEY, client_key

CLIENT_SCOPE = "meldpunt.submission.client"
GLOBAL_SCOPE = "meldpunt.submission.all"
WINDOW_SECONDS = 60 * 60


def client_throttle() -> Throttle:
    return Throttle(CLIENT_SCOPE, int(settings.MELDPUNT_REPORT_RATE_LIMIT), WINDOW_SECONDS)


def global_throttle() -> Throttle:
    return Throttle(GLOBAL_SCOPE, int(settings.MELDPUNT_REPORT_GLOBAL_RATE_LIMIT), WINDOW_SECONDS)


def refusal(request: HttpRequest) -> Refusal | None:
    """A Refusal when this client's network, or everyone together, sent too many reports this hour."""
    return client_throttle().refusal(client_key(request)) or global_throttle().refusal(GLOBAL_KEY)


def count(request: HttpRequest) -> None:
    """Count a report that was taken (refused or invalid submissions do not count)."""
    client_throttle().fail(client_key(request))
    global_throttle().fail(GLOBAL_KEY)
