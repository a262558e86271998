"""Mounted at /api/ in zorgveilig/urls.py, outside the translated patterns; one entry per API version."""

from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, path, re_path
from django.utils.translation import gettext as _

from api.api import api, in_request_language
from api.errors import error_body


@in_request_language
def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Any other address under /api/: JSON like every other API answer, not the site's HTML page."""
    return JsonResponse(error_body(_("Not found.")), status=404)


urlpatterns: list[URLPattern | URLResolver] = [
    path("v1/", api.urls),
    re_path(r"^(?P<rest>.*)$", not_found),
]
