"""Public report pages, under figures/reports/ (namespace `insights`): only published reports."""

from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _

from insights import report_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", report_views.public_reports, name="reports"),
    path("<int:pk>/", report_views.public_report, name="report"),
    path("<int:pk>/pdf/", report_views.public_report_pdf, name="report_pdf"),
    path(
        _("<int:pk>/charts/<slug:key>.<slug:extension>"),
        report_views.public_report_chart,
        name="report_chart",
    ),
]
