"""Exports under figures/export/: the page that explains them and builds links, and the download (see
insights/export_views.py)."""

from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _

from insights import export_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", export_views.exports_page, name="exports"),
    path(_("download/"), export_views.export_download, name="export"),
]
