"""Background tasks of the linkage app, imported at start-up by jobs.apps so the tasks page knows them."""

from __future__ import annotations

from typing import Any

from django.tasks import TaskContext, task
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jobs import progress, registry


@task(takes_context=True)
def run_linkage(context: TaskContext, run_id: int) -> dict[str, Any]:
    """Do a queued linkage run (linkage.actions.run); the run page shows its stage as it goes."""
    # Imported here: every process loads the tasks modules at start-up, and Splink, DuckDB and SciPy are
    # heavy for processes that never link (an import, the web server).
    from linkage import actions

    def on_stage(stage: str) -> None:
        done = actions.STAGES.index(stage) if stage in actions.STAGES else 0
        progress.report(context, done, len(actions.STAGES))

    progress.report(context, 0, len(actions.STAGES), force=True)
    try:
        finished = actions.run(run_id, on_stage)
    except Exception as error:
        return {"status": "failed", "run": run_id, "error": f"{type(error).__name__}: {error}"[:500]}
    progress.report(context, len(actions.STAGES), len(actions.STAGES), force=True)
    figures = finished.figures
    return {
        "status": "done",
        "run": run_id,
        "records": int(figures.get("records", 0)),
        "incidents": int(figures.get("clusters", 0)),
        "review": int(figures.get("review_queue", 0)),
    }


def describe_run(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    if value.get("status") == "done":
        return _("Linked %(records)s records into %(incidents)s incidents; %(review)s pairs to review") % {
            key: number_format(int(value.get(key) or 0), force_grouping=True)
            for key in ("records", "incidents", "review")
        }
    if value.get("status") == "failed":
        return _("Linkage failed: %(error)s") % {"error": value.get("error", "")}
    return ""


registry.register(run_linkage, gettext_lazy("Link records into incidents"), describe_run)
