"""The reporter's follow-up with a receipt code: throttled login, and an unlocked state split in two halves.

After a correct code the report key is sealed with a fresh random key. The sealed key goes into the server
session, the random key into an HttpOnly, SameSite=Strict cookie (FOLLOWUP_COOKIE). Neither half opens the
report alone: a copy of the database with its sessions holds only the sealed half, and the cookie alone is
a random string. Neither the receipt code nor a key derived from it is kept anywhere.

No session exists before this login: the report form and the login page create none (the CSRF cookie they
set is a random token that identifies nobody). The follow-up ends after IDLE_SECONDS without a request, or
on "Log out".
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import time
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from accounts.throttle import Refusal, Throttle
from audit.chain import record
from meldpunt import sealing
from meldpunt.models import Report
from zorgveilig import crypto

SESSION_KEY = "meldpunt_followup"
FOLLOWUP_COOKIE = "zv_followup"
IDLE_SECONDS = 30 * 60

RECEIPT_CLIENT_SCOPE = "meldpunt.receipt.client"
RECEIPT_GLOBAL_SCOPE = "meldpunt.receipt.all"
RECEIPT_WINDOW_SECONDS = 15 * 60


def receipt_client_throttle() -> Throttle:
    return Throttle(
        RECEIPT_CLIENT_SCOPE,
        int(getattr(settings, "MELDPUNT_RECEIPT_FAILURE_LIMIT", 5)),
        RECEIPT_WINDOW_SECONDS,
    )


def receipt_global_throttle() -> Throttle:
    # A ceiling over all clients together: guessing spread over many addresses is slowed down too. The price
    # is that a flood of wrong codes can lock every reporter out for a quarter of an hour; with 80-bit codes
    # the ceiling is a second line, so it is set well above what reporters ever produce.
    return Throttle(
        RECEIPT_GLOBAL_SCOPE,
        int(getattr(settings, "MELDPUNT_RECEIPT_GLOBAL_FAILURE_LIMIT", 300)),
        RECEIPT_WINDOW_SECONDS,
    )


GLOBAL_KEY = "all"


def client_key(request: HttpRequest) -> str:
    """What identifies a client for throttling, without keeping its address.

    Throttle stores only an HMAC of the key (with SECRET_KEY), never the key. But whoever has the database AND
    the settings could compute that HMAC for every IPv4 address and find the address of someone who mistyped a
    receipt code. So only the network is used (IPv4 /24, IPv6 /48): what such a search could find at most is
    a provider's block, shared by many people. The rows also disappear once they have left the 15-minute
    window (Throttle.prune).
    """
    raw = request.META.get("REMOTE_ADDR", "")
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return "unknown"
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def refusal(request: HttpRequest) -> Refusal | None:
    return receipt_client_throttle().refusal(client_key(request)) or receipt_global_throttle().refusal(
        GLOBAL_KEY
    )


def record_failure(request: HttpRequest) -> None:
    receipt_client_throttle().fail(client_key(request))
    receipt_global_throttle().fail(GLOBAL_KEY)


def find_report(code: str) -> tuple[Report, bytes] | None:
    """The report and its key for a typed receipt code, or None (malformed, unknown or not opening)."""
    canonical = crypto.normalise_receipt_code(code)
    if canonical is None:
        return None
    report = (
        Report.objects.select_related("organisation")
        .filter(receipt_lookup=crypto.receipt_lookup_hash(canonical))
        .first()
    )
    if report is None:
        return None
    data_key = sealing.unlock_with_receipt(report, canonical)
    return (report, data_key) if data_key is not None else None


def _session_context(report_id: int) -> str:
    return f"followup:{report_id}"


def start(request: HttpRequest, response: HttpResponse, report: Report, data_key: bytes) -> None:
    """Begin the follow-up: a new session holding the sealed report key, the cookie holding its key."""
    cookie_key = crypto.new_data_key()
    request.session.flush()  # a fresh session key: nothing from before carries over
    request.session[SESSION_KEY] = {
        "report_id": report.pk,
        "sealed_key": base64.b64encode(
            crypto.seal(cookie_key, data_key, context=_session_context(report.pk))
        ).decode(),
        "last_seen": int(time.time()),
    }
    response.set_cookie(
        FOLLOWUP_COOKIE,
        base64.urlsafe_b64encode(cookie_key).decode(),
        httponly=True,
        samesite="Strict",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    record("meldpunt.receipt_login", actor=None, target=report, organisation=report.organisation)


@dataclass(frozen=True)
class Unlocked:
    report: Report
    key: bytes


def current(request: HttpRequest) -> Unlocked | None:
    """The report and key of this follow-up, or None (no follow-up, idle too long, or a half missing)."""
    state = request.session.get(SESSION_KEY)
    if not isinstance(state, dict):
        return None
    if int(time.time()) - int(state.get("last_seen", 0)) > IDLE_SECONDS:
        end(request)
        return None
    try:
        cookie_key = base64.urlsafe_b64decode(request.COOKIES.get(FOLLOWUP_COOKIE, "").encode())
        sealed_key = base64.b64decode(str(state["sealed_key"]).encode())
        report = Report.objects.select_related("organisation").get(pk=int(state["report_id"]))
        data_key = crypto.open_sealed(cookie_key, sealed_key, context=_session_context(report.pk))
    except (binascii.Error, KeyError, ValueError, TypeError, Report.DoesNotExist, crypto.DecryptionError):
        end(request)
        return None
    state["last_seen"] = int(time.time())
    request.session[SESSION_KEY] = state
    return Unlocked(report, data_key)


def end(request: HttpRequest, response: HttpResponse | None = None) -> None:
    request.session.flush()
    if response is not None:
        response.delete_cookie(FOLLOWUP_COOKIE, samesite="Strict")
