"""The dataset pages for analysts, under staff/data/ (see sources/views.py)."""

from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _

from sources import profile_urls, views

app_name = "sources"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.releases, name="releases"),
    path(_("releases/<int:pk>/"), views.release_detail, name="release"),
    path(_("releases/<int:pk>/records/"), views.release_records, name="release_records"),
    path(
        _("releases/<int:pk>/differences/<slug:kind>/"), views.release_differences, name="release_differences"
    ),
    path(_("releases/<int:pk>/quarantine/"), views.release_quarantine, name="release_quarantine"),
    path(_("releases/<int:pk>/quarantine.csv"), views.quarantine_csv, name="quarantine_csv"),
    path(_("import/"), views.import_form, name="import"),
    path(_("imports/"), views.import_requests, name="import_requests"),
    path(_("imports/<int:pk>/"), views.import_request, name="import_request"),
]
# The mapping profiles (sources/profile_urls.py) share the namespace.
urlpatterns += profile_urls.urlpatterns
