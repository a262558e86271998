"""Policy reports: a periodic report or a country brief, made from one selection of the analytics database.

A report keeps what it was made from (the selection, the releases with their vintages and SHA-256, the
linkage run and when the analytics database was built) next to what it made (the HTML document and its PDF),
so it can be read as it was published and made again from the same selection (`rebuilt_from`) to see what
newer vintages changed. insights.reports holds the actions; this module only the rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PolicyReport(models.Model):
    class Kind(models.TextChoices):
        PERIODIC = "periodic", _("periodic report")
        COUNTRY_BRIEF = "country_brief", _("country brief")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        BUILDING = "building", _("building")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PERIODIC)
    # insights.filters.Selection.as_query(): what from_query reads back.
    selection = models.JSONField(_("selection"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(_("error"), blank=True)
    # Progress of the build, written as it goes (the detail page polls it).
    stage = models.CharField(_("stage"), max_length=200, blank=True)
    steps_done = models.PositiveIntegerField(_("steps done"), default=0)
    steps_total = models.PositiveIntegerField(_("steps in all"), default=0)
    task_result_id = models.CharField(_("task result id"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    built_at = models.DateTimeField(_("built at"), null=True, blank=True)
    is_public = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    html = models.TextField(_("HTML document"), blank=True)
    pdf = models.BinaryField(_("PDF document"), blank=True, default=b"")
    # Each chart as drawn ({key, title, svg}), for downloading a chart on its own as SVG or PNG.
    charts = models.JSONField(_("charts"), default=list, blank=True)
    # The headline figures, kept to compare a rebuilt report with the one it was rebuilt from.
    figures = models.JSONField(_("headline figures"), default=dict, blank=True)
    # Every release the figures were drawn from: id, source, product, vintage date and label, sha256, records.
    releases = models.JSONField(_("releases used"), default=list, blank=True)
    # A plain id, not a key: the report must keep saying which run it used even if runs are cleaned up.
    linkage_run_id = models.PositiveIntegerField(_("linkage run used"), null=True, blank=True)
    analytics_built_at = models.DateTimeField(_("analytics database built at"), null=True, blank=True)
    rebuilt_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rebuilds",
        verbose_name=_("rebuilt from"),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("policy report")
        verbose_name_plural = _("policy reports")
        indexes = [models.Index(fields=["is_public", "status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.BUILDING)

    @property
    def status_css(self) -> str:
        """The site's status class (site.css: status-queued, -running, -finished, -failed)."""
        return {"building": "running", "done": "finished"}.get(self.status, self.status)

    @property
    def percent(self) -> int:
        if not self.steps_total:
            return 0
        return min(100, round(self.steps_done * 100 / self.steps_total))
