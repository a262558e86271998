"""Profession overlays in the database: a draft per profession and every version ever published.

The generic rules come from the files under guidance/rules/; what a profession changes about them is kept
here (the format of a change: guidance/overlay_content.py). Writes go through guidance/overlays.py; the
rules health-care workers get come from guidance/published.py.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from meldpunt.vocabulary import Profession


class Overlay(models.Model):
    """What one profession changes about the generic action framework, maintained by one organisation
    (its professional association)."""

    profession = models.CharField(_("profession"), max_length=40, choices=Profession.choices, unique=True)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="guidance_overlays",
        verbose_name=_("organisation"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ("profession",)
        verbose_name = _("profession overlay")
        verbose_name_plural = _("profession overlays")

    def __str__(self) -> str:
        return self.get_profession_display()


class DraftChange(models.Model):
    """One change in the overlay's draft, the content editors work on before they publish it."""

    overlay = models.ForeignKey(Overlay, on_delete=models.CASCADE, related_name="draft_changes")
    position = models.PositiveIntegerField()
    # {"add": {...}}, {"replace": {...}} or {"hide": {...}}
    content = models.JSONField()
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("position", "pk")

    def __str__(self) -> str:
        return f"{self.overlay.profession} draft change {self.position}"


class OverlayVersion(models.Model):
    """A published overlay. Versions are never changed or deleted; the current one has the highest number.

    A rollback publishes a new version with an older version's content (`rollback_of`), so the history
    stays a single line.
    """

    overlay = models.ForeignKey(Overlay, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    # The list of changes, as the draft held them when published.
    content = models.JSONField()
    # The version of the generic rules (framework.yaml) the overlay was published against.
    rules_version = models.CharField(max_length=40)
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Kept when the account is removed later.
    published_by_name = models.CharField(max_length=150, blank=True)
    note = models.CharField(max_length=500, blank=True)
    rollback_of = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ("overlay", "-number")
        constraints = [
            models.UniqueConstraint(
                fields=["overlay", "number"], name="guidance_overlay_version_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.overlay.profession}, version {self.number}"
