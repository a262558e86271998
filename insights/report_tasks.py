"""Background task of the report builder: building a queued report (insights.reports.build_report).

Imported at start-up by insights.tasks, so the tasks page knows it.
"""

from __future__ import annotations

from typing import Any

from django.tasks import TaskContext, task
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jobs import progress, registry


@task(takes_context=True)
def build_policy_report(context: TaskContext, report_id: int) -> dict[str, Any]:
    """Build one queued report; its page shows the stage and step as it goes."""
    # Imported here: WeasyPrint and vl-convert are heavy, and every process loads the tasks modules.
    from insights import reports
    from insights.models import PolicyReport

    def step(done: int, total: int, stage: str) -> None:
        progress.report(context, done, total, str(reports.STAGES.get(stage, "")), force=True)

    report = PolicyReport.objects.filter(pk=report_id).first()
    if report is None:
        return {"status": "failed", "report": report_id, "error": "no such report"}
    built = reports.build_report(report, progress=step)
    if built.status != PolicyReport.Status.DONE:
        return {"status": "failed", "report": report_id, "error": built.error[:500]}
    return {
        "status": "done",
        "report": report_id,
        "pdf_bytes": len(built.pdf),
        "releases": len(built.releases),
    }


def describe_build(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    if value.get("status") == "done":
        return _("Report %(report)s built") % {"report": value.get("report", "")}
    if value.get("status") == "failed":
        return _("Report %(report)s not built: %(error)s") % {
            "report": value.get("report", ""),
            "error": value.get("error", ""),
        }
    return ""


registry.register(build_policy_report, gettext_lazy("Build a report"), describe_build)
