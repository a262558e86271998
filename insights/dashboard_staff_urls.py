"""Staff actions on the analytics database, under staff/insights/analytics/."""

from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _

from insights import dashboard_views

urlpatterns: list[URLPattern | URLResolver] = [
    path(_("refresh/"), dashboard_views.refresh, name="refresh"),
]
