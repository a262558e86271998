"""Public pages of insights, under figures/ (the figures overview itself is zorgveilig.views.figures).

Each part has its own module of URL patterns; none sets an app_name, so every name is in `insights`.
"""

from django.urls import URLPattern, URLResolver, include, path
from django.utils.translation import gettext_lazy as _

app_name = "insights"

urlpatterns: list[URLPattern | URLResolver] = [
    path(_("conflicts/"), include("insights.dashboard_urls")),
    path(_("map/"), include("insights.map_urls")),
    path(_("netherlands/"), include("insights.dutch_urls")),
    path(_("reports/"), include("insights.report_urls")),
    path(_("export/"), include("insights.export_urls")),
]
