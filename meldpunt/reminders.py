"""Reminding handlers of new reports nobody acknowledged in time, and other small periodic clean-ups.

A report that is still new after its acknowledgement deadline (`Report.acknowledge_by`, set at intake from
the organisation's policy in Dutch working days) gets one reminder: the email from
`notifications.acknowledgement_overdue`, which says only the case number. `acknowledge_reminder_sent_at`
is set by a conditional UPDATE in the same transaction as the queued email, so two workers running this at
once still send one reminder per report, and a crash sends none rather than two.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.tasks import TaskContext, task
from django.utils import timezone
from django.utils.translation import gettext_lazy, ngettext

from accounts import throttle
from accounts.throttle import Throttle
from audit.chain import record
from jobs import progress, registry
from meldpunt import followup, intake_throttle, notifications, retention
from meldpunt.models import Report

logger = logging.getLogger(__name__)


def overdue_without_reminder(now: datetime | None = None) -> QuerySet[Report]:
    """New, not erased reports past their acknowledgement deadline that have had no reminder yet."""
    moment = now or timezone.now()
    return Report.objects.filter(
        status=Report.Status.NEW,
        erased_at__isnull=True,
        acknowledge_by__lt=moment,
        acknowledge_reminder_sent_at__isnull=True,
    ).order_by("acknowledge_by", "pk")


def remind(report_id: int, now: datetime | None = None) -> bool:
    """Queue the reminder for one report unless it was sent already or is no longer overdue.

    Returns whether this call queued it. The UPDATE only succeeds for the first caller: another worker
    that found the same report in its list gets 0 rows and sends nothing.
    """
    moment = now or timezone.now()
    with transaction.atomic():
        claimed = (
            overdue_without_reminder(moment).filter(pk=report_id).update(acknowledge_reminder_sent_at=moment)
        )
        if claimed != 1:
            return False
        report = Report.objects.select_related("organisation").get(pk=report_id)
        # The email task is queued in this transaction (the tasks live in the same database): the mark
        # and the email land together or not at all.
        notifications.acknowledgement_overdue(report)
        record(
            "meldpunt.acknowledgement_reminder_queued",
            actor=None,
            target=report,
            organisation=report.organisation,
        )
    return True


def known_throttles() -> list[Throttle]:
    return [
        throttle.login_account_throttle(),
        throttle.login_client_throttle(),
        throttle.two_factor_throttle(),
        followup.receipt_client_throttle(),
        followup.receipt_global_throttle(),
        intake_throttle.client_throttle(),
        intake_throttle.global_throttle(),
    ]


def prune_throttles(now: datetime | None = None) -> int:
    """Delete failed-attempt rows that left their window (each scope prunes itself only when it fails)."""
    return sum(known.prune(now=now) for known in known_throttles())


@dataclass(frozen=True)
class ReminderRun:
    overdue: int
    reminded: int
    throttle_rows_pruned: int

    def as_dict(self) -> dict[str, int]:
        return {
            "overdue": self.overdue,
            "reminded": self.reminded,
            "throttle_rows_pruned": self.throttle_rows_pruned,
        }


def send_reminders(
    now: datetime | None = None, *, on_progress: Callable[[int, int], Any] | None = None
) -> ReminderRun:
    """Queue a reminder for every overdue report that has none yet; prune the throttles; compact SQLite."""
    moment = now or timezone.now()
    report_ids = list(overdue_without_reminder(moment).values_list("pk", flat=True))
    total = len(report_ids)
    reminded = 0
    if on_progress is not None:
        on_progress(0, total)
    for done, report_id in enumerate(report_ids, start=1):
        if remind(report_id, moment):
            reminded += 1
        if on_progress is not None:
            on_progress(done, total)
    pruned = prune_throttles(moment)
    # Erasures on request happen at any time; this run is the next chance to empty SQLite's log of them.
    retention.compact_database()
    return ReminderRun(overdue=total, reminded=reminded, throttle_rows_pruned=pruned)


@task(takes_context=True)
def send_acknowledgement_reminders(context: TaskContext) -> dict[str, int]:
    """The periodic reminder task: one email per report that passed its acknowledgement deadline."""

    def on_progress(done: int, total: int) -> None:
        progress.report(context, done, total, force=done == 0)

    return send_reminders(on_progress=on_progress).as_dict()


def describe_reminders(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    count = int(value.get("reminded", 0))
    return ngettext(
        "%(count)s reminder of an overdue report sent",
        "%(count)s reminders of overdue reports sent",
        count,
    ) % {"count": count}


registry.register(
    send_acknowledgement_reminders,
    gettext_lazy("Remind handlers of reports not acknowledged in time"),
    describe_reminders,
)
