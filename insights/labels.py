"""Human, translatable labels for the codes figures are counted by: sources, attack-type families, resources,
perpetrator categories, certainty levels, countries and the headline counts.

Every page, chart, report and export that shows a code to a person names it through these functions, so a
code reads the same everywhere. An unknown code is shown as it is (never an error): new codes arrive with
new source vintages before anyone has named them.
"""

from __future__ import annotations

import gettext
from functools import cache

import pycountry
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from insights.filters import DEDUPLICATED, PER_SOURCE

SOURCES = {
    "local": _("Field reports"),
    "who-ssa": _("WHO SSA"),
    "shcc": _("SHCC"),
    "insecurity-insight": _("Insecurity Insight"),
    "acled": _("ACLED"),
    "awsd": _("AWSD"),
    "inso": _("INSO"),
    DEDUPLICATED: _("De-duplicated incidents"),
}

SOURCE_NAMES = {
    "local": _("Field reports registered in ZorgVeilig"),
    "who-ssa": _("WHO Surveillance System for Attacks on Health Care (SSA)"),
    "shcc": _("Safeguarding Health in Conflict Coalition (SHCC)"),
    "insecurity-insight": _("Insecurity Insight"),
    "acled": _("Armed Conflict Location & Event Data (ACLED)"),
    "awsd": _("Aid Worker Security Database (AWSD)"),
    "inso": _("International NGO Safety Organisation (INSO)"),
}

FAMILIES = {
    "heavy_weapons": _("Heavy weapons"),
    "individual_weapons": _("Individual weapons"),
    "physical_assault": _("Assault without weapons"),
    "threat": _("Threats and intimidation"),
    "obstruction": _("Obstruction of care"),
    "deprivation_of_liberty": _("Abduction, arrest or detention"),
    "looting": _("Looting and theft"),
    "armed_entry": _("Armed entry or occupation"),
    "arson": _("Arson"),
    "chemical": _("Chemical agent"),
    "other": _("Another kind of attack"),
    "unknown": _("Kind of attack not known"),
}

RESOURCES = {
    "facility": _("Health facility"),
    "transport": _("Health transport"),
    "personnel": _("Health personnel"),
    "supplies": _("Supplies"),
    "warehouse": _("Warehouse"),
    "patients": _("Patients"),
    "other": _("Other health care"),
}

PERPETRATORS = {
    "state": _("State actors"),
    "non_state_armed_group": _("Non-state armed groups"),
    "criminal": _("Criminals"),
    "individual": _("Individuals"),
    "other": _("Other or several kinds"),
    "unknown": _("Perpetrator not known"),
    "not_given": _("Not given"),
}

CERTAINTY = {
    "confirmed": _("Confirmed"),
    "probable": _("Probable"),
    "possible": _("Possible"),
    "rumour": _("Rumour"),
    "unverified": _("Unverified"),
    "unknown": _("Certainty not known"),
}

COUNTS = {
    "events": _("Events"),
    "incidents": _("Incidents"),
    "records": _("Records"),
    "countries": _("Countries"),
    "people_killed": _("People killed"),
    "people_injured": _("People injured"),
    "health_workers_killed": _("Health workers killed"),
    "health_workers_injured": _("Health workers injured"),
    "health_workers_kidnapped": _("Health workers kidnapped"),
    "health_workers_arrested": _("Health workers arrested"),
    "facilities_destroyed": _("Facilities destroyed"),
    "facilities_damaged": _("Facilities damaged"),
}

VIEWS = {
    DEDUPLICATED: _("De-duplicated incidents"),
    PER_SOURCE: _("Records per source"),
}


def source_label(slug: str | None) -> str:
    """The short name of a source (or of the de-duplicated line), e.g. 'WHO SSA'."""
    if not slug:
        return str(_("Unknown source"))
    return str(SOURCES.get(slug, slug))


def source_name(slug: str | None) -> str:
    """The full name of a source, for citations and explanations."""
    if not slug:
        return str(_("Unknown source"))
    return str(SOURCE_NAMES.get(slug, SOURCES.get(slug, slug)))


def family_label(code: str | None) -> str:
    return str(FAMILIES.get(code or "unknown", code))


def resource_label(code: str | None) -> str:
    return str(RESOURCES.get(code or "other", code))


def perpetrator_label(code: str | None) -> str:
    return str(PERPETRATORS.get(code or "not_given", code))


def certainty_label(code: str | None) -> str:
    return str(CERTAINTY.get(code or "unknown", code))


def count_label(name: str) -> str:
    return str(COUNTS.get(name, name.replace("_", " ")))


def view_label(view: str) -> str:
    return str(VIEWS.get(view, view))


def country_label(iso3: str | None) -> str:
    """The country's common name in the active language (pycountry's ISO 3166 translations); the code
    itself when pycountry does not know it; 'Country not given' when blank."""
    if not iso3:
        return str(_("Country not given"))
    return _country_name(iso3.upper(), (get_language() or "en").split("-")[0])


# Shorter names where ISO 3166's reads like a list entry ("Congo, The Democratic Republic of the"), and
# codes the data sets use that ISO 3166 has not assigned (Kosovo).
SHORT_NAMES = {
    "BOL": _("Bolivia"),
    "COD": _("DR Congo"),
    "FSM": _("Micronesia"),
    "IRN": _("Iran"),
    "KOR": _("South Korea"),
    "PRK": _("North Korea"),
    "MDA": _("Moldova"),
    "PSE": _("Palestine"),
    "TZA": _("Tanzania"),
    "VEN": _("Venezuela"),
    "VAT": _("Vatican City"),
    "XKX": _("Kosovo"),
}


def _country_name(iso3: str, language: str) -> str:
    if iso3 in SHORT_NAMES:
        return str(SHORT_NAMES[iso3])
    return _iso3166_name(iso3, language)


@cache
def _iso3166_name(iso3: str, language: str) -> str:
    country = pycountry.countries.get(alpha_3=iso3)
    if country is None:
        return iso3
    name = str(getattr(country, "common_name", None) or country.name)
    return _iso3166(language).gettext(name)


@cache
def _iso3166(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True)
