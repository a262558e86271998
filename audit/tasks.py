"""Background tasks of the audit log."""

from __future__ import annotations

from typing import Any

from django.tasks import TaskContext, task
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from audit.chain import Problem, expected_event_count, verify
from jobs import progress, registry


@task(takes_context=True)
def verify_audit_log(context: TaskContext) -> dict[str, Any]:
    """Check the whole hash chain; the result says whether it is intact and, if not, where it breaks."""
    total = expected_event_count()
    checked = 0

    def on_event(sequence: int) -> None:
        nonlocal checked
        checked += 1
        progress.report(context, checked, max(total, checked))

    progress.report(context, 0, total, force=True)
    result = verify(on_event=on_event)
    progress.report(context, max(total, checked), max(total, checked), force=True)
    problem = result.problem
    with override("en"):
        message = problem.message if problem is not None else None
    return {
        "intact": result.intact,
        "events": result.events,
        "head_hash": result.head_hash,
        "problem": message,
        # The message above is in English for logs and the API; pages rebuild it in the reader's language.
        "problem_detail": problem.as_dict() if problem is not None else None,
    }


def describe_verification(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    if value.get("intact"):
        return _("Audit log intact: %(events)s events") % {"events": value.get("events", 0)}
    detail = value.get("problem_detail")
    message = Problem.from_dict(detail).message if isinstance(detail, dict) else str(value.get("problem"))
    return _("Audit log damaged: %(problem)s") % {"problem": message}


registry.register(verify_audit_log, gettext_lazy("Verify the audit log"), describe_verification)
