"""What the review page calls the comparisons and their levels, translated.

The model stores each level's English label (linkage/model.py, and Splink's own labels for its library
comparisons) with the run; the review page shows them through these tables. A label that is not here (a
model of an older run) is shown as stored."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

COMPARISONS: dict[str, Any] = {
    "date": _("date"),
    "latitude_longitude": _("distance"),
    "admin1": _("area (admin1)"),
    "country": _("country"),
    "resources": _("resources affected"),
    "families": _("attack-type families"),
    "killed": _("killed"),
    "injured": _("injured"),
    "perpetrator": _("perpetrator category"),
    "tokens": _("description"),
    "claims": _("co-reporting"),
}

LEVELS: dict[str, Any] = {
    "same day": _("same day"),
    "one day apart": _("one day apart"),
    "two or three days apart": _("two or three days apart"),
    "dated to week or month": _("dated to week or month"),
    "Distance less than 2km": _("less than 2 km apart"),
    "Distance less than 10km": _("less than 10 km apart"),
    "Distance less than 50km": _("less than 50 km apart"),
    "Exact match on admin1": _("same area"),
    "same country": _("same country"),
    "Array intersection size >= 4": _("4 or more in common"),
    "Array intersection size >= 2": _("2 or more in common"),
    "Array intersection size >= 1": _("1 or more in common"),
    "same number of people killed": _("same number of people killed"),
    "nobody killed in either": _("nobody killed in either"),
    "close numbers of people killed (within 1 or 20%)": _("close numbers of people killed (within 1 or 20%)"),
    "same number of people injured": _("same number of people injured"),
    "nobody injured in either": _("nobody injured in either"),
    "close numbers of people injured (within 1 or 20%)": _(
        "close numbers of people injured (within 1 or 20%)"
    ),
    "Exact match on perpetrator": _("same category"),
    "one record names the other's source as co-reporting": _(
        "one record names the other's source as co-reporting"
    ),
    "All other comparisons": _("none of the above"),
}


def comparison_label(name: str) -> str:
    return str(COMPARISONS.get(name, name))


def level_label(label: str) -> str:
    return str(LEVELS.get(label, label))
