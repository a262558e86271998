"""Background tasks of insights: keeping the analytics database up to date (insights.analytics_db).

Imports, linkage runs, incident edits and new meldpunt reports ask for a refresh of the part they changed
(insights.receivers). A request waits as one queued task per set of parts: asking again while one waits adds
nothing, and meldpunt reports are gathered for a minute, so a busy day makes a few builds, not thousands.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.tasks import TaskContext, task
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jobs import progress, registry

GATHER_REPORTS = datetime.timedelta(seconds=60)


@task(takes_context=True)
def refresh_analytics(context: TaskContext, parts: list[str] | None = None) -> dict[str, Any]:
    """Build the analytics database again from the parts named (all when none)."""
    from insights import analytics_db

    def step(label: str, done: int, total: int) -> None:
        progress.report(context, done, total, force=True)

    try:
        built = analytics_db.build(parts, progress=step)
    except analytics_db.AnalyticsError as error:
        return {"status": "failed", "error": str(error)[:500]}
    return {
        "status": "done",
        "parts": list(built.parts),
        "records": built.records,
        "incidents": built.incidents,
        "nl_reports": built.nl_reports,
        "seconds": round(built.seconds, 1),
    }


def request_refresh(parts: Iterable[str], *, gather: datetime.timedelta | None = None) -> bool:
    """Queue a refresh of `parts` unless the same refresh is already waiting; True when one was queued."""
    from django_tasks_db.models import DBTaskResult

    wanted = sorted(set(parts))
    waiting = DBTaskResult.objects.filter(
        task_path=refresh_analytics.module_path, status="READY", args_kwargs__kwargs__parts=wanted
    )
    if waiting.exists():
        return False
    chosen = (
        refresh_analytics if gather is None else refresh_analytics.using(run_after=timezone.now() + gather)
    )
    chosen.enqueue(parts=wanted)
    return True


def describe_refresh(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    if value.get("status") == "done":
        return _(
            "Analytics database rebuilt: %(records)s records, %(incidents)s incidents in %(seconds)s s"
        ) % {
            "records": value.get("records", 0),
            "incidents": value.get("incidents", 0),
            "seconds": value.get("seconds", 0),
        }
    if value.get("status") == "failed":
        return _("Analytics database not rebuilt: %(error)s") % {"error": value.get("error", "")}
    return ""


registry.register(refresh_analytics, gettext_lazy("Refresh the analytics database"), describe_refresh)

# The report builder's task lives with the reports; importing it here registers it at start-up.
from insights import report_tasks  # noqa: E402, F401
