"""Run the linkage over the current records and turn its clusters into registry incidents.

`start_run` records a queued run (the web UI then hands it to a background task); `run` does the work: it
reads the current records (linkage.frame), the reviewers' decisions (linkage.decisions.constraints), links
them (linkage.pipeline), rebuilds the incidents (registry.rebuild) and fills the review queue, all written in
one transaction at the end, so a failed run leaves the registry as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.chain import record
from linkage.decisions import constraints
from linkage.frame import current_frame, pair
from linkage.models import LinkageRun, ReviewPair
from linkage.options import OptionsError, load_options
from linkage.pipeline import Outcome, Scored, link
from registry.rebuild import Member, rebuild
from registry.signals import announce_incidents_changed

Progress = Callable[[str], None]

# The stages a run reports, in order (for a progress bar).
STAGES = (
    "reading records",
    "training: prior",
    "training: u values by random sampling",
    "training: EM on same day",
    "training: EM on same area",
    "scoring candidate pairs",
    "resolving clusters",
    "creating incidents",
    "writing links",
    "retiring incidents left without records",
    "recomputing incident fields",
    "filling the review queue",
)


class RunRefused(Exception):
    """A run cannot start (bad settings file, another run busy); the message says why."""


def start_run(actor: Any, *, backend: str | None = None, config: Path | str | None = None) -> LinkageRun:
    try:
        options = load_options(config, backend=backend)
    except OptionsError as error:
        raise RunRefused(str(error)) from None
    busy = LinkageRun.objects.filter(status__in=(LinkageRun.Status.QUEUED, LinkageRun.Status.RUNNING)).first()
    if busy is not None:
        raise RunRefused(f"linkage run {busy.pk} is still {busy.status}; wait until it has finished")
    with transaction.atomic():
        run = LinkageRun.objects.create(
            backend=options.backend,
            options={**options.as_dict(), "config": str(config) if config else ""},
            started_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        record("linkage.run_started", actor=actor, target=run, details={"backend": options.backend})
    return run


def queue_run(actor: Any, *, backend: str | None = None) -> LinkageRun:
    """Start a run and hand it to the background worker (the runs page)."""
    from linkage.tasks import run_linkage

    with transaction.atomic():
        queued = start_run(actor, backend=backend)
        run_linkage.enqueue(queued.pk)
    return queued


def _stage(run: LinkageRun, stage: str, progress: Progress | None) -> None:
    run.stage = stage
    LinkageRun.objects.filter(pk=run.pk).update(stage=stage)
    if progress is not None:
        progress(stage)


def run(run_id: int, progress: Progress | None = None) -> LinkageRun:
    """Do a queued run. Failures are stored on the run (status failed, the error) and raised again."""
    job = LinkageRun.objects.get(pk=run_id)
    LinkageRun.objects.filter(pk=job.pk).update(status=LinkageRun.Status.RUNNING, started_at=timezone.now())
    began = time.monotonic()
    try:
        options = load_options(job.options.get("config") or None, backend=job.backend)
        _stage(job, "reading records", progress)
        frame = current_frame()
        must, cannot = constraints()
        outcome = link(frame, options, must=must, cannot=cannot, progress=lambda s: _stage(job, s, progress))
        with transaction.atomic():
            rebuilt = rebuild(_members(frame, outcome), progress=lambda s: _stage(job, s, progress))
            _stage(job, "filling the review queue", progress)
            queued = _fill_review_queue(job, frame, outcome)
            figures = {
                **outcome.figures,
                "incidents_created": rebuilt.created,
                "incidents_changed": rebuilt.changed,
                "incidents_unchanged": rebuilt.kept,
                "incidents_retired": rebuilt.retired,
                "links_written": rebuilt.links_written,
                "review_queue": queued,
                "decisions_same": len(must),
                "decisions_different": len(cannot),
                "seconds": round(time.monotonic() - began, 1),
            }
            LinkageRun.objects.filter(pk=job.pk).update(
                status=LinkageRun.Status.DONE,
                finished_at=timezone.now(),
                model=outcome.model,
                figures=figures,
                stage="",
            )
            record(
                "linkage.run_finished",
                actor=job.started_by,
                target=job,
                details={
                    "records": int(figures.get("records", 0)),
                    "clusters": int(figures.get("clusters", 0)),
                    "incidents_created": rebuilt.created,
                    "incidents_retired": rebuilt.retired,
                },
            )
            announce_incidents_changed("linkage run")
    except Exception as error:
        LinkageRun.objects.filter(pk=job.pk).update(
            status=LinkageRun.Status.FAILED,
            finished_at=timezone.now(),
            error=f"{type(error).__name__}: {error}"[:2000],
        )
        raise
    job.refresh_from_db()
    return job


def link_now(
    actor: Any = None,
    *,
    backend: str | None = None,
    config: Path | str | None = None,
    progress: Progress | None = None,
) -> LinkageRun:
    """Start and do a run in this process (the `zorgveilig link` command)."""
    return run(start_run(actor, backend=backend, config=config).pk, progress)


def _members(frame: Any, outcome: Outcome) -> list[list[Member]]:
    keys = dict(
        zip(frame.column("unique_id").to_pylist(), frame.column("record_key").to_pylist(), strict=True)
    )
    sources = dict(
        zip(frame.column("unique_id").to_pylist(), frame.column("source").to_pylist(), strict=True)
    )
    strongest: dict[int, tuple[str, float]] = {}
    for found in outcome.links:
        for uid in (found.uid_a, found.uid_b):
            if uid not in strongest or found.probability > strongest[uid][1]:
                strongest[uid] = (found.how, found.probability)
    clusters = []
    for uids in outcome.clusters:
        members = []
        for uid in uids:
            how, probability = strongest.get(uid, ("alone", None))
            how = {"claimed": "known", "unambiguous": "model"}.get(how, how)
            # Rounded: EM sums in parallel, so the last digits differ between runs over the same data.
            rounded = None if probability is None else round(probability, 4)
            members.append(Member(keys[uid], uid, sources[uid], how, rounded))
        clusters.append(members)
    return clusters


def _fill_review_queue(job: LinkageRun, frame: Any, outcome: Outcome) -> int:
    """This run's uncertain pairs and possible duplicates; undecided pairs of earlier runs are dropped (this
    run's queue replaces them)."""
    ReviewPair.objects.filter(decision=None).exclude(run=job).delete()
    keys = dict(
        zip(frame.column("unique_id").to_pylist(), frame.column("record_key").to_pylist(), strict=True)
    )
    rows = []
    seen: set[tuple[str, str]] = set()
    for kind, pairs in (
        (ReviewPair.Kind.UNCERTAIN, outcome.review),
        (ReviewPair.Kind.DUPLICATE, outcome.duplicates),
    ):
        for scored in pairs:
            rows.append(_review_pair(job, kind, keys, scored, seen))
    created = [row for row in rows if row is not None]
    ReviewPair.objects.bulk_create(created, batch_size=2000)
    return len(created)


def _review_pair(
    job: LinkageRun, kind: str, keys: dict[int, str], scored: Scored, seen: set[tuple[str, str]]
) -> ReviewPair | None:
    key_a, key_b = pair(keys[scored.uid_a], keys[scored.uid_b])
    if (key_a, key_b) in seen:
        return None
    seen.add((key_a, key_b))
    uid_of = {keys[scored.uid_a]: scored.uid_a, keys[scored.uid_b]: scored.uid_b}
    return ReviewPair(
        run=job,
        kind=kind,
        key_a=key_a,
        key_b=key_b,
        record_a_id=uid_of[key_a],
        record_b_id=uid_of[key_b],
        probability=scored.probability,
        match_weight=scored.weight,
        agreement=scored.agreement,
    )
