"""The public statistics of the Dutch report point, under figures/netherlands/."""

from django.urls import URLPattern, URLResolver, path

from insights import dutch_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", dutch_views.dutch, name="dutch"),
]
