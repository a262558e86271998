"""Progress reporting for background tasks, cheap enough to call once per item.

A task defined with ``@task(takes_context=True)`` calls ``report(context, done, total)`` as often as it
likes; a row is written at most every ``MIN_INTERVAL`` seconds per task, and always on completion, so a task
that handles 100,000 items writes a few dozen rows, not 100,000.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from jobs.models import TaskProgress

MIN_INTERVAL = 0.5

_last_write: dict[str, float] = {}
_lock = threading.Lock()


def _result_id(context: Any) -> str:
    return str(context.task_result.id)


def _due(result_id: str, *, finished: bool) -> bool:
    now = time.monotonic()
    with _lock:
        last = _last_write.get(result_id)
        if finished:
            _last_write.pop(result_id, None)
            return True
        if last is not None and now - last < MIN_INTERVAL:
            return False
        _last_write[result_id] = now
        return True


def report(
    context: Any, done: int, total: int, message: str = "", *, label: str = "", force: bool = False
) -> bool:
    """Record that `done` of `total` items are handled; return whether a row was written.

    `context` is the task's django.tasks.TaskContext. `message` and `label` must not hold content from
    reports or evidence: they are shown on the staff tasks page.
    """
    result_id = _result_id(context)
    finished = total > 0 and done >= total
    if not (force or _due(result_id, finished=finished)):
        return False
    if force:
        with _lock:
            _last_write[result_id] = time.monotonic()
    defaults: dict[str, Any] = {"done": max(0, done), "total": max(0, total), "message": message[:500]}
    if label:
        defaults["label"] = label[:200]
    TaskProgress.objects.update_or_create(result_id=result_id, defaults=defaults)
    return True


def progress_for(result_ids: list[str]) -> dict[str, TaskProgress]:
    """The progress rows of these task results, by result id (results without one are left out)."""
    rows = TaskProgress.objects.filter(result_id__in=[str(result_id) for result_id in result_ids])
    return {row.result_id: row for row in rows}
