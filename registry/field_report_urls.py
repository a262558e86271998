"""The field-report pages, under staff/field-reports/ (registry/field_report_views.py)."""

from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _

from registry import field_report_views as views

app_name = "field_reports"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.report_list, name="list"),
    path(_("new/"), views.new_report, name="new"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path(_("<int:pk>/edit/"), views.edit_report, name="edit"),
    path(_("<int:pk>/submit/"), views.submit_report, name="submit"),
]
