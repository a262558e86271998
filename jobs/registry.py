"""The background tasks the staff pages know by name.

Each app registers its tasks in its own ``tasks`` module (imported at start-up by JobsConfig.ready), with a
translatable label and, optionally, a function that turns the task's return value into a short outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.tasks import Task
from django.utils.functional import Promise
from django.utils.translation import gettext as _

Describe = Callable[[Any], str]


@dataclass(frozen=True)
class KnownTask:
    path: str
    label: str | Promise
    describe: Describe | None = None


_known: dict[str, KnownTask] = {}


def register(task: Task, label: str | Promise, describe: Describe | None = None) -> Task:
    """Make `task` known to the tasks page as `label` (use gettext_lazy); returns the task unchanged."""
    _known[task.module_path] = KnownTask(task.module_path, label, describe)
    return task


def known_task(path: str) -> KnownTask | None:
    return _known.get(path)


def label_for(path: str) -> str:
    known = _known.get(path)
    if known is not None:
        return str(known.label)
    return _("Unknown task (%(name)s)") % {"name": path.rsplit(".", 1)[-1]}


def describe_outcome(path: str, return_value: Any) -> str:
    known = _known.get(path)
    if known is not None and known.describe is not None:
        return known.describe(return_value)
    return _("Finished")
