from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.tasks import TaskResultStatus
from django.utils.translation import gettext_lazy as _
from django.views.decorators.vary import vary_on_headers
from django_tasks_db.models import DBTaskResult

from accounts.permissions import permission_required
from accounts.roles import Permission
from jobs.models import TaskProgress
from jobs.progress import progress_for
from jobs.registry import describe_outcome, label_for

RECENT_LIMIT = 50
POLL_SECONDS = 2

STATUS_LABELS = {
    TaskResultStatus.READY: _("Queued"),
    TaskResultStatus.RUNNING: _("Running"),
    TaskResultStatus.FAILED: _("Failed"),
    TaskResultStatus.SUCCESSFUL: _("Finished"),
}
ACTIVE = {TaskResultStatus.READY, TaskResultStatus.RUNNING}


@dataclass(frozen=True)
class TaskRow:
    """One task result as the tasks pages show it."""

    id: str
    label: str
    status: str
    status_label: str
    enqueued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: TaskProgress | None
    outcome: str
    error_class: str

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


def _row(result: DBTaskResult, progress: TaskProgress | None) -> TaskRow:
    status = TaskResultStatus(result.status)
    outcome = ""
    if status == TaskResultStatus.SUCCESSFUL:
        outcome = describe_outcome(result.task_path, result.return_value)
    error_class = ""
    if status == TaskResultStatus.FAILED:
        # The class only: a traceback can quote data the task was working on.
        error_class = result.exception_class_path.rsplit(".", 1)[-1]
    return TaskRow(
        id=str(result.id),
        label=label_for(result.task_path),
        status=str(status),
        status_label=str(STATUS_LABELS.get(status, status.label)),
        enqueued_at=result.enqueued_at,
        started_at=result.started_at,
        finished_at=result.finished_at,
        progress=progress,
        outcome=outcome,
        error_class=error_class,
    )


def recent_tasks(limit: int = RECENT_LIMIT) -> list[TaskRow]:
    results = list(DBTaskResult.objects.order_by("-enqueued_at")[:limit])
    progress = progress_for([str(result.id) for result in results])
    return [_row(result, progress.get(str(result.id))) for result in results]


@permission_required(Permission.VIEW_TASKS)
@vary_on_headers("HX-Request")
def task_list(request: HttpRequest) -> HttpResponse:
    rows = recent_tasks()
    context = {"rows": rows, "active": any(row.active for row in rows), "poll_seconds": POLL_SECONDS}
    if request.headers.get("HX-Request"):
        return render(request, "jobs/_task_table.html", context)
    return render(request, "jobs/list.html", context)


@permission_required(Permission.VIEW_TASKS)
@vary_on_headers("HX-Request")
def task_detail(request: HttpRequest, result_id: UUID) -> HttpResponse:
    result = get_object_or_404(DBTaskResult, id=result_id)
    row = _row(result, progress_for([str(result.id)]).get(str(result.id)))
    context = {"row": row, "poll_seconds": POLL_SECONDS}
    if request.headers.get("HX-Request"):
        return render(request, "jobs/_task_summary.html", context)
    return render(request, "jobs/detail.html", context)
