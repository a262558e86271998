"""The review queue and the reviewer's decisions: linkage.decisions (stored once per pair, audited without the
note, applied to the incidents at once, refused on a source clash or an earlier 'different') and the pages.
Permissions per page are in tests/test_role_matrix.py."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.translation import override

from accounts.roles import Role
from audit.models import Event
from linkage import decisions
from linkage.models import Decision, ReviewPair
from registry.models import Incident, IncidentLink
from sources.models import Record
from sources.releases import import_file
from tests.conftest import MakeMember, login_verified
from tests.incident_helpers import finished_run, incident, key, record, release, review_pair
from tests.sources_helpers import FIXTURES

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]


def url(name: str, *args: object, **query: Any) -> str:
    with override("en"):
        found = reverse(name, args=args)
    if query:
        found += "?" + "&".join(f"{name}={value}" for name, value in query.items())
    return found


@pytest.fixture
def analyst(client: Client, make_member: MakeMember) -> Client:
    return login_verified(client, make_member(Role.ANALYST))


@pytest.fixture
def world() -> dict[str, Any]:
    """Three reports of one attack, each alone in its incident, and a review pair between two of them."""
    ssa = record(release("who-ssa"), "SSA-1", description="Shelling hit the hospital")
    shcc = record(release("shcc"), "SH-1", admin1="Kharkiv")
    acled = record(release("acled"), "AC-1")
    run = finished_run()
    return {
        "ssa": ssa,
        "shcc": shcc,
        "acled": acled,
        "incidents": [incident(ssa), incident(shcc), incident(acled)],
        "run": run,
        "pair": review_pair(run, ssa, shcc),
    }


def incident_of(found: Record) -> Incident:
    return IncidentLink.objects.get(record_key=key(found)).incident


# linkage.decisions.decide -------------------------------------------------------------------------------------


def test_same_merges_the_incidents_keeping_the_older_number_and_is_audited_without_the_note(
    world: dict[str, Any], make_member: MakeMember
) -> None:
    analyst = make_member(Role.ANALYST)
    ssa, shcc = world["ssa"], world["shcc"]
    decision = decisions.decide(analyst, key(shcc), key(ssa), "same", note="Same hospital, same day")

    assert (decision.key_a, decision.key_b) == ("shcc:SH-1#1", "who-ssa:SSA-1#1")  # stored in order
    assert decision.decided_by == analyst and decision.note == "Same hospital, same day"
    kept = incident_of(ssa)
    assert kept == incident_of(shcc) == world["incidents"][0] and kept.record_count == 2
    world["incidents"][1].refresh_from_db()
    assert world["incidents"][1].status == "retired"
    world["pair"].refresh_from_db()
    assert world["pair"].decision == decision
    event = Event.objects.get(action="linkage.decision")
    assert event.details == {"verdict": "same", "keys": ["shcc:SH-1#1", "who-ssa:SSA-1#1"], "replaced": None}
    assert event.actor_id == analyst.pk and event.object_id == str(decision.pk)
    assert not any("hospital" in str(e.details) for e in Event.objects.all())


def test_a_new_verdict_replaces_the_old_one_and_both_are_in_the_log(world: dict[str, Any]) -> None:
    ssa, shcc = world["ssa"], world["shcc"]
    first = decisions.decide(None, key(ssa), key(shcc), "same")
    second = decisions.decide(None, key(shcc), key(ssa), "different", note="Other day after all")

    assert first.pk == second.pk and Decision.objects.count() == 1
    assert Decision.objects.get().verdict == "different"
    assert [
        e.details["verdict"] for e in Event.objects.filter(action="linkage.decision").order_by("sequence")
    ] == [
        "same",
        "different",
    ]
    assert Event.objects.filter(action="linkage.decision").last().details["replaced"] == "same"  # type: ignore[union-attr]
    # 'different' on two records of one incident splits the second off again.
    assert incident_of(ssa) != incident_of(shcc)
    assert incident_of(shcc).links.get().how == "decision"


def test_same_is_refused_when_the_merged_incident_would_hold_two_records_of_one_source(
    world: dict[str, Any],
) -> None:
    other_ssa = record(release("who-ssa", product="other"), "SSA-2")
    IncidentLink.objects.create(
        incident=world["incidents"][2],
        record_key=key(other_ssa),
        record=other_ssa,
        source="who-ssa",
        how="model",
    )
    with pytest.raises(decisions.DecisionRefused, match="two records of who-ssa"):
        decisions.decide(None, key(world["ssa"]), key(world["acled"]), "same")

    assert not Decision.objects.exists() and not Event.objects.filter(action="linkage.decision").exists()
    assert Incident.objects.filter(status="active").count() == 3


def test_same_is_refused_when_records_of_the_two_incidents_were_decided_different(
    world: dict[str, Any],
) -> None:
    ssa, shcc, acled = world["ssa"], world["shcc"], world["acled"]
    decisions.decide(None, key(ssa), key(shcc), "same")
    decisions.decide(None, key(acled), key(shcc), "different")
    with pytest.raises(decisions.DecisionRefused, match="were decided to be different"):
        decisions.decide(None, key(ssa), key(acled), "same")
    assert incident_of(acled) != incident_of(ssa)
    assert not Decision.objects.filter(verdict="same", key_a=key(acled)).exists()


def test_different_leaves_separate_incidents_alone(world: dict[str, Any]) -> None:
    decisions.decide(None, key(world["ssa"]), key(world["acled"]), "different")
    assert Incident.objects.filter(status="active").count() == 3
    assert not Event.objects.filter(action="registry.incident_split").exists()


def test_records_of_one_source_are_never_merged_and_stay_out_of_the_constraints(
    world: dict[str, Any],
) -> None:
    twin = record(world["ssa"].release, "SSA-1b")
    incident(twin)
    decisions.decide(None, key(world["ssa"]), key(twin), "same")
    decisions.decide(None, key(world["ssa"]), key(world["shcc"]), "same")
    decisions.decide(None, key(world["acled"]), key(world["shcc"]), "different")

    assert incident_of(twin) != incident_of(world["ssa"])
    must, cannot = decisions.constraints()
    assert must == {("shcc:SH-1#1", "who-ssa:SSA-1#1")}
    assert cannot == {("acled:AC-1#1", "shcc:SH-1#1")}


def test_a_decision_on_records_in_no_incident_is_kept_for_the_next_run() -> None:
    decision = decisions.decide(None, "acled:9#1", "who-ssa:9#1", "same")
    assert decision.verdict == "same" and not Incident.objects.exists()
    assert decisions.constraints() == ({("acled:9#1", "who-ssa:9#1")}, set())


@pytest.mark.parametrize(
    ("key_b", "verdict", "message"), [("a:1#1", "same", "itself"), ("b:1#1", "maybe", "verdict")]
)
def test_nonsense_decisions_are_refused(key_b: str, verdict: str, message: str) -> None:
    with pytest.raises(decisions.DecisionRefused, match=message):
        decisions.decide(None, "a:1#1", key_b, verdict)
    assert not Decision.objects.exists()


# The review queue ---------------------------------------------------------------------------------------------


def test_queue_lists_the_open_pairs_of_the_latest_run_uncertain_first(
    analyst: Client, world: dict[str, Any]
) -> None:
    old_run = finished_run()
    old_run.started_at -= datetime.timedelta(days=1)
    old_run.save()
    stale = review_pair(old_run, world["ssa"], world["acled"])
    run = world["run"]
    twin = record(world["ssa"].release, "SSA-1b")
    duplicate = review_pair(run, world["ssa"], twin, kind=ReviewPair.Kind.DUPLICATE, probability=0.99)
    likely = review_pair(run, world["shcc"], world["acled"], probability=0.8)
    decided = review_pair(run, world["ssa"], world["acled"])
    decisions.decide(None, key(world["ssa"]), key(world["acled"]), "different")

    page = analyst.get(url("linkage:review")).content.decode()
    shown = [pair.pk for pair in (likely, world["pair"], duplicate) if f"Review pair {pair.pk}<" in page]
    assert shown == [likely.pk, world["pair"].pk, duplicate.pk]
    assert page.index(f"Review pair {likely.pk}<") < page.index(f"Review pair {world['pair'].pk}<")
    assert page.index(f"Review pair {world['pair'].pk}<") < page.index(f"Review pair {duplicate.pk}<")
    assert f"Review pair {decided.pk}<" not in page and f"Review pair {stale.pk}<" not in page
    assert "(3 in total)" in page


def test_queue_filters_by_source_pair_and_country(analyst: Client, world: dict[str, Any]) -> None:
    syria_a = record(release("acled", product="syria"), "AC-S", country="SYR")
    syria_b = record(release("shcc", product="syria"), "SH-S", country="SYR")
    syrian = review_pair(world["run"], syria_a, syria_b)

    def shown(**query: Any) -> set[int]:
        page = analyst.get(url("linkage:review", **query)).content.decode()
        return {pair.pk for pair in (world["pair"], syrian) if f"Review pair {pair.pk}<" in page}

    assert shown() == {world["pair"].pk, syrian.pk}
    assert shown(pair="shcc|who-ssa") == {world["pair"].pk}
    assert shown(pair="acled|shcc") == {syrian.pk}
    assert shown(country="SYR") == {syrian.pk}
    assert analyst.get(url("linkage:review", pair="nonsense")).status_code == 400


def test_queue_without_a_finished_run_says_so(analyst: Client) -> None:
    page = analyst.get(url("linkage:review")).content.decode()
    assert "No linkage run has finished yet" in page


# One pair -----------------------------------------------------------------------------------------------------


def test_pair_page_shows_both_records_side_by_side_with_the_agreement_and_the_rows_as_they_came(
    analyst: Client,
) -> None:
    ssa_release = import_file(
        "who-ssa", FIXTURES / "who_ssa_attacks.csv", vintage=datetime.date(2024, 3, 8)
    ).release
    first, second = Record.objects.filter(release=ssa_release).order_by("row_number")[:2]
    shcc = record(release("shcc"), "SH-1", country=first.country_iso3, date=first.event_date)
    pair = review_pair(finished_run(), first, shcc)
    incident(first)

    response = analyst.get(url("linkage:pair", pair.pk))
    page = response.content.decode()
    assert response.status_code == 200
    assert f"<code>{key(first)}</code>" in page and f"<code>{key(shcc)}</code>" in page
    assert '<th scope="row">Country (ISO 3166-1 alpha-3)</th>' in page
    assert '<th scope="row">Health workers killed</th>' in page  # every harmonised field
    assert "✓</span> agrees" in page and "✗</span> disagrees" in page and "cannot compare" in page
    # The model's labels, in the page's language (linkage.labels).
    assert '<th scope="row">area (admin1)</th>' in page and "<td>none of the above</td>" in page
    assert '<th scope="row">description</th>' in page and "<td>one day apart</td>" in page
    assert "<dt>Attack ID</dt><dd>" + first.source_id + "</dd>" in page  # the WHO SSA row as it came
    assert "<dt>What happened</dt>" in page  # the SHCC row under its own headers
    found = incident_of(first)
    assert f'In incident <a href="{url("registry:detail", found.pk)}">{found.number}</a>' in page
    assert "Not in an incident yet." in page
    assert '<tr class="differs">' in page and '<tr class="both-empty">' in page
    assert 'name="verdict" value="same"' in page and 'name="verdict" value="different"' in page
    assert second.source_id not in page


def test_accepting_on_the_pair_page_merges_and_moves_on_to_the_next_pair(
    analyst: Client, world: dict[str, Any]
) -> None:
    following = review_pair(world["run"], world["shcc"], world["acled"], probability=0.6)
    response = analyst.post(url("linkage:decide", world["pair"].pk), {"verdict": "same", "note": "Same"})

    assert response.status_code == 302 and response["Location"] == url("linkage:pair", following.pk)
    assert incident_of(world["ssa"]) == incident_of(world["shcc"])
    assert Decision.objects.get().note == "Same"
    page = analyst.get(response["Location"]).content.decode()
    assert "Decided: the same incident." in page

    last = analyst.post(url("linkage:decide", following.pk), {"verdict": "different"})
    assert last["Location"] == url("linkage:review")
    assert "No pair is waiting for a decision." in analyst.get(last["Location"]).content.decode()


def test_a_decided_pair_shows_the_decision_and_can_be_decided_again(
    analyst: Client, world: dict[str, Any]
) -> None:
    analyst.post(url("linkage:decide", world["pair"].pk), {"verdict": "same", "note": "First look"})
    page = analyst.get(url("linkage:pair", world["pair"].pk)).content.decode()
    assert "Decided: same incident." in page and "First look" in page
    analyst.post(url("linkage:decide", world["pair"].pk), {"verdict": "different"})
    assert Decision.objects.get().verdict == "different"
    assert incident_of(world["ssa"]) != incident_of(world["shcc"])


def test_a_refused_decision_shows_the_reason(analyst: Client, world: dict[str, Any]) -> None:
    other_shcc = record(release("shcc", product="other"), "SH-2")
    IncidentLink.objects.create(
        incident=world["incidents"][0],
        record_key=key(other_shcc),
        record=other_shcc,
        source="shcc",
        how="model",
    )
    response = analyst.post(url("linkage:decide", world["pair"].pk), {"verdict": "same"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "The decision was not applied" in page and "two records of shcc" in page
    assert not Decision.objects.exists()
    bad = analyst.post(url("linkage:decide", world["pair"].pk), {"verdict": "perhaps"})
    assert bad.status_code == 400


def test_unknown_pairs_are_404_viewers_403_and_posts_need_the_csrf_token(
    analyst: Client, world: dict[str, Any], make_member: MakeMember
) -> None:
    assert analyst.get(url("linkage:pair", 999999)).status_code == 404
    assert analyst.post(url("linkage:decide", 999999), {"verdict": "same"}).status_code == 404
    assert analyst.get(url("linkage:decide", world["pair"].pk)).status_code == 405
    viewer = login_verified(Client(), make_member(Role.VIEWER))
    assert viewer.get(url("linkage:review")).status_code == 403
    assert viewer.get(url("linkage:pair", world["pair"].pk)).status_code == 403
    assert viewer.post(url("linkage:decide", world["pair"].pk), {"verdict": "same"}).status_code == 403
    strict = login_verified(Client(enforce_csrf_checks=True), make_member(Role.ANALYST))
    assert strict.post(url("linkage:decide", world["pair"].pk), {"verdict": "same"}).status_code == 403
    assert not Decision.objects.exists()
