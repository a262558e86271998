"""Reports, the wrapped copies of their keys, attachments, messages and the routing rules.

What is stored in plain form is only what statistics need and what cannot name anyone on its own: the
choices of the form (meldpunt.vocabulary), dates at day or month precision and the status. Everything a
person wrote or that identifies them (narrative, platform name, identity, contact details, message bodies,
file names and file bytes) is sealed with the report's own key (see meldpunt.sealing); that key exists only
in wrapped form, once per recipient (ReportKey).

`Report.created_at` keeps the full time of submission: the queue and the acknowledgement deadline need it,
and without a stored address, agent or session it says nothing about who sent the report. Only the date is
shown to the reporter and in exports.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from meldpunt.vocabulary import (
    Channel,
    ContactPreference,
    DatePrecision,
    Frequency,
    InCare,
    Perpetrator,
    Place,
    Profession,
    Province,
    Sector,
)


class Report(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        IN_TRIAGE = "in_triage", _("Being assessed")
        IN_PROGRESS = "in_progress", _("In progress")
        REFERRED = "referred", _("Referred")
        CLOSED = "closed", _("Closed")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="reports", verbose_name=_("organisation")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    # Structured, non-identifying fields for statistics. Lists hold codes from meldpunt.vocabulary.
    kinds = models.JSONField(_("kinds of incident"), default=list)
    channel = models.CharField(_("channel"), max_length=30, choices=Channel.choices)
    place = models.CharField(_("place"), max_length=30, choices=Place.choices)
    perpetrator = models.CharField(_("who did it"), max_length=30, choices=Perpetrator.choices)
    perpetrator_in_care = models.CharField(
        _("in the reporter's care"), max_length=10, choices=InCare.choices, default=InCare.UNKNOWN
    )
    # The first day of the month when only the month is known.
    occurred_on = models.DateField(_("happened on"))
    occurred_precision = models.CharField(_("date precision"), max_length=10, choices=DatePrecision.choices)
    frequency = models.CharField(_("how often"), max_length=20, choices=Frequency.choices)
    profession = models.CharField(_("profession"), max_length=40, choices=Profession.choices)
    sector = models.CharField(_("sector"), max_length=40, choices=Sector.choices)
    province = models.CharField(_("province"), max_length=2, choices=Province.choices, blank=True)
    consequences = models.JSONField(_("consequences"), default=list, blank=True)
    steps_taken = models.JSONField(_("steps already taken"), default=list, blank=True)
    contact_preference = models.CharField(
        _("contact preference"), max_length=20, choices=ContactPreference.choices
    )
    is_anonymous = models.BooleanField(_("anonymous"), default=True)

    # Finding a report by its receipt code: a deterministic hash of the code (the code itself is never
    # stored), and the salt from which the receipt-derived key is made.
    receipt_lookup = models.CharField(_("receipt lookup hash"), max_length=128, unique=True)
    report_salt = models.BinaryField(_("salt"))
    # The Argon2id cost the receipt-derived key was made with: a later change of the KDF settings must not
    # lock reporters out of their report.
    receipt_kdf_memory_kib = models.PositiveIntegerField(_("receipt KDF memory (KiB)"))
    receipt_kdf_iterations = models.PositiveIntegerField(_("receipt KDF iterations"))

    # Sealed with the report key; see meldpunt.sealing for the contexts that bind each to this report.
    sealed_narrative = models.BinaryField(_("sealed narrative"), default=b"")
    sealed_identity = models.BinaryField(_("sealed identity"), default=b"")
    sealed_contact = models.BinaryField(_("sealed contact details"), default=b"")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        indexes = [models.Index(fields=["organisation", "status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["new", "in_triage", "in_progress", "referred", "closed"]),
                name="report_status_is_known",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class ReportKey(models.Model):
    """The report key, wrapped for one recipient: a handler, the organisation's recovery key or the receipt."""

    class Kind(models.TextChoices):
        HANDLER = "handler", _("Case handler")
        RECOVERY = "recovery", _("Organisation recovery key")
        RECEIPT = "receipt", _("Receipt code")

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="keys", verbose_name=_("report")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="report_keys",
        verbose_name=_("handler"),
    )
    wrapped_key = models.BinaryField(_("wrapped key"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("wrapped report key")
        verbose_name_plural = _("wrapped report keys")
        constraints = [
            models.UniqueConstraint(
                fields=["report", "user"], condition=models.Q(kind="handler"), name="one_key_per_handler"
            ),
            models.UniqueConstraint(
                fields=["report", "kind"],
                condition=models.Q(kind__in=["recovery", "receipt"]),
                name="one_recovery_and_receipt_key_per_report",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="handler", user__isnull=False)
                | models.Q(kind__in=["recovery", "receipt"], user__isnull=True),
                name="report_key_user_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report} {self.kind}"


class Party(models.TextChoices):
    """Who wrote a message or uploaded a file."""

    REPORTER = "reporter", _("Reporter")
    HANDLER = "handler", _("Case handler")


class Attachment(models.Model):
    """A file added to a report. The bytes are sealed and stored in the default storage, not the database."""

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("report")
    )
    # Random: the storage name says nothing about the report or the file.
    file_id = models.CharField(_("file id"), max_length=64, unique=True)
    storage_name = models.CharField(_("storage name"), max_length=255)
    # Of the original bytes, before sealing: both sides can check the file they hold against it.
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    content_type = models.CharField(_("detected type"), max_length=100)
    sealed_filename = models.BinaryField(_("sealed file name"))
    uploaded_by = models.CharField(_("uploaded by"), max_length=20, choices=Party.choices)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return f"{self.report} {self.file_id}"


class Message(models.Model):
    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="messages", verbose_name=_("report")
    )
    author_kind = models.CharField(_("from"), max_length=20, choices=Party.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="report_messages",
        verbose_name=_("handler"),
    )
    sealed_body = models.BinaryField(_("sealed message"), default=b"")
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return f"{self.report} {self.author_kind} {self.pk}"


class RoutingRule(models.Model):
    """Which organisation receives reports of a profession and sector.

    A blank profession or sector matches any. The most specific matching rule wins (both given, then only
    the profession, then only the sector, then neither); among equally specific rules the lowest priority
    number. The rule with both blank is the fallback for everything else.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="routing_rules", verbose_name=_("organisation")
    )
    profession = models.CharField(_("profession"), max_length=40, choices=Profession.choices, blank=True)
    sector = models.CharField(_("sector"), max_length=40, choices=Sector.choices, blank=True)
    priority = models.PositiveIntegerField(
        _("priority"), default=100, help_text=_("Lower numbers win among equally specific rules.")
    )

    class Meta:
        ordering = ["priority", "pk"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return f"{self.profession or '*'} / {self.sector or '*'} -> {self.organisation}"
