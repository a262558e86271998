"""The public conflict dashboard and its comparisons, under figures/conflicts/."""

from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _

from insights import dashboard_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", dashboard_views.dashboard, name="dashboard"),
    path(_("sources/"), dashboard_views.sources, name="sources"),
    path(_("vintages/"), dashboard_views.vintages, name="vintages"),
]
