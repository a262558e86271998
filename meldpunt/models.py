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
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from meldpunt.vocabulary import (
    Channel,
    ContactPreference,
    DatePrecision,
    Frequency,
    InCare,
    Outcome,
    Perpetrator,
    Place,
    Profession,
    Province,
    ReferralKind,
    ReferralStatus,
    Sector,
    VptCode,
)


class Report(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        IN_TRIAGE = "in_triage", _("Being assessed")
        IN_PROGRESS = "in_progress", _("In progress")
        REFERRED = "referred", _("Referred")
        CLOSED = "closed", _("Closed")

    class Source(models.TextChoices):
        WEB = "web", _("Report form")
        PHONE = "phone", _("Phone intake by staff")
        API = "api", _("API")

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
    source = models.CharField(
        _("received through"), max_length=10, choices=Source.choices, default=Source.WEB
    )

    # Case handling. `version` grows with every change a handler makes: a change based on an older version
    # is refused (two handlers editing one case at once; see meldpunt.cases).
    version = models.PositiveIntegerField(_("version"), default=1)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_reports",
        verbose_name=_("assigned to"),
    )
    acknowledge_by = models.DateTimeField(_("acknowledge by"), null=True, blank=True)
    acknowledge_reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=30, choices=Outcome.choices, blank=True)
    # Set when the content was erased (on request, or when the retention period ran out): what remains is
    # only the structured, non-identifying part for statistics.
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)

    # Finding a report by its receipt code: a deterministic hash of the code (the code itself is never
    # stored), and the salt from which the receipt-derived key is made. Null once the report is erased.
    receipt_lookup = models.CharField(
        _("receipt lookup hash"), max_length=128, unique=True, null=True, blank=True
    )
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
        indexes = [
            models.Index(fields=["organisation", "status", "created_at"]),
            models.Index(fields=["status", "acknowledge_by"]),
            models.Index(fields=["status", "closed_at"]),
        ]
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


class OrganisationPolicy(models.Model):
    """How an organisation handles its reports: the acknowledgement deadline and how long closed reports
    are kept. Organisations without a row use the defaults below."""

    DEFAULT_ACKNOWLEDGE_DAYS = 2
    DEFAULT_RETENTION_DAYS = 365

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="report_policy", verbose_name=_("organisation")
    )
    acknowledge_within_working_days = models.PositiveSmallIntegerField(
        _("acknowledge within (working days)"),
        default=DEFAULT_ACKNOWLEDGE_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("A new report must be taken into triage within this many working days."),
    )
    retention_days_after_closure = models.PositiveIntegerField(
        _("keep closed reports for (days)"),
        default=DEFAULT_RETENTION_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_("After this many days a closed report's content is erased automatically."),
    )
    notify_by_email = models.BooleanField(
        _("notify handlers by email"),
        default=True,
        help_text=_("Emails say only that something needs attention, never what a report says."),
    )

    class Meta:
        verbose_name = _("report handling policy")
        verbose_name_plural = _("report handling policies")

    def __str__(self) -> str:
        return str(self.organisation)

    @classmethod
    def for_organisation(cls, organisation: Organisation | int) -> OrganisationPolicy:
        """The organisation's policy, or an unsaved one with the defaults."""
        organisation_id = organisation if isinstance(organisation, int) else organisation.pk
        policy = cls.objects.filter(organisation_id=organisation_id).first()
        return policy or cls(organisation_id=organisation_id)


class StatusChange(models.Model):
    """The case's history of states: who moved it and when (the reason, if any, is in an internal note)."""

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("report")
    )
    from_status = models.CharField(_("from"), max_length=20, choices=Report.Status.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=Report.Status.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        ordering = ["changed_at", "pk"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self) -> str:
        return f"{self.report} {self.from_status} -> {self.to_status}"


class InternalNote(models.Model):
    """A handler's note on a case, sealed with the report key and never shown to the reporter."""

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="internal_notes", verbose_name=_("report")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    sealed_body = models.BinaryField(_("sealed note"), default=b"")
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")

    def __str__(self) -> str:
        return f"{self.report} note {self.pk}"


class Referral(models.Model):
    """A referral of the case: to the police (melding or aangifte), the employer, legal aid,
    Slachtofferhulp, a platform. The free-text note is sealed like everything a person wrote."""

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="referrals", verbose_name=_("report")
    )
    kind = models.CharField(_("referred to"), max_length=30, choices=ReferralKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.PLANNED
    )
    # Only for police referrals: whether the VPT code was asked for.
    vpt_code = models.CharField(_("VPT code"), max_length=20, choices=VptCode.choices, blank=True)
    referred_on = models.DateField(_("date"))
    sealed_note = models.BinaryField(_("sealed note"), default=b"")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["referred_on", "pk"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["police_melding", "police_aangifte"]) | models.Q(vpt_code=""),
                name="vpt_code_only_for_police",
            )
        ]

    def __str__(self) -> str:
        return f"{self.report} {self.kind}"
