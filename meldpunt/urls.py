from django.urls import path
from django.utils.translation import gettext_lazy as _

from meldpunt import views

app_name = "meldpunt"
urlpatterns = [
    path("", views.report_form, name="report"),
    path(_("from-plan/"), views.report_prefilled, name="report_prefilled"),
    path(_("follow-up/"), views.followup_login, name="followup_login"),
    path(_("follow-up/report/"), views.followup_report, name="followup"),
    path(_("follow-up/reply/"), views.followup_reply, name="followup_reply"),
    path(_("follow-up/files/"), views.followup_files, name="followup_files"),
    path(_("follow-up/export.json"), views.followup_export_json, name="followup_export_json"),
    path(_("follow-up/export.zip"), views.followup_export_zip, name="followup_export_zip"),
    path(_("follow-up/log-out/"), views.followup_logout, name="followup_logout"),
    path(_("follow-up/delete/"), views.followup_erase, name="followup_erase"),
]
