"""A plan as a PDF, made with WeasyPrint from its own template, offline, and a rate limit on making them.

The PDF is rendered from guidance/wizard/plan_pdf.html (and plan_pdf.css beside it) with the system's fonts (fontconfig) and nothing from
the network: the URL fetcher refuses every address that is not a data: URL. A PDF takes a noticeable fraction of
a second of CPU, so each network (the /24 or /48 of meldpunt.followup.client_key, kept only as an HMAC) may
make GUIDANCE_PDF_RATE_LIMIT of them per hour. The count lives in Django's cache, not in the database: the
wizard leaves no row behind, not even one that says that someone on this network made a plan.
"""

from __future__ import annotations

import datetime
import functools
import math
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from accounts.throttle import key_hash
from meldpunt.followup import client_key

TEMPLATE = "guidance/wizard/plan_pdf.html"
STYLESHEET = Path(__file__).resolve().parent / "templates" / "guidance" / "wizard" / "plan_pdf.css"
DEFAULT_RATE_LIMIT = 30
WINDOW_SECONDS = 60 * 60
_SCOPE = "guidance.plan_pdf"


# WeasyPrint is imported on first use, not with the URL configuration: importing it parses its own stylesheets
# (and logs that), which every management command would otherwise pay for.
@functools.cache
def offline_fetcher_class() -> type[Any]:
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    class OfflineFetcher(URLFetcher):
        """Fetches data: URLs only; every other address (http, https, file, ftp) is refused."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols=("data",), allow_redirects=False)

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.lower().startswith("data:"):
                raise ValueError(f"ZorgVeilig makes PDFs offline and does not fetch {url}")
            return super().fetch(url, headers)

    return OfflineFetcher


def offline_fetcher() -> Any:
    return offline_fetcher_class()()


def plan_html(context: Mapping[str, Any]) -> str:
    """The HTML the PDF is made from, in the active language; `context` is wizard_views.plan_context()."""
    return render_to_string(TEMPLATE, dict(context))


def render(html: str) -> bytes:
    """The PDF of `html`: its <title> becomes the PDF's title and <html lang> its language."""
    from weasyprint import CSS, HTML  # type: ignore[import-untyped]

    fetcher = offline_fetcher()
    stylesheet = CSS(string=STYLESHEET.read_text(encoding="utf-8"), url_fetcher=fetcher)
    pdf: bytes = HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf(stylesheets=[stylesheet])
    return pdf


def filename(day: datetime.date) -> str:
    return _("zorgveilig-plan-%(date)s.pdf") % {"date": day.isoformat()}


# The rate limit ---------------------------------------------------------------------------------------------


def rate_limit() -> int:
    return int(getattr(settings, "GUIDANCE_PDF_RATE_LIMIT", DEFAULT_RATE_LIMIT))


def _window_key(request: HttpRequest, now: float) -> tuple[str, int]:
    window = int(now // WINDOW_SECONDS)
    return f"{_SCOPE}:{key_hash(_SCOPE, client_key(request))}:{window}", window


def refusal_minutes(request: HttpRequest, *, now: float | None = None) -> int | None:
    """Minutes until this network may make a PDF again, or None when it may now."""
    now = time.time() if now is None else now
    key, window = _window_key(request, now)
    if int(cache.get(key, 0)) < rate_limit():
        return None
    return max(1, math.ceil(((window + 1) * WINDOW_SECONDS - now) / 60))


def count(request: HttpRequest, *, now: float | None = None) -> None:
    key, _window = _window_key(request, time.time() if now is None else now)
    if not cache.add(key, 1, timeout=WINDOW_SECONDS + 60):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=WINDOW_SECONDS + 60)
