"""The registry of medical facilities, their status history, deconfliction notifications, and the links between
facilities and the incidents that happened near them (docs/facilities.md).

Facilities are shared data: everyone who documents attacks or analyses data sees every facility; the
organisation that registered one maintains it. Notifications belong to the organisation that sent them.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FacilityType(models.TextChoices):
    HOSPITAL = "hospital", _("hospital")
    CLINIC = "clinic", _("clinic")
    PRIMARY_HEALTH_CENTRE = "primary_health_centre", _("primary health centre")
    FIELD_HOSPITAL = "field_hospital", _("field hospital")
    AMBULANCE_STATION = "ambulance_station", _("ambulance station")
    PHARMACY = "pharmacy", _("pharmacy")
    LABORATORY = "laboratory", _("laboratory")
    WAREHOUSE = "warehouse", _("warehouse")
    OTHER = "other", _("other")


class FacilityStatus(models.TextChoices):
    FUNCTIONAL = "functional", _("functional")
    PARTLY_FUNCTIONAL = "partly_functional", _("partly functional")
    NOT_FUNCTIONAL = "not_functional", _("not functional")


class Damage(models.TextChoices):
    NONE = "none", _("no damage")
    DAMAGED = "damaged", _("damaged")
    DESTROYED = "destroyed", _("destroyed")


LATITUDE_VALIDATORS = [MinValueValidator(-90.0), MaxValueValidator(90.0)]
LONGITUDE_VALIDATORS = [MinValueValidator(-180.0), MaxValueValidator(180.0)]


class Facility(models.Model):
    name = models.CharField(_("name"), max_length=200)
    facility_type = models.CharField(_("type"), max_length=30, choices=FacilityType.choices)
    operator = models.CharField(_("operator"), max_length=200, blank=True)
    country_iso3 = models.CharField(_("country (ISO 3166-1 alpha-3)"), max_length=3)
    admin1 = models.CharField(_("first-level administrative area"), max_length=200, blank=True)
    latitude = models.FloatField(_("latitude"), validators=LATITUDE_VALIDATORS)
    longitude = models.FloatField(_("longitude"), validators=LONGITUDE_VALIDATORS)
    status = models.CharField(
        _("status"), max_length=20, choices=FacilityStatus.choices, default=FacilityStatus.FUNCTIONAL
    )
    # Deconfliction coordinates are shared with the parties to a conflict, not necessarily with the public:
    # only facilities marked here are on the public map and in the public API.
    location_public = models.BooleanField(_("location may be published"), default=False)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="facilities",
        verbose_name=_("registered by organisation"),
    )
    external_id = models.CharField(_("external identifier"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by"),
    )
    created_at = models.DateTimeField(_("registered at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        ordering = ["country_iso3", "name", "pk"]
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_id"],
                condition=~models.Q(external_id=""),
                name="facility_external_id_unique_per_organisation",
            ),
            models.CheckConstraint(
                condition=models.Q(latitude__gte=-90.0, latitude__lte=90.0)
                & models.Q(longitude__gte=-180.0, longitude__lte=180.0),
                name="facility_coordinates_in_range",
            ),
        ]
        indexes = [models.Index(fields=["latitude", "longitude"], name="facility_place")]

    def __str__(self) -> str:
        return self.name

    @property
    def number(self) -> str:
        return f"F-{self.pk:06d}" if self.pk else "F-new"


class FacilityStatusChange(models.Model):
    """One observation of a facility's status: what it was on `date`, any damage, and who says so."""

    facility = models.ForeignKey(
        Facility, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("facility")
    )
    date = models.DateField(_("date"))
    status = models.CharField(_("status"), max_length=20, choices=FacilityStatus.choices)
    damage = models.CharField(_("damage"), max_length=10, choices=Damage.choices, default=Damage.NONE)
    source = models.CharField(_("source"), max_length=300, blank=True)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["-date", "-recorded_at", "-pk"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self) -> str:
        return f"{self.facility} {self.date}: {self.status}"


