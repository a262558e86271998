"""Every choice list of the report form, with stable codes (stored, counted in statistics) and English labels.

Codes never change once reports use them: a label may be reworded, a code is renamed only with a migration
of the stored reports. Dutch terms that have no exact English counterpart are kept in brackets.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    VERBAL_THREAT = "verbal_threat", _("Verbal threat")
    WRITTEN_THREAT = "written_threat", _("Written or online threat")
    INTIMIDATION = "intimidation", _("Intimidation")
    STALKING = "stalking", _("Stalking (belaging)")
    DOXING = "doxing", _("Doxing (publishing personal details)")
    PHYSICAL_VIOLENCE = "physical_violence", _("Physical violence")
    SEXUAL_INTIMIDATION = "sexual_intimidation", _("Sexual intimidation")
    DISCRIMINATION = "discrimination", _("Discrimination or hate")
    PROPERTY_DAMAGE = "property_damage", _("Damage to property")
    SMEAR = "smear", _("Smear or false accusations")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone")
    LETTER = "letter", _("Letter")
    EMAIL = "email", _("Email")
    SOCIAL_MEDIA = "social_media", _("Social media")
    REVIEW_SITE = "review_site", _("Review site")
    MESSAGING_APP = "messaging_app", _("Messaging app")
    OTHER = "other", _("Other")


class Place(models.TextChoices):
    PRACTICE = "practice", _("Practice")
    HOSPITAL = "hospital", _("Hospital or ward")
    AMBULANCE = "ambulance", _("Ambulance")
    HOME_VISIT = "home_visit", _("Home visit")
    HOME_ADDRESS = "home_address", _("My home address")
    ONLINE = "online", _("Online")
    OTHER = "other", _("Other")


class Perpetrator(models.TextChoices):
    PATIENT = "patient", _("Patient")
    RELATIVE = "relative", _("Relative or close one (naaste)")
    VISITOR = "visitor", _("Visitor")
    CITIZEN = "citizen", _("Random citizen")
    ONLINE_ACCOUNT = "online_account", _("Unknown online account")


class InCare(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("I do not know")


class DatePrecision(models.TextChoices):
    DAY = "day", _("Day")
    MONTH = "month", _("Month")


class Frequency(models.TextChoices):
    ONCE = "once", _("Once")
    REPEATED = "repeated", _("Repeatedly")
    ONGOING = "ongoing", _("It is still going on")


class Profession(models.TextChoices):
    GENERAL_PRACTITIONER = "huisarts", _("General practitioner (huisarts)")
    MEDICAL_SPECIALIST = "medisch_specialist", _("Medical specialist (medisch specialist)")
    DOCTOR_IN_TRAINING = "arts_in_opleiding", _("Doctor in training (arts in opleiding)")
    EMERGENCY_PHYSICIAN = "seh_arts", _("Emergency physician (SEH-arts)")
    AMBULANCE = "ambulance", _("Ambulance staff")
    NURSE = "verpleegkundige", _("Nurse (verpleegkundige)")
    CARER = "verzorgende", _("Carer (verzorgende)")
    PHARMACIST = "apotheker", _("Pharmacist (apotheker)")
    DENTIST = "tandarts", _("Dentist (tandarts)")
    MIDWIFE = "verloskundige", _("Midwife (verloskundige)")
    PSYCHOLOGIST = "psycholoog", _("Psychologist (psycholoog)")
    PSYCHIATRIST = "psychiater", _("Psychiatrist (psychiater)")
    YOUTH_HEALTH_PHYSICIAN = "jeugdarts", _("Youth health physician (jeugdarts)")
    OCCUPATIONAL_PHYSICIAN = "bedrijfsarts", _("Occupational physician (bedrijfsarts)")
    ELDERLY_CARE_PHYSICIAN = (
        "specialist_ouderengeneeskunde",
        _("Elderly care physician (specialist ouderengeneeskunde)"),
    )
    DISABILITY_PHYSICIAN = "arts_vg", _("Physician for people with intellectual disabilities (arts VG)")
    STUDENT = "student", _("Student")
    OTHER = "other", _("Other profession")


class Sector(models.TextChoices):
    HOSPITAL = "hospital", _("Hospital care")
    GENERAL_PRACTICE = "general_practice", _("GP care (huisartsenzorg)")
    MENTAL_HEALTH = "mental_health", _("Mental health care (ggz)")
    ELDERLY_CARE = "elderly_care", _("Elderly care (VVT)")
    DISABILITY_CARE = "disability_care", _("Disability care")
    YOUTH_CARE = "youth_care", _("Youth care")
    AMBULANCE = "ambulance", _("Ambulance care")
    PHARMACY = "pharmacy", _("Pharmacy")
    DENTAL = "dental", _("Dental care")
    MATERNITY = "maternity", _("Maternity care")
    OCCUPATIONAL_HEALTH = "occupational_health", _("Occupational health")
    OTHER = "other", _("Other sector")


class Province(models.TextChoices):
    DRENTHE = "DR", "Drenthe"
    FLEVOLAND = "FL", "Flevoland"
    FRIESLAND = "FR", _("Friesland (Fryslân)")
    GELDERLAND = "GE", "Gelderland"
    GRONINGEN = "GR", "Groningen"
    LIMBURG = "LI", "Limburg"
    NORTH_BRABANT = "NB", _("North Brabant (Noord-Brabant)")
    NORTH_HOLLAND = "NH", _("North Holland (Noord-Holland)")
    OVERIJSSEL = "OV", "Overijssel"
    UTRECHT = "UT", "Utrecht"
    ZEELAND = "ZE", "Zeeland"
    SOUTH_HOLLAND = "ZH", _("South Holland (Zuid-Holland)")


class Consequence(models.TextChoices):
    FEAR = "fear", _("I am afraid or feel unsafe")
    SICK_LEAVE = "sick_leave", _("I took sick leave")
    CHANGED_WORK = "changed_work", _("I changed how or where I work")
    STOPPED_PUBLIC_ROLE = "stopped_public_role", _("I stopped a public role (media, social media, talks)")


class StepTaken(models.TextChoices):
    EMPLOYER_TOLD = "employer_told", _("I told my employer")
    POLICE_NOTICE = "police_notice", _("I reported it to the police (melding)")
    POLICE_COMPLAINT = "police_complaint", _("I filed a criminal complaint (aangifte)")


class ContactPreference(models.TextChoices):
    RECEIPT_ONLY = "receipt_only", _("No contact: I will check for messages with my receipt code")
    EMAIL = "email", _("By email")
    PHONE = "phone", _("By phone")


class ReferralKind(models.TextChoices):
    """Where a case handler sends a reporter or a matter on to."""

    POLICE_MELDING = "police_melding", _("Police: report without prosecution request (melding)")
    POLICE_AANGIFTE = "police_aangifte", _("Police: criminal complaint (aangifte)")
    EMPLOYER = "employer", _("Employer")
    LEGAL_AID = "legal_aid", _("Legal aid")
    SLACHTOFFERHULP = "slachtofferhulp", _("Victim Support Netherlands (Slachtofferhulp Nederland)")
    PLATFORM_NOTICE = "platform_notice", _("Notice to an online platform")
    OTHER = "other", _("Other")


class ReferralStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    DECLINED = "declined", _("Declined by the reporter")


class VptCode(models.TextChoices):
    """Whether the police were asked to register the incident with the VPT code (violence against public
    task workers, 'Veilige Publieke Taak'), which brings the OM's stricter prosecution policy into play."""

    ASKED = "asked", _("Asked for the VPT code")
    NOT_ASKED = "not_asked", _("Not asked")
    UNKNOWN = "unknown", _("Not known")


class Outcome(models.TextChoices):
    """How a case ended, recorded at closing."""

    ADVICE_GIVEN = "advice_given", _("Advice and support given")
    REFERRED = "referred", _("Referred to another organisation")
    POLICE_INVOLVED = "police_involved", _("Police melding or aangifte made")
    RESOLVED_BY_EMPLOYER = "resolved_by_employer", _("Resolved with the employer")
    PLATFORM_REMOVED = "platform_removed", _("Content removed by the platform")
    NO_RESPONSE = "no_response", _("No response from the reporter")
    WITHDRAWN = "withdrawn", _("Withdrawn by the reporter")
    OTHER = "other", _("Other")
