"""Background task of the facilities: the proximity check after the incidents or the facilities changed.

A linkage run, a merge or a split sends registry.signals.incidents_changed (facilities.receivers asks for a
check here); so does an import of facilities. One waiting check is enough: asking again while one waits
adds nothing. `zorgveilig check_proximity` runs the same check by hand.
"""

from __future__ import annotations

from typing import Any

from django.tasks import TaskContext, task
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jobs import progress, registry


@task(takes_context=True)
def check_proximity(context: TaskContext) -> dict[str, Any]:
    """Link every located incident to the facilities within the set distance (facilities.proximity)."""
    from facilities import proximity

    progress.report(context, 0, 1, force=True)
    result = proximity.check()
    progress.report(context, 1, 1, force=True)
    return {
        "status": "done",
        "distance_m": result.distance_m,
        "incidents": result.incidents_checked,
        "facilities": result.facilities,
        "links": result.links,
        "flagged": result.flagged,
    }


def request_check() -> bool:
    """Queue a proximity check unless one is already waiting; True when one was queued."""
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(task_path=check_proximity.module_path, status="READY")
    if waiting.exists():
        return False
    check_proximity.enqueue()
    return True


def describe_check(value: Any) -> str:
    if not isinstance(value, dict) or value.get("status") != "done":
        return ""
    return _(
        "%(links)s incidents near facilities (within %(distance)s m), %(flagged)s at notified facilities"
    ) % {
        "links": value.get("links", 0),
        "distance": value.get("distance_m", 0),
        "flagged": value.get("flagged", 0),
    }


registry.register(check_proximity, gettext_lazy("Check incidents near medical facilities"), describe_check)
