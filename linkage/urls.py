"""The linkage pages for analysts, under staff/linkage/ (see linkage/views.py)."""

from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _

from linkage import run_views, views

app_name = "linkage"

urlpatterns: list[URLPattern | URLResolver] = [
    path(_("review/"), views.review_queue, name="review"),
    path(_("review/<int:pk>/"), views.review_pair, name="pair"),
    path(_("review/<int:pk>/decide/"), views.decide_pair, name="decide"),
    path(_("incidents/<int:pk>/split/"), views.split_incident, name="split"),
    path(_("incidents/<int:pk>/merge/"), views.merge_incident, name="merge"),
    path(_("counts/"), views.counts, name="counts"),
    path(_("runs/"), run_views.runs, name="runs"),
    path(_("runs/start/"), run_views.start, name="start"),
    path(_("runs/<int:pk>/"), run_views.run_detail, name="run"),
]
