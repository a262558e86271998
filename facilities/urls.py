"""The facility pages for staff, under staff/facilities/ (see facilities/views.py)."""

from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _

from facilities import views

app_name = "facilities"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.facility_list, name="list"),
    path(_("new/"), views.facility_new, name="new"),
    path(_("import/"), views.facility_import, name="import"),
    path(_("check-proximity/"), views.proximity_check, name="check_proximity"),
    path("<int:pk>/", views.facility_detail, name="detail"),
    path(_("<int:pk>/edit/"), views.facility_edit, name="edit"),
    path(_("<int:pk>/status/"), views.facility_status, name="status"),
    path(_("parties/"), views.party_list, name="parties"),
    path(_("parties/new/"), views.party_form, name="party_new"),
    path(_("parties/<int:pk>/"), views.party_form, name="party_edit"),
    path(_("notifications/"), views.notification_list, name="notifications"),
    path(_("notifications/new/"), views.notification_new, name="notification_new"),
    path(_("notifications/<int:pk>/"), views.notification_detail, name="notification"),
    path(_("notifications/<int:pk>/package/"), views.notification_package, name="notification_package"),
    path(_("notifications/<int:pk>/sent/"), views.notification_sent, name="notification_sent"),
    path(
        _("notifications/<int:pk>/acknowledge/"),
        views.notification_acknowledge,
        name="notification_acknowledge",
    ),
]
