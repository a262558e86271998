"""URL patterns (filled in by the part that owns this module)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
