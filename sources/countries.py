"""Country names and codes as sources write them -> ISO 3166-1 alpha-3 (pycountry plus the alias table).

The order (docs/harmonised-schema.md, "country_iso3"): a code the source gives, the alias table in
sources/crosswalks.yaml, the same after repairing UTF-8 read as Windows-1252 (`C\u00c3\u00b4te d'Ivoire` for `Côte d'Ivoire`), then
pycountry's names. A name found nowhere is a problem for the row, never a guess: add it to the alias table.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pycountry

from sources.crosswalks import crosswalks, iso3_exists


@dataclass(frozen=True)
class Country:
    iso3: str  # "" for a place that is not a country (International Waters)
    admin1: str = ""


class CountryProblem(ValueError):
    pass


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 bytes that were decoded as Windows-1252 or Latin-1; the text itself when that fails."""
    if not any(marker in text for marker in ("Ã", "Â", "â€")):
        return text
    for encoding in ("cp1252", "latin-1"):
        try:
            return text.encode(encoding).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    return text


@functools.lru_cache(maxsize=4096)
def _by_name(name: str) -> Country:
    table = crosswalks()
    for candidate in dict.fromkeys((name, repair_mojibake(name))):
        alias = table.country_aliases.get(candidate)
        if alias is not None:
            return Country(alias.iso3 or "", alias.admin1)
        try:
            return Country(pycountry.countries.lookup(candidate).alpha_3)
        except LookupError:
            continue
    raise CountryProblem(f"unknown country {name!r} (add it to the aliases in sources/crosswalks.yaml)")


@functools.lru_cache(maxsize=1024)
def _by_code(code: str, name: str) -> Country:
    table = crosswalks()
    upper = code.upper()
    if len(upper) == 3 and iso3_exists(upper, table.user_assigned_codes):
        alias = table.country_aliases.get(name) if name else None
        admin1 = alias.admin1 if alias is not None and alias.iso3 == upper else ""
        return Country(upper, admin1)
    raise CountryProblem(f"unknown country code {code!r} (expected ISO 3166-1 alpha-3)")


def resolve_country(name: str, code: str = "") -> Country:
    """The country of a row from its name and, when the source has one, its ISO code (which wins)."""
    name = name.strip()
    code = code.strip()
    if code:
        return _by_code(code, name)
    if not name:
        raise CountryProblem("no country given")
    return _by_name(name)
