"""The linkage runs pages: every run with its figures, starting a run (a background task), and one run's
stage while it works and its figures when done. Permission.ANALYSE_DATA, like the other linkage pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.permissions import permission_required
from accounts.roles import Permission
from linkage import actions
from linkage.models import LinkageRun

POLL_SECONDS = 2
ACTIVE = (LinkageRun.Status.QUEUED, LinkageRun.Status.RUNNING)


class RunForm(forms.Form):
    backend = forms.ChoiceField(
        label=gettext_lazy("Where the model runs"),
        choices=[
            ("duckdb", gettext_lazy("DuckDB, on this machine (the default)")),
            ("spark", gettext_lazy("Spark, for data that outgrows one machine")),
        ],
        help_text=gettext_lazy("docs/linkage.md says when to switch to Spark."),
    )


@dataclass(frozen=True)
class Figure:
    label: str
    value: Any


def figures_of(run: LinkageRun) -> list[Figure]:
    """The run's figures in reading order, labelled."""
    f = run.figures
    rows = [
        (_("Records compared"), f.get("records")),
        (_("Records without a date (left out)"), f.get("records_without_date")),
        (_("Candidate pairs scored"), f.get("candidate_pairs")),
        (_("Pairs linked"), f.get("links")),
        (_("of which through a named co-reporting source"), f.get("claimed_links")),
        (_("of which the only candidate on both sides"), f.get("unambiguous_links")),
        (_("Contenders (lost to a stronger candidate)"), f.get("contenders")),
        (_("Incidents"), f.get("clusters")),
        (_("Incidents with more than one record"), f.get("multi_source_clusters")),
        (_("New incidents"), f.get("incidents_created")),
        (_("Incidents changed"), f.get("incidents_changed")),
        (_("Incidents unchanged"), f.get("incidents_unchanged")),
        (_("Incidents retired (their records went elsewhere)"), f.get("incidents_retired")),
        (_("Pairs to review"), f.get("review_queue")),
        (_("Possible duplicates within one source"), f.get("duplicate_pairs")),
        (
            _("Reviewers' decisions respected (same / different)"),
            _pair(f, "decisions_same", "decisions_different"),
        ),
        (_("Seconds"), f.get("seconds")),
    ]
    return [Figure(label, value) for label, value in rows if value is not None]


def _pair(figures: dict[str, Any], first: str, second: str) -> str | None:
    if first not in figures:
        return None
    return f"{figures[first]} / {figures.get(second, 0)}"


@permission_required(Permission.ANALYSE_DATA)
def runs(request: HttpRequest) -> HttpResponse:
    page = Paginator(LinkageRun.objects.select_related("started_by"), 25).get_page(request.GET.get("page"))
    form = RunForm(initial={"backend": settings.LINKAGE_BACKEND})
    busy = LinkageRun.objects.filter(status__in=ACTIVE).exists()
    return render(request, "linkage/runs.html", {"page": page, "form": form, "busy": busy, "section": "runs"})


@require_POST
@permission_required(Permission.ANALYSE_DATA)
def start(request: HttpRequest) -> HttpResponse:
    form = RunForm(request.POST)
    if not form.is_valid():
        page = Paginator(LinkageRun.objects.all(), 25).get_page(1)
        context = {"page": page, "form": form, "busy": False, "section": "runs"}
        return render(request, "linkage/runs.html", context, status=400)
    try:
        queued = actions.queue_run(request.user, backend=form.cleaned_data["backend"])
    except actions.RunRefused as error:
        messages.error(request, _("The run could not start: %(reason)s") % {"reason": error})
        return redirect("linkage:runs")
    messages.success(request, _("Linkage run %(run)s is queued.") % {"run": queued.pk})
    return redirect("linkage:run", pk=queued.pk)


@permission_required(Permission.ANALYSE_DATA)
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(LinkageRun.objects.select_related("started_by"), pk=pk)
    context = {
        "run": found,
        "figures": figures_of(found),
        "active": found.status in ACTIVE,
        "stage_number": actions.STAGES.index(found.stage) + 1 if found.stage in actions.STAGES else 0,
        "stage_count": len(actions.STAGES),
        "poll_seconds": POLL_SECONDS,
        "section": "runs",
    }
    if request.headers.get("HX-Request"):
        return render(request, "linkage/_run_status.html", context)
    return render(request, "linkage/run.html", context)
