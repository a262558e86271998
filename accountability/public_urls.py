"""The public accountability figure, under figures/accountability/ (see accountability/views.py)."""

from django.urls import URLPattern, URLResolver, path

from accountability import views

app_name = "accountability_public"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.public_figure, name="figure"),
]
