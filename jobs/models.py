from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskProgress(models.Model):
    """How far a running background task has got, written by the task through jobs.progress.report.

    `result_id` is the task result's id as the tasks framework gives it (the dashed UUID string of
    django_tasks_db's DBTaskResult.id); not a foreign key, so results can be pruned on their own.
    """

    result_id = models.CharField(_("task result id"), max_length=64, unique=True)
    label = models.CharField(_("step"), max_length=200, blank=True)
    done = models.PositiveBigIntegerField(_("done"), default=0)
    total = models.PositiveBigIntegerField(_("total"), default=0)
    message = models.CharField(_("message"), max_length=500, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("task progress")
        verbose_name_plural = _("task progress")

    def __str__(self) -> str:
        return f"{self.result_id}: {self.done}/{self.total}"

    @property
    def percent(self) -> int:
        if self.total <= 0:
            return 0
        return min(100, self.done * 100 // self.total)

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done >= self.total
