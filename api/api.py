"""The API, version 1, at /api/v1/ (outside the translated URL patterns: machines need fixed addresses).

- Answers are JSON and never cached (`Cache-Control: no-store`): they carry receipt codes and case content.
- Messages are in Dutch unless the request asks otherwise with Accept-Language (or the language cookie):
  the site's LocaleMiddleware gives every address without a language prefix the default language, so the
  API chooses the language itself (`in_request_language`).
- The OpenAPI document is at /api/v1/openapi.json; the docs page /api/v1/docs is Swagger UI from the
  files shipped with django-ninja ("ninja" is in INSTALLED_APPS, so nothing comes from a CDN), started by
  ninja's own script file rather than an inline script, so the site's CSP holds.

docs/api.md is the guide for clients.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_cache_control
from ninja import NinjaAPI, Swagger

from api import accountability, cases, errors, evidence, facilities, field_reports, insights, reports


class ZorgVeiligApi(NinjaAPI):
    def create_response(self, request: HttpRequest, data: Any, **kwargs: Any) -> HttpResponse:
        response = super().create_response(request, data, **kwargs)
        patch_cache_control(response, no_store=True, private=True)
        return response


def in_request_language(run: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(run)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        language = translation.get_language_from_request(request, check_path=False)
        with translation.override(language):
            response = run(request, *args, **kwargs)
        response.setdefault("Content-Language", language)
        return response

    return wrapped


api = ZorgVeiligApi(
    title="ZorgVeilig API",
    version="1",
    description=(
        "Reports to the meldpunt (public), case handling with a case handler's API token, and the "
        "figures on attacks on health care (public aggregates). "
        "See docs/api.md in the source for examples."
    ),
    urls_namespace="api-v1",
    # The validator badge would call a server elsewhere; the CSP would block it anyway.
    docs=Swagger(settings={"validatorUrl": None}),
)
errors.install(api)
api.add_decorator(in_request_language, mode="view")
api.add_router("/reports", reports.router)
api.add_router("/cases", cases.router)
api.add_router("/insights", insights.router)
api.add_router("/field-reports", field_reports.router)
api.add_router("/evidence", evidence.router)
api.add_router("/facilities", facilities.router)
api.add_router("/accountability", accountability.router)
