"""The incident pages for analysts, under staff/incidents/ (see registry/views.py). Splitting and merging an
incident are posted to linkage (linkage/urls.py), which records the reviewer's decisions."""

from django.urls import URLPattern, URLResolver, path

from registry import views

app_name = "registry"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.incident_list, name="list"),
    path("<int:pk>/", views.incident_detail, name="detail"),
]
