"""The mapping profile pages (sources/profile_views.py), included by sources/urls.py in the "sources"
namespace under staff/data/."""

from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _

from sources import profile_views

urlpatterns: list[URLPattern | URLResolver] = [
    path(_("profiles/"), profile_views.profile_list, name="profile_list"),
    # Outside profiles/ so that no profile code can shadow them, in any language.
    path(_("new-profile/"), profile_views.profile_new, name="profile_new"),
    path(_("load-profile/"), profile_views.profile_upload, name="profile_upload"),
    path(_("profiles/<slug:slug>/"), profile_views.profile_detail, name="profile_detail"),
    path(_("profiles/<slug:slug>/edit/"), profile_views.profile_edit, name="profile_edit"),
    path(_("profiles/<slug:slug>/preview/"), profile_views.profile_preview, name="profile_preview"),
    path(_("profiles/<slug:slug>/delete/"), profile_views.profile_delete, name="profile_delete"),
    path(_("profiles/<slug:slug>.yaml"), profile_views.profile_yaml, name="profile_yaml"),
]
