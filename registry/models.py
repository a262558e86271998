"""Canonical incidents: one per cluster of source records that describe the same attack (linkage builds them).

An Incident holds the best-known facts, each with the source it was taken from (docs/linkage.md, "Canonical
incidents", gives the precedence), and an IncidentLink per source record. Links are keyed by the record's
stable key (source, product, identifier, occurrence), which survives new vintages, so an incident keeps its
number when a later run finds the same cluster again.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Incident(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        RETIRED = "retired", _("retired")

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("merged into"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    event_date = models.DateField(_("date"), null=True, blank=True)
    date_precision = models.CharField(_("date precision"), max_length=10, blank=True)
    date_from = models.CharField(_("date taken from"), max_length=40, blank=True)
    country_iso3 = models.CharField(_("country (ISO 3166-1 alpha-3)"), max_length=3, blank=True)
    admin1 = models.TextField(_("first-level administrative area"), blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    geo_precision = models.CharField(_("precision of the coordinates"), max_length=20, blank=True)
    place_from = models.CharField(_("place taken from"), max_length=40, blank=True)
    # The area can come from another record than the coordinates (registry.incidents.canonical_fields).
    admin1_from = models.CharField(_("area taken from"), max_length=40, blank=True)
    attack_families = models.JSONField(_("attack-type families"), default=list, blank=True)
    who_ssa_types = models.JSONField(_("WHO SSA attack types"), default=list, blank=True)
    resources = models.JSONField(_("health-care resources affected"), default=list, blank=True)
    perpetrator_category = models.CharField(_("perpetrator category"), max_length=30, blank=True)
    perpetrator_from = models.CharField(_("perpetrator taken from"), max_length=40, blank=True)
    certainty = models.CharField(_("certainty"), max_length=20, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_from = models.CharField(_("description taken from"), max_length=40, blank=True)
    # {"health_workers_killed": {"value": 3, "source": "shcc"}, ...}: each count with the source it came from.
    figures = models.JSONField(_("counts, each with its source"), default=dict, blank=True)
    sources = models.JSONField(_("sources"), default=list, blank=True)
    record_count = models.PositiveIntegerField(_("source records"), default=0)

    class Meta:
        ordering = ["-event_date", "pk"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [
            models.Index(fields=["status", "country_iso3", "event_date"], name="registry_incident_find")
        ]

    def __str__(self) -> str:
        return f"I-{self.pk:06d}" if self.pk else "I-new"

    @property
    def number(self) -> str:
        return str(self)


class IncidentLink(models.Model):
    """One source record in one incident. `how` says why it is there."""

    class How(models.TextChoices):
        MODEL = "model", _("matched by the model")
        KNOWN = "known", _("known link (same identifier or named source)")
        DECISION = "decision", _("decided by a reviewer")
        ALONE = "alone", _("no match found")

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="links", verbose_name=_("incident")
    )
    record_key = models.CharField(_("record key"), max_length=400, unique=True)
    record = models.ForeignKey(
        "sources.Record",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("record (latest vintage)"),
    )
    source = models.CharField(_("source"), max_length=40)
    how = models.CharField(_("how it was linked"), max_length=10, choices=How.choices)
    probability = models.FloatField(_("match probability"), null=True, blank=True)
    linked_at = models.DateTimeField(_("linked at"), default=timezone.now)

    class Meta:
        ordering = ["incident", "source", "record_key"]
        verbose_name = _("incident link")
        verbose_name_plural = _("incident links")

    def __str__(self) -> str:
        return f"{self.incident} ← {self.record_key}"


from registry.field_report_models import FieldReport  # noqa: E402, F401  (field reports: their own module)
