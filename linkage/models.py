"""Linkage runs, the reviewers' decisions, and the pairs waiting for review.

A run scores candidate pairs of source records with the Splink model, assigns them one to one per source pair,
clusters them (at most one record per source) and rebuilds registry.Incident from the clusters. Decisions are
kept by record key (stable across vintages) and every later run respects them: "same" pairs are linked,
"different" pairs never are.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LinkageRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    backend = models.CharField(_("backend"), max_length=10)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    options = models.JSONField(_("options"), default=dict, blank=True)
    model = models.JSONField(_("trained model (Splink settings)"), default=dict, blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    stage = models.CharField(_("stage"), max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("linkage run")
        verbose_name_plural = _("linkage runs")

    def __str__(self) -> str:
        return f"run {self.pk} ({self.get_status_display()})"


class Decision(models.Model):
    """A reviewer's verdict on two records: the same incident, or not. One current verdict per pair of
    record keys (key_a < key_b); a new verdict replaces the old one, and both are in the audit log."""

    class Verdict(models.TextChoices):
        SAME = "same", _("same incident")
        DIFFERENT = "different", _("different incidents")

    key_a = models.CharField(_("first record key"), max_length=400)
    key_b = models.CharField(_("second record key"), max_length=400)
    verdict = models.CharField(_("verdict"), max_length=10, choices=Verdict.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        constraints = [
            models.UniqueConstraint(fields=["key_a", "key_b"], name="linkage_decision_one_per_pair"),
            models.CheckConstraint(
                condition=models.Q(key_a__lt=models.F("key_b")), name="linkage_decision_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key_a} / {self.key_b}: {self.verdict}"


class ReviewPair(models.Model):
    """A pair the model was unsure about (probability inside the review band), or two records of one source
    that look like duplicates. `agreement` says, per comparison, which level the pair reached."""

    class Kind(models.TextChoices):
        UNCERTAIN = "uncertain", _("uncertain match")
        DUPLICATE = "duplicate", _("possible duplicate within one source")

    run = models.ForeignKey(LinkageRun, on_delete=models.CASCADE, related_name="pairs", verbose_name=_("run"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.UNCERTAIN)
    key_a = models.CharField(_("first record key"), max_length=400)
    key_b = models.CharField(_("second record key"), max_length=400)
    record_a = models.ForeignKey(
        "sources.Record", on_delete=models.CASCADE, related_name="+", verbose_name=_("first record")
    )
    record_b = models.ForeignKey(
        "sources.Record", on_delete=models.CASCADE, related_name="+", verbose_name=_("second record")
    )
    probability = models.FloatField(_("match probability"))
    match_weight = models.FloatField(_("match weight"))
    agreement = models.JSONField(_("agreement per comparison"), default=dict, blank=True)
    decision = models.ForeignKey(
        Decision,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decision"),
    )

    class Meta:
        ordering = ["-probability", "pk"]
        verbose_name = _("pair to review")
        verbose_name_plural = _("pairs to review")
        constraints = [
            models.UniqueConstraint(fields=["run", "key_a", "key_b"], name="linkage_reviewpair_once_per_run"),
        ]

    def __str__(self) -> str:
        return f"{self.key_a} / {self.key_b} ({self.probability:.2f})"
