"""Accountability for an attack: whether an investigation was opened, by whom, how far it got and what came
of it, with the sources that say so (docs/publication.md has the public figure made from these).

One incident (registry.Incident) can have several investigations: a party's own inquiry, a UN mechanism and
a national court may each look at the same attack. Each is recorded by an organisation, whose members see it;
the public figure counts incidents, not records, so two organisations recording the same inquiry count once.
Incidents are retired rather than deleted when linkage merges them, so an investigation is never lost: it
follows the incident's `merged_into` (accountability.figure and the incident panel do).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Investigation(models.Model):
    class Opened(models.TextChoices):
        YES = "yes", _("yes")
        NO = "no", _("no")
        UNKNOWN = "unknown", _("not known")

    class Body(models.TextChoices):
        INDEPENDENT = "independent", _("an independent body")
        PARTY = "party", _("the party itself")
        UN = "un", _("a UN mechanism")
        NATIONAL_COURT = "national_court", _("a national court")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        ANNOUNCED = "announced", _("announced")
        ONGOING = "ongoing", _("ongoing")
        CONCLUDED = "concluded", _("concluded")
        SUSPENDED = "suspended", _("suspended")
        UNKNOWN = "unknown", _("not known")

    class Outcome(models.TextChoices):
        NONE_YET = "none_yet", _("none yet")
        NO_VIOLATION = "no_violation", _("no violation found")
        VIOLATION = "violation", _("violation found")
        PROSECUTION = "prosecution", _("prosecution")
        CONVICTION = "conviction", _("conviction")
        COMPENSATION = "compensation", _("compensation")
        DISCIPLINARY = "disciplinary", _("disciplinary measures")
        OTHER = "other", _("other")

    incident = models.ForeignKey(
        "registry.Incident",
        on_delete=models.PROTECT,  # incidents are retired, not deleted: an investigation must not vanish
        related_name="investigations",
        verbose_name=_("incident"),
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="investigations",
        verbose_name=_("organisation"),
    )
    opened = models.CharField(
        _("investigation opened"), max_length=10, choices=Opened.choices, default=Opened.UNKNOWN
    )
    body = models.CharField(_("opened by"), max_length=20, choices=Body.choices, blank=True)
    body_name = models.CharField(
        _("name of the body"),
        max_length=200,
        blank=True,
        help_text=_("For example the name of the commission, the court or the ministry."),
    )
    opened_at = models.DateField(_("opened on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.UNKNOWN)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.NONE_YET)
    outcome_at = models.DateField(_("outcome on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    updated_at = models.DateTimeField(_("changed at"), default=timezone.now)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("investigation")
        verbose_name_plural = _("investigations")
        indexes = [models.Index(fields=["organisation", "incident"], name="accountability_inv_org")]
        constraints = [
            # An investigation that was not opened (or of which nobody knows whether it was) has no opening
            # date and no outcome; it may name the body that did not open one.
            models.CheckConstraint(
                condition=models.Q(opened="yes")
                | (models.Q(opened_at=None) & models.Q(outcome="none_yet") & models.Q(outcome_at=None)),
                name="accountability_only_opened_has_details",
            ),
        ]

    def __str__(self) -> str:
        return f"INV-{self.pk:05d}" if self.pk else "INV-new"

    @property
    def number(self) -> str:
        return str(self)

    @property
    def has_outcome(self) -> bool:
        return self.opened == self.Opened.YES and self.outcome != self.Outcome.NONE_YET


class InvestigationSource(models.Model):
    """Where we know it from: an address on the web or a citation (a report, a letter), with a note."""

    investigation = models.ForeignKey(
        Investigation, on_delete=models.CASCADE, related_name="sources", verbose_name=_("investigation")
    )
    url = models.URLField(_("web address"), max_length=1000, blank=True)
    citation = models.CharField(
        _("citation"),
        max_length=500,
        blank=True,
        help_text=_("A document without a web address: title, author, date."),
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["investigation", "position", "pk"]
        verbose_name = _("source of an investigation")
        verbose_name_plural = _("sources of investigations")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(url="") | ~models.Q(citation=""),
                name="accountability_source_has_url_or_citation",
            ),
        ]

    def __str__(self) -> str:
        return self.url or self.citation
