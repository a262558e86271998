"""Staff pages of insights, under staff/insights/ (the report builder)."""

from django.urls import URLPattern, URLResolver, include, path
from django.utils.translation import gettext_lazy as _

app_name = "insights_staff"

urlpatterns: list[URLPattern | URLResolver] = [
    path(_("reports/"), include("insights.report_staff_urls")),
    path(_("analytics/"), include("insights.dashboard_staff_urls")),
]
