"""Shared by the overlay tests: changes built against the real rule files."""

from __future__ import annotations

from typing import Any

from guidance.engine import default_rules
from guidance.overlay_content import Change

# A generic step that applies to every incident, and one that applies to the sample incident.
ALWAYS = "document_incident"
TELL_EMPLOYER = "tell_employer"
SAMPLE = {"kind": ["verbal_threat"], "channel": "phone", "perpetrator": "patient"}


def added_step(step_id: str = "huisarts_inform_practice", **overrides: Any) -> Change:
    rules = default_rules()
    step: dict[str, Any] = {
        "id": step_id,
        "urgency": "today",
        "order": 5,
        "title": {"nl": "Vertel het je praktijkteam", "en": "Tell your practice team"},
        "what": {"nl": "Bespreek het incident met je team.", "en": "Discuss the incident with your team."},
        "why": {"nl": "Dan weet iedereen ervan.", "en": "Then everyone knows."},
        "basis": [
            {"claim": {"nl": "Een bron zegt dit.", "en": "A source says so."}, "source": rules.sources[0].id}
        ],
        "partners": [rules.partners[0].id],
        "when": {"kind": ["verbal_threat"]},
    }
    step.update(overrides)
    return {"add": step}


def replaced_text(step_id: str = ALWAYS, field: str = "what", en: str = "Write it down, doctor.") -> Change:
    return {"replace": {"step": step_id, "field": field, "text": {"nl": "Schrijf het op, dokter.", "en": en}}}


def hidden_step(step_id: str, en: str = "The practice does this for you.") -> Change:
    return {"hide": {"step": step_id, "reason": {"nl": "De praktijk doet dit voor je.", "en": en}}}
