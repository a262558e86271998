"""The public pages of the action framework (included at _("action-framework/"), namespace "guidance")."""

from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from guidance import site_views

app_name = "guidance"
urlpatterns: list[URLPattern] = [
    path("", site_views.index, name="index"),
    path(_("kinds-of-incident/"), site_views.kind_index, name="kinds"),
    path(_("kinds-of-incident/<slug:kind>/"), site_views.kind_detail, name="kind"),
    path(_("professions/"), site_views.profession_index, name="professions"),
    path(_("professions/<slug:profession>/"), site_views.profession_detail, name="profession"),
    path(_("boundaries/"), site_views.boundaries, name="boundaries"),
]
