"""The map of attacks on health care, under figures/map/ (see insights/map_views.py)."""

from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _

from insights import map_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", map_views.map_page, name="map"),
    path(_("points/"), map_views.map_points, name="map_points"),
    path(_("countries/"), map_views.map_countries, name="map_countries"),
    path(_("image/<str:image_format>/"), map_views.map_image, name="map_image"),
]
