"""Evidence items, their custody events, exported bundles and each organisation's signing key.

An item's bytes live in the content-addressed store (evidence/store.py), named by their SHA-256; the row holds
what is known about them. Items and custody events are written once and never changed or removed: a correction
is a new item or a new event, so the history an investigator receives is the history there was.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation


class ImmutableError(Exception):
    """Raised when code tries to change or remove evidence or its custody history."""


class WriteOnceQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise ImmutableError("evidence and custody events cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableError("evidence and custody events cannot be deleted")


class WriteOnceModel(models.Model):
    objects = WriteOnceQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableError(f"{self._meta.label} rows cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableError(f"{self._meta.label} rows cannot be deleted")


class Kind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    VIDEO = "video", _("Video")
    DOCUMENT = "document", _("Document")
    WITNESS_STATEMENT = "witness_statement", _("Witness statement")
    WEB_CAPTURE = "web_capture", _("Web capture")


class How(models.TextChoices):
    """How the collector came by the file: the first question an investigator asks about provenance."""

    RECORDED_ON_SCENE = "recorded_on_scene", _("Recorded on the scene")
    RECEIVED_FROM_WITNESS = "received_from_witness", _("From a witness or victim")
    RECEIVED_FROM_ORGANISATION = "received_from_organisation", _("From another organisation")
    STATEMENT_TAKEN = "statement_taken", _("Statement taken by the collector")
    CAPTURED_ONLINE = "captured_online", _("Captured online")
    SCANNED = "scanned", _("Scanned from paper")
    OTHER = "other", _("Other (say how in the notes)")


class EvidenceItem(WriteOnceModel):
    """One file as it was received, with where it came from and what it documents."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="evidence_items", verbose_name=_("organisation")
    )
    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    content_type = models.CharField(_("detected content type"), max_length=120)
    original_filename = models.CharField(_("original file name"), max_length=255, blank=True)

    # Collection metadata: who, when and how, in the collector's words.
    collected_by = models.CharField(_("collected by"), max_length=200)
    collected_at = models.DateTimeField(_("collected at"))
    how = models.CharField(_("how it was collected"), max_length=40, choices=How.choices)
    original_url = models.URLField(_("original address (URL)"), max_length=2000, blank=True)
    captured_at = models.DateTimeField(_("captured at"), null=True, blank=True)
    capturer = models.CharField(_("captured by"), max_length=200, blank=True)
    tool_or_device = models.CharField(_("tool or device"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), max_length=5000, blank=True)

    # What the item documents: a field report, an incident, anything with a primary key.
    target_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("documents (type)"),
    )
    target_id = models.CharField(_("documents (id)"), max_length=64, blank=True)
    target = GenericForeignKey("target_type", "target_id")

    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["-added_at", "-pk"]
        verbose_name = _("evidence item")
        verbose_name_plural = _("evidence items")
        indexes = [models.Index(fields=["target_type", "target_id"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=Kind.values), name="evidence_kind_is_known"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.sha256[:12]}"


class Bundle(models.Model):
    """One export: which items went out, why, and the signed manifest's hash. The ZIP is not kept.

    Written by evidence.bundle.build_bundle in one transaction (the manifest hash and signature last)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="evidence_bundles",
        verbose_name=_("organisation"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("exported by"),
    )
    created_at = models.DateTimeField(_("exported at"))
    reason = models.TextField(_("reason"), max_length=2000)
    items = models.ManyToManyField(EvidenceItem, related_name="bundles", verbose_name=_("items"))
    manifest_sha256 = models.CharField(_("SHA-256 of the manifest"), max_length=64, blank=True)
    signature = models.CharField(_("signature (base64)"), max_length=100, blank=True)
    signer_fingerprint = models.CharField(_("signing key fingerprint"), max_length=80)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("evidence bundle")
        verbose_name_plural = _("evidence bundles")

    def __str__(self) -> str:
        return str(self.id)


class CustodyEvent(WriteOnceModel):
    """Someone collected, viewed, exported or transferred an item; the same event is in the audit chain."""

    class Kind(models.TextChoices):
        COLLECTED = "collected", _("Collected")
        VIEWED = "viewed", _("Viewed")
        EXPORTED = "exported", _("Exported")
        TRANSFERRED = "transferred", _("Transferred")

    item = models.ForeignKey(
        EvidenceItem, on_delete=models.PROTECT, related_name="custody_events", verbose_name=_("item")
    )
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("when"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    # Kept apart from the account, as the audit log does: removing an account leaves the history readable.
    actor_label = models.CharField(_("who"), max_length=150, blank=True)
    reason = models.TextField(_("why"), max_length=2000, blank=True)
    recipient = models.CharField(_("to whom"), max_length=300, blank=True)
    bundle = models.ForeignKey(
        Bundle,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="custody_events",
        verbose_name=_("bundle"),
    )
    audit_event = models.OneToOneField(
        "audit.Event", on_delete=models.PROTECT, related_name="+", verbose_name=_("audit event")
    )

    class Meta:
        ordering = ["occurred_at", "pk"]
        verbose_name = _("custody event")
        verbose_name_plural = _("custody events")

    def __str__(self) -> str:
        return f"{self.kind} {self.item_id} {self.occurred_at:%Y-%m-%d %H:%M}"


class SigningKey(models.Model):
    """An organisation's Ed25519 key pair for signing bundle manifests (evidence/signing.py).

    The private half is stored only sealed (zorgveilig.crypto.seal) under a key derived from the evidence
    master key, bound to the organisation by the seal's context.
    """

    organisation = models.OneToOneField(
        Organisation, on_delete=models.PROTECT, related_name="evidence_signing_key"
    )
    public_key = models.BinaryField(_("public key"))
    sealed_private_key = models.BinaryField(_("sealed private key"))
    fingerprint = models.CharField(_("fingerprint"), max_length=80)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence signing key")
        verbose_name_plural = _("evidence signing keys")

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.fingerprint}"
