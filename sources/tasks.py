"""Background tasks of the sources app, imported at start-up by jobs.apps so the tasks page knows them."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.tasks import TaskContext, task
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from jobs import progress, registry
from sources import actions


@task(takes_context=True)
def import_dataset(context: TaskContext, request_id: int) -> dict[str, Any]:
    """Import the file of one ImportRequest (sources.actions.run_import_request)."""

    def on_progress(done: int, total: int | None) -> None:
        # Inside the import's transaction a progress row would stay invisible until the end; the import
        # page reads the progress file that sources.actions writes instead.
        if not connection.in_atomic_block:
            progress.report(context, done, total or 0)

    progress.report(context, 0, 0, force=True)
    outcome = actions.run_import_request(request_id, on_progress)
    rows = int(outcome.get("rows_imported") or 0)
    progress.report(context, rows, rows, force=True)
    return outcome


def _count(value: int) -> str:
    return number_format(value, force_grouping=True)


def describe_import(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    status = value.get("status")
    release = value.get("release")
    if status == "done":
        rows = int(value.get("rows_imported") or 0)
        text = ngettext(
            "Imported %(rows)s row as release %(release)s",
            "Imported %(rows)s rows as release %(release)s",
            rows,
        ) % {"rows": _count(rows), "release": release}
        quarantined = int(value.get("rows_quarantined") or 0)
        if quarantined:
            text += "; " + ngettext(
                "%(count)s row quarantined", "%(count)s rows quarantined", quarantined
            ) % {"count": _count(quarantined)}
        return text
    if status == "already_imported":
        return _("Already imported as release %(release)s; nothing changed") % {"release": release}
    if status == "failed":
        return _("Import failed: %(error)s") % {"error": value.get("error", "")}
    return ""


registry.register(import_dataset, gettext_lazy("Import a dataset file"), describe_import)
