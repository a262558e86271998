"""Field reports: an attack registered by a field documenter of an organisation, in WHO SSA's terms.

A report starts as a draft that only its author sees and edits, saved with whatever is known; submitting it
checks that it is complete (registry.field_reports.missing). A submitted report is a record of the source
"local" (registry.field_reports.publish), so linkage treats it like a record of any other source; editing a
submitted report replaces its record with a new vintage.

The vocabularies follow WHO's Surveillance System for Attacks on Health Care (WHO/WHE/EMO/2019.2; the export
labels are in sources/crosswalks.yaml): attack types, resources affected, certainty levels. Counts follow
the harmonised schema: None is "not known", 0 is "none".

`information_sources` (who told what, how to reach them) is restricted: it is never part of the record, an
export or the public pages, only of the report page for members of the organisation.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation


class Status(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")


class DatePrecision(models.TextChoices):
    DAY = "day", _("On this day")
    WEEK = "week", _("In the week of this day")
    MONTH = "month", _("In the month of this day")


class GeoPrecision(models.TextChoices):
    EXACT = "exact", _("The exact place")
    KM1 = "km1", _("Within 1 km")
    TOWN = "town", _("The town or village")
    ADMIN1 = "admin1", _("The province, state or region")
    COUNTRY = "country", _("Only the country")


class AttackType(models.TextChoices):
    """WHO SSA attack types (codes of sources/crosswalks.yaml who_ssa_attack_types, in its order)."""

    HEAVY_WEAPONS = "heavy_weapons", _("Violence with heavy weapons (bombs, shelling, missiles, tanks)")
    INDIVIDUAL_WEAPONS = (
        "individual_weapons",
        _("Violence with individual weapons (guns, knives, grenades, IEDs)"),
    )
    OBSTRUCTION = "obstruction", _("Obstruction of health care (physical, administrative or legal)")
    PSYCHOLOGICAL_VIOLENCE = "psychological_violence", _("Threats, intimidation or psychological violence")
    REMOVAL_OF_ASSETS = (
        "removal_of_assets",
        _("Removal of health-care assets (looting, theft of transport or supplies)"),
    )
    ABDUCTION_ARREST_DETENTION = (
        "abduction_arrest_detention",
        _("Abduction, arrest or detention of health workers or patients"),
    )
    ARMED_SEARCH = "armed_search", _("Armed or violent search of health workers, a facility or transport")
    ASSAULT = "assault", _("Assault without weapons")
    MILITARIZATION = "militarization", _("Militarisation of a health-care asset")
    SETTING_FIRE = "setting_fire", _("Setting fire")
    OTHER = "other", _("Other")
    CRIMINALIZATION = "criminalization", _("Criminalisation of health care")
    UNKNOWN = "unknown", _("Not known")
    CHEMICAL_AGENT = "chemical_agent", _("Chemical agent")
    SEXUAL_ASSAULT = "sexual_assault", _("Sexual assault")


class ResourceAffected(models.TextChoices):
    """Health-care resources affected (sources.schema.Resource, WHO SSA's `HC …` columns)."""

    FACILITY = "facility", _("Health facility (hospital, clinic, first-aid post, laboratory)")
    TRANSPORT = "transport", _("Health transport (ambulance, transport of patients, staff or medicines)")
    PERSONNEL = "personnel", _("Health workers")
    SUPPLIES = "supplies", _("Medical supplies and equipment")
    WAREHOUSE = "warehouse", _("Warehouse or storage of health supplies")
    PATIENTS = "patients", _("Patients")
    OTHER = "other", _("Other health care (a pharmacy, a mobile clinic)")


class Certainty(models.TextChoices):
    """WHO SSA certainty levels, least certain first (the order a documenter climbs them)."""

    RUMOUR = "rumour", _("Rumour")
    POSSIBLE = "possible", _("Possible")
    PROBABLE = "probable", _("Probable")
    CONFIRMED = "confirmed", _("Confirmed")


# What each level asks for, in our own words after WHO/WHE/EMO/2019.2, Table 1 (the criteria are about
# whether the attack happened, not about its details).
CERTAINTY_CRITERIA = {
    Certainty.RUMOUR: _(
        "Only hearsay, a social-media post or an anonymous message, with nothing else to back it up."
    ),
    Certainty.POSSIBLE: _(
        "A local or international news report, or an organisation outside the partner network that says it "
        "was attacked."
    ),
    Certainty.PROBABLE: _(
        "One eyewitness who told one or more SSA partners, or two separate second-hand accounts."
    ),
    Certainty.CONFIRMED: _(
        "An SSA partner says it was attacked itself, or one eyewitness from a partner or two eyewitnesses "
        "say so; or the attack is probable and a photo, video, satellite image, international news report "
        "or police report supports it."
    ),
}
CERTAINTY_SOURCE = "WHO/WHE/EMO/2019.2, Table 1"


class PerpetratorCategory(models.TextChoices):
    """Perpetrator categories of the harmonised schema (sources/crosswalks.yaml perpetrator_categories)."""

    STATE = "state", _("State forces (army, police or other agents of a state)")
    NON_STATE_ARMED_GROUP = "non_state_armed_group", _("Non-state armed group (rebels, militias)")
    CRIMINAL = "criminal", _("Criminals or criminal gangs")
    INDIVIDUAL = "individual", _("Individuals (patients, relatives, civilians, protesters)")
    OTHER = "other", _("Several kinds, or another kind")
    UNKNOWN = "unknown", _("Not known")


class Weapon(models.TextChoices):
    """Weapons, as the labels of the harmonised weapon vocabulary (sources/crosswalks.yaml
    attack_types.insecurity_insight_weapons), so a report's weapons read like Insecurity Insight's."""

    AERIAL_BOMB_PLANE = "Aerial Bomb: Plane", _("Aerial bomb from a plane")
    AERIAL_BOMB_DRONE = "Aerial Bomb: Drone", _("Aerial bomb from a drone")
    AERIAL_BOMB_MISSILE = "Aerial Bomb: Missile", _("Missile fired from the air")
    SHELLING = "Shelling", _("Shelling")
    ARTILLERY = "Artillery", _("Artillery")
    MORTAR = "Mortar", _("Mortar")
    ROCKET = "Rocket", _("Rocket")
    MISSILE = "Missile", _("Missile")
    CLUSTER_BOMB = "Cluster Bomb", _("Cluster bomb")
    UNSPECIFIED_EXPLOSIVE = "Unspecified Explosive", _("Explosive of unknown type")
    RPG = "RPG", _("Rocket-propelled grenade (RPG)")
    HAND_GRENADE = "Hand Grenade", _("Hand grenade")
    IED = "Unspecified IED", _("Improvised explosive device (IED)")
    VBIED = "VBIED", _("Car or truck bomb (VBIED)")
    MINE = "Mine", _("Landmine")
    UXO = "UXO", _("Unexploded ordnance")
    FIREARMS = "Firearms", _("Firearms")
    KNIFE = "Knife", _("Knife")
    STONES = "Stones, Sticks and Gravel", _("Stones, sticks or gravel")
    LESS_LETHAL = "Tasers, Live and Rubber Bullets", _("Tasers, live or rubber bullets")
    FIST_AND_FOOT = "Fist and Foot", _("Fists and feet")
    ARSON = "Arson", _("Fire (arson)")
    CHEMICAL = "Chemical or Hot Liquid", _("Chemical or hot liquid")
    OTHER = "Other Weapon", _("Another weapon")
    UNARMED = "Unarmed Perpetrator", _("No weapon: the perpetrator was unarmed")
    NO_INFORMATION = "No Information on the Weapon Used", _("Weapon not known")


# The casualty counts, by group; the names of health workers' and patients' counts are those of the
# harmonised schema where it has them (sources.schema.Harmonised).
HEALTH_WORKER_COUNTS = (
    ("health_workers_killed", _("killed")),
    ("health_workers_injured", _("injured")),
    ("health_workers_kidnapped", _("kidnapped or abducted")),
    ("health_workers_arrested", _("arrested or detained")),
    ("health_workers_threatened", _("threatened")),
    ("health_workers_assaulted", _("assaulted")),
)
PATIENT_COUNTS = (
    ("patients_killed", _("killed")),
    ("patients_injured", _("injured")),
    ("patients_kidnapped", _("kidnapped or abducted")),
    ("patients_arrested", _("arrested or detained")),
)
OTHER_COUNTS = (
    ("others_killed", _("killed")),
    ("others_injured", _("injured")),
)
COUNT_GROUPS = (
    ("health_workers", _("Health workers"), HEALTH_WORKER_COUNTS),
    ("patients", _("Patients"), PATIENT_COUNTS),
    ("others", _("Other people"), OTHER_COUNTS),
)
COUNT_FIELDS = tuple(name for _group, _label, counts in COUNT_GROUPS for name, _count_label in counts)


def _count(verbose_name: Any) -> models.PositiveIntegerField[Any, Any]:
    return models.PositiveIntegerField(verbose_name, null=True, blank=True)


class FieldReport(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="field_reports", verbose_name=_("organisation")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("documented by"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last changed by"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("changed at"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # Raised by every change: a change made on an older version is refused (registry.field_reports.Stale).
    version = models.PositiveIntegerField(_("version"), default=1)

    # When
    event_date = models.DateField(_("date of the attack"), null=True, blank=True)
    date_precision = models.CharField(
        _("how precise the date is"), max_length=10, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    event_time = models.TimeField(_("time of the attack"), null=True, blank=True)
    # Where
    country_iso3 = models.CharField(_("country"), max_length=3, blank=True)
    admin1 = models.CharField(_("province, state or region"), max_length=200, blank=True)
    place_name = models.CharField(_("place"), max_length=200, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    geo_precision = models.CharField(
        _("how precise the place is"), max_length=10, choices=GeoPrecision.choices, blank=True
    )
    # A registered facility (facilities app). A plain number: that app's Facility model did not exist
    # when this one was made; registry.field_reports checks the number against it when it does.
    facility_id = models.PositiveIntegerField(_("registered facility"), null=True, blank=True)
    # What
    attack_types = models.JSONField(_("types of attack"), default=list, blank=True)
    resources = models.JSONField(_("health care affected"), default=list, blank=True)
    certainty = models.CharField(_("certainty"), max_length=10, choices=Certainty.choices, blank=True)
    # Who was affected
    health_workers_killed = _count(_("health workers killed"))
    health_workers_injured = _count(_("health workers injured"))
    health_workers_kidnapped = _count(_("health workers kidnapped or abducted"))
    health_workers_arrested = _count(_("health workers arrested or detained"))
    health_workers_threatened = _count(_("health workers threatened"))
    health_workers_assaulted = _count(_("health workers assaulted"))
    patients_killed = _count(_("patients killed"))
    patients_injured = _count(_("patients injured"))
    patients_kidnapped = _count(_("patients kidnapped or abducted"))
    patients_arrested = _count(_("patients arrested or detained"))
    others_killed = _count(_("other people killed"))
    others_injured = _count(_("other people injured"))
    # By whom, with what
    perpetrator_category = models.CharField(
        _("perpetrator"), max_length=30, choices=PerpetratorCategory.choices, blank=True
    )
    perpetrator_name = models.CharField(_("perpetrator's name as given"), max_length=300, blank=True)
    weapons = models.JSONField(_("weapons"), default=list, blank=True)
    # What happened, and who told (restricted)
    description = models.TextField(_("what happened"), max_length=10_000, blank=True)
    information_sources = models.TextField(_("sources of information"), max_length=5_000, blank=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name = _("field report")
        verbose_name_plural = _("field reports")
        indexes = [models.Index(fields=["organisation", "status"], name="registry_fieldreport_find")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="registry_fieldreport_status_known"
            ),
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True) | models.Q(latitude__gte=-90, latitude__lte=90),
                name="registry_fieldreport_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__isnull=True)
                | models.Q(longitude__gte=-180, longitude__lte=180),
                name="registry_fieldreport_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"FR-{self.pk}" if self.pk else "FR-new"

    @property
    def is_draft(self) -> bool:
        return self.status == Status.DRAFT
