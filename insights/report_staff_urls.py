"""Staff report pages, under staff/insights/reports/ (namespace `insights_staff`): Permission.ANALYSE_DATA."""

from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _

from insights import report_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", report_views.staff_reports, name="reports"),
    path(_("new/"), report_views.report_new, name="report_new"),
    path("<int:pk>/", report_views.staff_report, name="report"),
    path(_("<int:pk>/document/"), report_views.staff_document, name="report_document"),
    path("<int:pk>/pdf/", report_views.staff_report_pdf, name="report_pdf"),
    path(
        _("<int:pk>/charts/<slug:key>.<slug:extension>"),
        report_views.staff_report_chart,
        name="report_chart",
    ),
    path(_("<int:pk>/rebuild/"), report_views.report_rebuild, name="report_rebuild"),
    path(_("<int:pk>/publish/"), report_views.report_publish, name="report_publish"),
]
