"""The plan for concrete incidents under the real rules (guidance/rules/): which steps must and must not appear.

Each scenario pins the steps a health-care worker must see and the steps that would be wrong for them. When a
rule change moves a step in or out of a plan on purpose, update the scenario and say why in the commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest

from guidance import RuleSet, load, plan
from tests.guidance_helpers import REAL_RULES_ABSENT_REASON, REAL_RULES_PRESENT

pytestmark = pytest.mark.skipif(not REAL_RULES_PRESENT, reason=REAL_RULES_ABSENT_REASON)

# Steps for every employed worker, whatever happened.
ALWAYS = ("document_incident", "melding_or_aangifte", "aftercare_slachtofferhulp")
EMPLOYED = ("tell_employer", "employer_measures", "aftercare_work", "legal_aid")
SELF_EMPLOYED = ("self_employed_duties", "aftercare_self_employed", "legal_aid_self_employed")
# Steps about filing a complaint for a criminal threat (not for smear, property damage or "other" alone).
THREAT_COMPLAINT = ("report_vpt_ela", "aangifte_work_address", "recover_damages")
TREATMENT = ("treatment_continue_agreements", "treatment_end_with_care")
ONLINE = ("document_online", "platform_notice_dsa")


@dataclass(frozen=True)
class Scenario:
    name: str
    answers: Mapping[str, str | list[str]]
    must: tuple[str, ...]
    must_not: tuple[str, ...] = field(default=())


def employed(**answers: str | list[str]) -> dict[str, str | list[str]]:
    return {"employment": "employed", **answers}


def self_employed(**answers: str | list[str]) -> dict[str, str | list[str]]:
    return {"employment": "self_employed", **answers}


SCENARIOS = [
    Scenario(
        "a GP's own patient threatens violence on the phone (GP runs the practice)",
        self_employed(
            profession="huisarts",
            sector="general_practice",
            kind=["verbal_threat"],
            channel="phone",
            perpetrator="patient",
            in_care="yes",
            severity=["threat_of_violence"],
        ),
        must=(
            *ALWAYS,
            *SELF_EMPLOYED,
            *THREAT_COMPLAINT,
            "beroepsgeheim_aangifte",
            "treatment_end_with_care",
            "practice_warning",
            "om_higher_sentence_named",
            "aangifte_under_number_patient",
            "gp_aggression_protocol",
            "safe_work_arrangements",
        ),
        must_not=(
            *EMPLOYED,
            *ONLINE,
            "call_112",
            "treatment_continue_agreements",
            "aangifte_under_number",
            "om_higher_sentence_other",
            "aangifte_by_employer",
            "shield_home_address",
            "doxing_285d",
        ),
    ),
    Scenario(
        "an employed GP's patient is abusive on the phone, no threat of violence",
        employed(
            profession="huisarts",
            sector="general_practice",
            kind=["verbal_threat"],
            channel="phone",
            perpetrator="patient",
            in_care="yes",
        ),
        must=(
            *ALWAYS,
            *EMPLOYED,
            "treatment_continue_agreements",
            "practice_warning",
            "beroepsgeheim_aangifte",
            "om_higher_sentence_named",
            "aangifte_by_employer",
            "gp_aggression_protocol",
        ),
        must_not=(*SELF_EMPLOYED, "treatment_end_with_care", "safe_work_arrangements", "call_112"),
    ),
    Scenario(
        "an anonymous account doxes an emergency physician",
        employed(
            profession="seh_arts",
            sector="hospital",
            kind=["doxing"],
            channel="social_media",
            perpetrator="online_account",
            in_care="unknown",
            severity=["online_only"],
        ),
        must=(
            *ALWAYS,
            *EMPLOYED,
            *THREAT_COMPLAINT,
            *ONLINE,
            "doxing_285d",
            "shield_home_address",
            "anonymous_account_aangifte",
            "om_higher_sentence_other",
            "aangifte_under_number",
            "aangifte_by_employer",
        ),
        must_not=(
            *TREATMENT,
            "call_112",
            "om_higher_sentence_named",
            "beroepsgeheim_aangifte",
            "practice_warning",
            "gp_aggression_protocol",
            "aangifte_under_number_patient",
            "klacht_own_request",
            "keep_incident_log",
        ),
    ),
    Scenario(
        "a relative assaults a nurse on a hospital ward",
        employed(
            profession="verpleegkundige",
            sector="hospital",
            kind=["physical_violence"],
            channel="in_person",
            perpetrator="relative",
            in_care="no",
            severity=["acute_danger"],
        ),
        must=(
            *ALWAYS,
            *EMPLOYED,
            *THREAT_COMPLAINT,
            "call_112",
            "safe_work_arrangements",
            "om_higher_sentence_other",
            "aangifte_under_number",
            "aangifte_by_employer",
        ),
        must_not=(
            *TREATMENT,
            *ONLINE,
            "beroepsgeheim_aangifte",
            "practice_warning",
            "shield_home_address",
            "doxing_285d",
            "om_higher_sentence_named",
            "anonymous_account_aangifte",
        ),
    ),
    Scenario(
        "repeated online harassment and smears of a specialist who speaks in the media",
        employed(
            profession="medisch_specialist",
            sector="hospital",
            kind=["written_threat", "smear"],
            channel="social_media",
            perpetrator="online_account",
            severity=["repeated", "online_only"],
        ),
        must=(
            *ALWAYS,
            *EMPLOYED,
            *THREAT_COMPLAINT,
            *ONLINE,
            "keep_incident_log",
            "safe_work_arrangements",
            "anonymous_account_aangifte",
            "klacht_own_request",
            "aangifte_by_employer",
            "om_higher_sentence_other",
        ),
        must_not=("call_112", "doxing_285d", "shield_home_address", "beroepsgeheim_aangifte", *TREATMENT),
    ),
    Scenario(
        "a bystander attacks an ambulance crew at the scene",
        employed(
            profession="ambulance",
            sector="ambulance",
            kind=["physical_violence"],
            channel="in_person",
            perpetrator="citizen",
            in_care="no",
            severity=["acute_danger"],
        ),
        must=(
            *ALWAYS,
            *EMPLOYED,
            *THREAT_COMPLAINT,
            "call_112",
            "om_higher_sentence_named",
            "aangifte_by_employer",
        ),
        must_not=("om_higher_sentence_other", "beroepsgeheim_aangifte", *TREATMENT, "practice_warning"),
    ),
    Scenario(
        "a patient threatens the ambulance nurse during the ride",
        employed(
            profession="ambulance",
            sector="ambulance",
            kind=["verbal_threat"],
            channel="in_person",
            perpetrator="patient",
            in_care="yes",
            severity=["threat_of_violence"],
        ),
        must=(
            "om_higher_sentence_named",
            "beroepsgeheim_aangifte",
            "treatment_end_with_care",
            "aangifte_under_number_patient",
            "safe_work_arrangements",
        ),
        must_not=(
            "treatment_continue_agreements",
            "aangifte_under_number",
            "call_112",
            "om_higher_sentence_other",
        ),
    ),
    Scenario(
        "a self-employed pharmacist is smeared on a review site",
        self_employed(
            profession="apotheker",
            sector="pharmacy",
            kind=["smear"],
            channel="review_site",
            perpetrator="citizen",
            severity=["online_only"],
        ),
        must=(
            *ALWAYS,
            *SELF_EMPLOYED,
            *ONLINE,
            "klacht_own_request",
            "aangifte_work_address",
            "recover_damages",
        ),
        must_not=(
            *EMPLOYED,
            "report_vpt_ela",
            "om_higher_sentence_named",
            "om_higher_sentence_other",
            "aangifte_under_number",
            "aangifte_by_employer",
            "call_112",
            "safe_work_arrangements",
        ),
    ),
    Scenario(
        "a dentist's patient kicks in the practice door",
        self_employed(
            profession="tandarts",
            sector="dental",
            kind=["property_damage"],
            channel="in_person",
            perpetrator="patient",
            in_care="yes",
        ),
        must=(
            *ALWAYS,
            *SELF_EMPLOYED,
            "beroepsgeheim_aangifte",
            "practice_warning",
            "treatment_continue_agreements",
            "aangifte_work_address",
            "recover_damages",
        ),
        must_not=(
            "report_vpt_ela",
            "om_higher_sentence_named",
            "om_higher_sentence_other",
            "aangifte_under_number",
            "aangifte_under_number_patient",
            "aangifte_by_employer",
            "treatment_end_with_care",
        ),
    ),
    Scenario(
        "a former patient stalks a psychiatrist through a messaging app",
        employed(
            profession="psychiater",
            sector="mental_health",
            kind=["stalking"],
            channel="messaging_app",
            perpetrator="patient",
            in_care="no",
            severity=["repeated"],
        ),
        must=(
            *ONLINE,
            "klacht_own_request",
            "shield_home_address",
            "keep_incident_log",
            "beroepsgeheim_aangifte",
            "aangifte_under_number",
            "safe_work_arrangements",
            "report_vpt_ela",
        ),
        must_not=(*TREATMENT, "practice_warning", "aangifte_under_number_patient", "doxing_285d"),
    ),
    Scenario(
        "a client in elderly care keeps sexually intimidating a carer",
        employed(
            profession="verzorgende",
            sector="elderly_care",
            kind=["sexual_intimidation"],
            channel="in_person",
            perpetrator="patient",
            in_care="yes",
            severity=["repeated"],
        ),
        must=(
            *EMPLOYED,
            "treatment_end_with_care",
            "practice_warning",
            "keep_incident_log",
            "report_vpt_ela",
            "aangifte_under_number_patient",
            "aangifte_by_employer",
            "beroepsgeheim_aangifte",
        ),
        must_not=("treatment_continue_agreements", "shield_home_address", "klacht_own_request", *ONLINE),
    ),
    Scenario(
        "an anonymous account posts hate about GPs as a group",
        self_employed(
            profession="huisarts",
            sector="general_practice",
            kind=["discrimination"],
            channel="social_media",
            perpetrator="online_account",
            severity=["online_only"],
        ),
        must=(
            *ONLINE,
            "online_group_discrimination",
            "om_higher_sentence_named",
            "anonymous_account_aangifte",
            "gp_aggression_protocol",
            "report_vpt_ela",
        ),
        must_not=("aangifte_by_employer", "tell_employer", "call_112", "om_higher_sentence_other"),
    ),
    Scenario(
        "a visitor makes racist remarks to a nurse in the hospital hall",
        employed(
            profession="verpleegkundige",
            sector="hospital",
            kind=["discrimination"],
            channel="in_person",
            perpetrator="visitor",
        ),
        must=(*ALWAYS, *EMPLOYED, *THREAT_COMPLAINT, "aangifte_under_number", "om_higher_sentence_other"),
        must_not=(
            "online_group_discrimination",
            *ONLINE,
            "anonymous_account_aangifte",
            "beroepsgeheim_aangifte",
        ),
    ),
    Scenario(
        "a client's partner sends a midwife a threatening letter",
        self_employed(
            profession="verloskundige",
            sector="maternity",
            kind=["written_threat"],
            channel="letter",
            perpetrator="relative",
            in_care="no",
            severity=["threat_of_violence"],
        ),
        must=(*SELF_EMPLOYED, "report_vpt_ela", "safe_work_arrangements", "aangifte_under_number"),
        must_not=(*ONLINE, "practice_warning", "aangifte_by_employer", "beroepsgeheim_aangifte", "call_112"),
    ),
    Scenario(
        "a parent emails a youth physician a threat",
        employed(
            profession="jeugdarts",
            sector="youth_care",
            kind=["written_threat"],
            channel="email",
            perpetrator="relative",
            in_care="no",
        ),
        must=("document_online", "report_vpt_ela", "aangifte_by_employer", "om_higher_sentence_other"),
        must_not=("platform_notice_dsa", "anonymous_account_aangifte", "practice_warning"),
    ),
    Scenario(
        "only acute danger answered",
        {"severity": ["acute_danger"]},
        must=(*ALWAYS, *EMPLOYED, "call_112", "safe_work_arrangements"),
        must_not=(*THREAT_COMPLAINT, *SELF_EMPLOYED, "keep_incident_log", "gp_aggression_protocol"),
    ),
    Scenario(
        "nothing answered",
        {},
        must=(*ALWAYS, *EMPLOYED),
        must_not=(
            *SELF_EMPLOYED,
            *THREAT_COMPLAINT,
            *TREATMENT,
            *ONLINE,
            "call_112",
            "safe_work_arrangements",
        ),
    ),
    Scenario(
        "something else happened (kind other), in person",
        employed(kind=["other"], channel="in_person"),
        must=(*ALWAYS, *EMPLOYED),
        must_not=(*THREAT_COMPLAINT, "klacht_own_request", "aangifte_by_employer", "aangifte_under_number"),
    ),
    Scenario(
        "a citizen repeatedly waits for a doctor at the practice door",
        employed(
            profession="huisarts",
            sector="general_practice",
            kind=["intimidation"],
            channel="in_person",
            perpetrator="citizen",
            severity=["repeated"],
        ),
        must=("shield_home_address", "keep_incident_log", "safe_work_arrangements", "gp_aggression_protocol"),
        must_not=("call_112", "beroepsgeheim_aangifte", *ONLINE),
    ),
    Scenario(
        "a visitor threatens a medical student on the ward",
        employed(
            profession="student",
            sector="hospital",
            kind=["verbal_threat"],
            channel="in_person",
            perpetrator="visitor",
        ),
        must=("om_higher_sentence_other", "aangifte_under_number", "report_vpt_ela", "aangifte_by_employer"),
        must_not=("om_higher_sentence_named", "practice_warning", *TREATMENT),
    ),
    Scenario(
        "an employee threatens the occupational physician on the phone",
        employed(
            profession="bedrijfsarts",
            sector="occupational_health",
            kind=["verbal_threat"],
            channel="phone",
            perpetrator="patient",
            in_care="yes",
        ),
        must=("beroepsgeheim_aangifte", "treatment_continue_agreements", "aangifte_under_number_patient"),
        must_not=("treatment_end_with_care", "aangifte_under_number", "gp_aggression_protocol"),
    ),
    Scenario(
        "a relative of a nursing-home resident threatens the elderly care physician",
        employed(
            profession="specialist_ouderengeneeskunde",
            sector="elderly_care",
            kind=["verbal_threat"],
            channel="in_person",
            perpetrator="relative",
            in_care="yes",
        ),
        must=("practice_warning", "aangifte_under_number", "om_higher_sentence_other"),
        must_not=("beroepsgeheim_aangifte", *TREATMENT, "aangifte_under_number_patient"),
    ),
    Scenario(
        "a patient no longer in the GP's care threatens the GP",
        self_employed(
            profession="huisarts",
            sector="general_practice",
            kind=["verbal_threat"],
            channel="in_person",
            perpetrator="patient",
            in_care="no",
            severity=["threat_of_violence"],
        ),
        must=("beroepsgeheim_aangifte", "aangifte_under_number", "om_higher_sentence_named"),
        must_not=(*TREATMENT, "practice_warning", "aangifte_under_number_patient"),
    ),
    Scenario(
        "a patient threatens, the worker does not know whether they are in their care",
        employed(kind=["verbal_threat"], channel="phone", perpetrator="patient", in_care="unknown"),
        must=("beroepsgeheim_aangifte", "aangifte_under_number"),
        must_not=(*TREATMENT, "practice_warning", "aangifte_under_number_patient"),
    ),
    Scenario(
        "a self-employed psychologist is smeared on a review site by a client in treatment",
        self_employed(
            profession="psycholoog",
            sector="mental_health",
            kind=["smear"],
            channel="review_site",
            perpetrator="patient",
            in_care="yes",
            severity=["online_only"],
        ),
        must=(
            *ONLINE,
            "beroepsgeheim_aangifte",
            "practice_warning",
            "treatment_continue_agreements",
            "klacht_own_request",
        ),
        must_not=(
            "aangifte_by_employer",
            "report_vpt_ela",
            "treatment_end_with_care",
            "anonymous_account_aangifte",
        ),
    ),
    Scenario(
        "a resident hits a physician for people with intellectual disabilities",
        employed(
            profession="arts_vg",
            sector="disability_care",
            kind=["physical_violence"],
            channel="in_person",
            perpetrator="patient",
            in_care="yes",
            severity=["acute_danger"],
        ),
        must=(
            "call_112",
            "treatment_end_with_care",
            "om_higher_sentence_other",
            "aangifte_under_number_patient",
        ),
        must_not=("treatment_continue_agreements", "om_higher_sentence_named", "aangifte_under_number"),
    ),
    Scenario(
        "a patient on the ward threatens to hit a specialist",
        employed(
            profession="medisch_specialist",
            sector="hospital",
            kind=["verbal_threat", "intimidation"],
            channel="in_person",
            perpetrator="patient",
            in_care="yes",
            severity=["threat_of_violence"],
        ),
        must=(
            "treatment_end_with_care",
            "aangifte_by_employer",
            "shield_home_address",
            "safe_work_arrangements",
        ),
        must_not=("treatment_continue_agreements", "call_112"),
    ),
    Scenario(
        "a relative spreads a nurse's home address in a group chat",
        employed(
            profession="verpleegkundige",
            sector="hospital",
            kind=["doxing"],
            channel="messaging_app",
            perpetrator="relative",
            in_care="no",
        ),
        must=(*ONLINE, "doxing_285d", "shield_home_address", "aangifte_under_number"),
        must_not=("anonymous_account_aangifte", "beroepsgeheim_aangifte", "call_112"),
    ),
    Scenario(
        "a patient not in care threatens and smashes a window at the practice",
        self_employed(
            profession="huisarts",
            sector="general_practice",
            kind=["verbal_threat", "property_damage"],
            channel="in_person",
            perpetrator="patient",
            in_care="no",
            severity=["threat_of_violence"],
        ),
        must=("beroepsgeheim_aangifte", "recover_damages", "aangifte_work_address", "aangifte_under_number"),
        must_not=(*TREATMENT, "aangifte_by_employer"),
    ),
    Scenario(
        "a known citizen posts a threat against a doctor on social media",
        employed(
            profession="medisch_specialist",
            sector="hospital",
            kind=["written_threat"],
            channel="social_media",
            perpetrator="citizen",
            severity=["online_only"],
        ),
        must=(*ONLINE, "report_vpt_ela", "aangifte_under_number"),
        must_not=("anonymous_account_aangifte", "call_112", "doxing_285d"),
    ),
    Scenario(
        "a self-employed worker in another profession, something else by letter",
        self_employed(profession="other", sector="other", kind=["other"], channel="other"),
        must=(*ALWAYS, *SELF_EMPLOYED),
        must_not=(*EMPLOYED, *THREAT_COMPLAINT, *ONLINE, "gp_aggression_protocol"),
    ),
    Scenario(
        "a doctor's assistant at a GP practice is threatened at the desk",
        employed(
            profession="other",
            sector="general_practice",
            kind=["verbal_threat"],
            channel="in_person",
            perpetrator="patient",
            in_care="yes",
        ),
        must=("gp_aggression_protocol", "tell_employer", "om_higher_sentence_other", "practice_warning"),
        must_not=("om_higher_sentence_named",),
    ),
    Scenario(
        "a visitor threatens a GP at the out-of-hours GP post (employed)",
        employed(
            profession="huisarts",
            sector="general_practice",
            kind=["verbal_threat"],
            channel="in_person",
            perpetrator="visitor",
        ),
        must=("om_higher_sentence_named", "aangifte_by_employer", "aangifte_under_number"),
        must_not=("om_higher_sentence_other", "beroepsgeheim_aangifte"),
    ),
    Scenario(
        "an anonymous account doxes an ambulance worker",
        employed(
            profession="ambulance",
            sector="ambulance",
            kind=["doxing"],
            channel="social_media",
            perpetrator="online_account",
            severity=["online_only"],
        ),
        must=("doxing_285d", "om_higher_sentence_named", "anonymous_account_aangifte", *ONLINE),
        must_not=("om_higher_sentence_other", "call_112"),
    ),
    Scenario(
        "a one-off smear on social media, online only",
        employed(kind=["smear"], channel="social_media", perpetrator="citizen", severity=["online_only"]),
        must=(*ONLINE, "klacht_own_request", "aangifte_by_employer"),
        must_not=("call_112", "safe_work_arrangements", "keep_incident_log", "report_vpt_ela"),
    ),
    Scenario(
        "an anonymous account stalks a nurse for months",
        employed(
            profession="verpleegkundige",
            sector="mental_health",
            kind=["stalking"],
            channel="social_media",
            perpetrator="online_account",
            severity=["repeated", "online_only"],
        ),
        must=(
            "klacht_own_request",
            "shield_home_address",
            "anonymous_account_aangifte",
            "keep_incident_log",
            "safe_work_arrangements",
        ),
        must_not=("call_112", "beroepsgeheim_aangifte"),
    ),
    Scenario(
        "a stranger sexually intimidates a pharmacist through a messaging app",
        employed(
            profession="apotheker",
            sector="pharmacy",
            kind=["sexual_intimidation"],
            channel="messaging_app",
            perpetrator="citizen",
        ),
        must=(*ONLINE, "report_vpt_ela", "aangifte_under_number", "aangifte_by_employer"),
        must_not=("klacht_own_request", "shield_home_address", "online_group_discrimination"),
    ),
    Scenario(
        "a visitor damages a nurse's car in the hospital car park",
        employed(
            profession="verpleegkundige",
            sector="hospital",
            kind=["property_damage"],
            channel="in_person",
            perpetrator="visitor",
        ),
        must=("aangifte_work_address", "recover_damages"),
        must_not=(
            "report_vpt_ela",
            "om_higher_sentence_other",
            "aangifte_by_employer",
            "aangifte_under_number",
        ),
    ),
    Scenario(
        "a threat by phone, profession not answered",
        {"kind": ["verbal_threat"], "channel": "phone", "perpetrator": "citizen"},
        must=(*EMPLOYED, "om_higher_sentence_other", "report_vpt_ela"),
        must_not=("om_higher_sentence_named", *SELF_EMPLOYED),
    ),
    Scenario(
        "a patient in care threatens a nurse on the ward in acute danger",
        employed(
            profession="verpleegkundige",
            sector="hospital",
            kind=["verbal_threat", "physical_violence"],
            channel="in_person",
            perpetrator="patient",
            in_care="yes",
            severity=["acute_danger", "threat_of_violence"],
        ),
        must=("call_112", "treatment_end_with_care", "aangifte_under_number_patient", "aangifte_by_employer"),
        must_not=("treatment_continue_agreements", "aangifte_under_number"),
    ),
    Scenario(
        "a citizen threatens a pharmacy employee on the phone about medication",
        employed(
            profession="apotheker",
            sector="pharmacy",
            kind=["verbal_threat"],
            channel="phone",
            perpetrator="citizen",
        ),
        must=("aangifte_under_number", "aangifte_by_employer", "om_higher_sentence_other"),
        must_not=(*ONLINE, "gp_aggression_protocol"),
    ),
    Scenario(
        "a relative emails a self-employed dentist a threat",
        self_employed(
            profession="tandarts",
            sector="dental",
            kind=["written_threat"],
            channel="email",
            perpetrator="relative",
            in_care="no",
        ),
        must=("document_online", "report_vpt_ela", *SELF_EMPLOYED),
        must_not=("platform_notice_dsa", "aangifte_by_employer", "tell_employer"),
    ),
    Scenario(
        "an anonymous account smears a midwife and posts hate about her background",
        self_employed(
            profession="verloskundige",
            sector="maternity",
            kind=["smear", "discrimination"],
            channel="social_media",
            perpetrator="online_account",
            severity=["online_only"],
        ),
        must=("online_group_discrimination", "klacht_own_request", "anonymous_account_aangifte", *ONLINE),
        must_not=("aangifte_by_employer", "call_112"),
    ),
    Scenario(
        "a doctor in training is intimidated by a patient's relatives in the emergency room",
        employed(
            profession="arts_in_opleiding",
            sector="hospital",
            kind=["intimidation"],
            channel="in_person",
            perpetrator="relative",
            in_care="yes",
            severity=["threat_of_violence"],
        ),
        must=("practice_warning", "shield_home_address", "safe_work_arrangements", "aangifte_under_number"),
        must_not=("beroepsgeheim_aangifte", *TREATMENT, "call_112"),
    ),
]


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load()


def test_there_are_at_least_forty_scenarios() -> None:
    assert len(SCENARIOS) >= 40
    assert len({scenario.name for scenario in SCENARIOS}) == len(SCENARIOS)


def test_every_pinned_step_exists(rules: RuleSet) -> None:
    pinned = {step for scenario in SCENARIOS for step in (*scenario.must, *scenario.must_not)}
    assert sorted(pinned - set(rules.step_map)) == [], "scenarios name steps the rule files do not have"


def test_every_step_is_pinned_by_some_scenario(rules: RuleSet) -> None:
    shown = {step for scenario in SCENARIOS for step in scenario.must}
    assert sorted(set(rules.step_map) - shown) == [], "add a scenario that shows these steps"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.name)
def test_scenario(scenario: Scenario, rules: RuleSet) -> None:
    result = plan(scenario.answers, rules)
    shown = set(result.step_ids)
    missing = [step for step in scenario.must if step not in shown]
    wrong = [step for step in scenario.must_not if step in shown]
    assert not missing and not wrong, (
        f"missing {missing}, should not show {wrong}; plan: {list(result.step_ids)}"
    )
    assert not set(scenario.must) & set(scenario.must_not)
    kinds = scenario.answers.get("kind", [])
    assert [boundary.kind for boundary in result.boundaries] == [
        kind for kind in rules.framework.fact_map["kind"].codes if kind in kinds
    ]
