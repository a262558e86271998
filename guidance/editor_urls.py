"""The overlay editor for profession editors, under staff/guidance/ (see guidance/editor_views.py)."""

from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from guidance import editor_views

app_name = "guidance_editor"

overlay_patterns = [
    path("", editor_views.overlay, name="overlay"),
    path(_("add-step/"), editor_views.add_step, name="add_step"),
    path(_("replace-text/"), editor_views.replace_text, name="replace_text"),
    path(_("hide-step/"), editor_views.hide_step, name="hide_step"),
    path(_("changes/<int:change_id>/"), editor_views.edit_change, name="edit_change"),
    path(_("changes/<int:change_id>/remove/"), editor_views.remove_change, name="remove_change"),
    path(_("preview/"), editor_views.preview, name="preview"),
    path(_("draft.yaml"), editor_views.export_draft, name="export_draft"),
    path(_("publish/"), editor_views.publish, name="publish"),
    path(_("versions/"), editor_views.versions, name="versions"),
    path(_("versions/<int:number>/"), editor_views.version, name="version"),
    path(_("versions/<int:number>/export.yaml"), editor_views.export_version, name="export_version"),
    path(_("versions/<int:number>/rollback/"), editor_views.rollback, name="rollback"),
    path(_("compare/"), editor_views.compare, name="compare"),
]

urlpatterns = [
    path("", editor_views.overlay_list, name="list"),
    path(_("new/"), editor_views.create, name="create"),
    path("<slug:profession>/", include(overlay_patterns)),
]
