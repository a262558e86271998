"""The evidence pages, under staff/evidence/ (namespace evidence): see evidence/views.py."""

from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _

from evidence import views

app_name = "evidence"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.item_list, name="list"),
    path(_("add/"), views.upload, name="upload"),
    path(_("web-capture/"), views.web_capture, name="web_capture"),
    path(_("witness-statement/"), views.statement, name="statement"),
    path("<int:pk>/", views.item_detail, name="detail"),
    path(_("<int:pk>/file/"), views.item_file, name="file"),
    path(_("<int:pk>/hand-over/"), views.transfer, name="transfer"),
    path(_("bundles/"), views.bundle_list, name="bundles"),
    path(_("bundles/new/"), views.bundle_new, name="bundle_new"),
    path(_("bundles/<uuid:pk>/"), views.bundle_detail, name="bundle_detail"),
    path(_("keys/<slug:slug>.pem"), views.public_key, name="public_key"),
]