class Party(models.Model):
    """Someone facilities are notified to: a party to the conflict, or a system that passes it on."""

    class Kind(models.TextChoices):
        ARMED_FORCES = "armed_forces", _("armed forces of a state")
        NON_STATE_ARMED_GROUP = "non_state_armed_group", _("non-state armed group")
        AUTHORITY = "authority", _("civil authority")
        HUMANITARIAN_NOTIFICATION_SYSTEM = (
            "humanitarian_notification_system",
            _("humanitarian notification system (e.g. UN OCHA)"),
        )
        OTHER = "other", _("other")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    contact = models.TextField(
        _("contact"), blank=True, help_text=_("Whom to address, and how: e-mail, phone, postal address.")
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")

    def __str__(self) -> str:
        return self.name


class Notification(models.Model):
    """Facilities notified to parties by one organisation, with the package that was (or is to be) sent."""

    class Method(models.TextChoices):
        EMAIL = "email", _("e-mail")
        LETTER = "letter", _("letter")
        PLATFORM = "platform", _("notification platform")
        IN_PERSON = "in_person", _("in person")
        OTHER = "other", _("other")

    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="facility_notifications",
        verbose_name=_("organisation"),
    )
    facilities = models.ManyToManyField(Facility, related_name="notifications", verbose_name=_("facilities"))
    parties = models.ManyToManyField(
        Party, through="NotificationParty", related_name="notifications", verbose_name=_("parties")
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    method = models.CharField(_("sent by"), max_length=20, choices=Method.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    language = models.CharField(_("language of the letter"), max_length=10, default="en")
    package = models.BinaryField(_("package (ZIP)"), editable=False)
    package_sha256 = models.CharField(_("SHA-256 of the package"), max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"N-{self.pk:06d}" if self.pk else "N-new"


class NotificationParty(models.Model):
    """One party of a notification, and whether (when, by whom) it acknowledged receipt."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="recipients", verbose_name=_("notification")
    )
    party = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="recipients", verbose_name=_("party")
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.CharField(
        _("acknowledged by"),
        max_length=200,
        blank=True,
        help_text=_("The person or office of the party that acknowledged receipt."),
    )
    acknowledgement_note = models.TextField(_("note on the acknowledgement"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledgement recorded by"),
    )

    class Meta:
        ordering = ["notification", "party__name"]
        verbose_name = _("notified party")
        verbose_name_plural = _("notified parties")
        constraints = [
            models.UniqueConstraint(fields=["notification", "party"], name="notification_party_once")
        ]

    def __str__(self) -> str:
        return f"{self.notification} → {self.party}"


class FacilityIncident(models.Model):
    """An incident whose place lies within the proximity distance of a facility (facilities.proximity)."""

    facility = models.ForeignKey(
        Facility, on_delete=models.CASCADE, related_name="incident_links", verbose_name=_("facility")
    )
    incident = models.ForeignKey(
        "registry.Incident",
        on_delete=models.CASCADE,
        related_name="facility_links",
        verbose_name=_("incident"),
    )
    distance_m = models.PositiveIntegerField(_("distance (metres)"))
    # The facility was in a notification sent before the earliest day the incident may have happened on.
    notified_before_attack = models.BooleanField(_("notified before the attack"), default=False)
    notification = models.ForeignKey(
        Notification,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("first notification before the attack"),
    )
    checked_at = models.DateTimeField(_("checked at"), default=timezone.now)

    class Meta:
        ordering = ["distance_m", "pk"]
        verbose_name = _("incident near a facility")
        verbose_name_plural = _("incidents near facilities")
        constraints = [
            models.UniqueConstraint(fields=["facility", "incident"], name="facility_incident_once")
        ]

    def __str__(self) -> str:
        return f"{self.facility} ~ {self.incident} ({self.distance_m} m)"
