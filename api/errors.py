"""One shape for every error the API returns: `{"detail": "...", "errors": {"field": ["message", ...]}}`.

`detail` says what went wrong in a sentence; `errors` names the fields (empty when no field is to blame).
A few answers add a key: 409 on a stale case adds the case's current `version` and `status`, 401 adds a
`code` saying why a token was refused. Messages are translated (Dutch by default, see api.api).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from meldpunt.cases import NoKey, StaleCase

if TYPE_CHECKING:
    from ninja import NinjaAPI

Errors = dict[str, list[str]]
NON_FIELD = "__all__"


class ApiError(Exception):
    """Raised by the API's own code for any answer other than success."""

    def __init__(
        self,
        http_status: int,
        detail: str,
        *,
        errors: Errors | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        self.status = http_status
        self.detail = detail
        self.errors = errors or {}
        self.headers = dict(headers or {})
        self.extra = extra
        super().__init__(detail)


def error_body(detail: str, errors: Errors | None = None, **extra: Any) -> dict[str, Any]:
    return {"detail": detail, "errors": errors or {}, **extra}


def field_errors(error: DjangoValidationError) -> Errors:
    """A Django ValidationError as field -> messages (errors without a field under "__all__")."""
    if hasattr(error, "error_dict"):
        return {
            field: [str(message) for message in messages] for field, messages in error.message_dict.items()
        }
    return {NON_FIELD: [str(message) for message in error.messages]}


def form_errors(form: Any) -> Errors:
    return {field: [str(message) for message in messages] for field, messages in form.errors.items()}


def invalid_input(errors: Errors) -> ApiError:
    return ApiError(400, _("The request has errors: see the fields named in “errors”."), errors=errors)


_PYDANTIC_MESSAGES = {
    "missing": lambda: _("This field is required."),
    "int_parsing": lambda: _("Enter a whole number."),
    "int_type": lambda: _("Enter a whole number."),
    "int_from_float": lambda: _("Enter a whole number."),
    "string_type": lambda: _("Enter text."),
    "bool_parsing": lambda: _("Enter true or false."),
    "bool_type": lambda: _("Enter true or false."),
}


def _pydantic_errors(errors: list[dict[str, Any]]) -> Errors:
    """ninja's validation errors (pydantic's, in English) as field -> translated messages."""
    result: Errors = {}
    for error in errors:
        location = [
            str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "payload")
        ]
        field = location[-1] if location else NON_FIELD
        message = _PYDANTIC_MESSAGES.get(str(error.get("type")), lambda: _("This value is not valid."))()
        result.setdefault(field, [])
        if message not in result[field]:
            result[field].append(message)
    return result


def install(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, error: ApiError) -> HttpResponse:
        response = api.create_response(
            request, error_body(error.detail, error.errors, **error.extra), status=error.status
        )
        for name, value in error.headers.items():
            response[name] = value
        return response

    def on_api_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, exc)

    def on_ninja_validation(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, invalid_input(_pydantic_errors(exc.errors)))

    def on_django_validation(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, invalid_input(field_errors(exc)))

    def on_http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        if isinstance(exc, AuthenticationError):
            return respond(
                request,
                ApiError(
                    401,
                    _("This needs an API token, sent as the header “Authorization: Bearer zv_…”."),
                    headers={"WWW-Authenticate": "Bearer"},
                ),
            )
        if exc.status_code == 400:
            # ninja's own words for a body it cannot parse
            return respond(request, ApiError(400, _("The request body cannot be read: send valid JSON.")))
        return respond(request, ApiError(exc.status_code, str(exc)))

    def on_not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, ApiError(404, _("Not found.")))

    def on_permission_denied(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, ApiError(403, _("You may not do this.")))

    def on_stale(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(
            request,
            ApiError(409, str(exc), version=exc.report.version, status=exc.report.status),
        )

    def on_no_key(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, ApiError(403, str(exc), code="no_key"))

    api.add_exception_handler(ApiError, on_api_error)
    api.add_exception_handler(NinjaValidationError, on_ninja_validation)
    api.add_exception_handler(DjangoValidationError, on_django_validation)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(PermissionDenied, on_permission_denied)
    api.add_exception_handler(StaleCase, on_stale)
    api.add_exception_handler(NoKey, on_no_key)
