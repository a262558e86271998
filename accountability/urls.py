"""The accountability pages for staff, under staff/accountability/ (see accountability/views.py)."""

from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _

from accountability import views

app_name = "accountability"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.investigation_list, name="list"),
    path(_("new/"), views.investigation_new, name="new"),
    path("<int:pk>/", views.investigation_detail, name="detail"),
    path(_("<int:pk>/edit/"), views.investigation_edit, name="edit"),
]
