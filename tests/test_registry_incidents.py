"""Incidents by hand: merging and splitting (registry.actions, and linkage.decisions which records why), and the
incident pages. Permissions per page are in tests/test_role_matrix.py."""

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
from linkage.models import Decision
from registry import actions
from registry.incidents import canonical_fields
from registry.models import Incident, IncidentLink
from tests.conftest import MakeMember, login_verified
from tests.incident_helpers import incident, key, record, release

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
def three() -> dict[str, Any]:
    """WHO SSA and SHCC reports of one attack in one incident, ACLED's report of it in another."""
    ssa = record(release("who-ssa"), "SSA-1", people_killed=2, description="Hospital shelled")
    shcc = record(release("shcc"), "SH-1", people_killed=3, health_workers_killed=1, admin1="Kharkiv")
    acled = record(
        release("acled"), "AC-1", people_killed=4, latitude=50.0, longitude=36.2, geo_precision="town"
    )
    return {
        "ssa": ssa,
        "shcc": shcc,
        "acled": acled,
        "first": incident(ssa, shcc),
        "second": incident(acled),
    }


def keys_of(found: Incident) -> list[str]:
    return sorted(found.links.values_list("record_key", flat=True))


# registry.actions ---------------------------------------------------------------------------------------------


def test_merge_moves_every_record_and_retires_the_other_incident(three: dict[str, Any]) -> None:
    first, second = three["first"], three["second"]
    kept = actions.merge_incidents(None, first, second)

    second.refresh_from_db()
    assert kept.pk == first.pk and kept.record_count == 3
    assert kept.sources == ["acled", "shcc", "who-ssa"]
    assert (kept.latitude, kept.place_from) == (50.0, "acled")
    assert kept.figures["people_killed"]["by_source"] == {"acled": 4, "shcc": 3, "who-ssa": 2}
    assert (second.status, second.merged_into_id, second.record_count) == ("retired", first.pk, 0)
    moved = IncidentLink.objects.get(record_key=key(three["acled"]))
    assert (moved.incident_id, moved.how, moved.probability) == (first.pk, "decision", None)
    event = Event.objects.get(action="registry.incidents_merged")
    assert event.details == {"kept": first.pk, "retired": second.pk, "records_moved": 1}


def test_merge_is_refused_when_the_incident_would_hold_two_records_of_one_source(
    three: dict[str, Any],
) -> None:
    third = incident(record(release("who-ssa", product="other"), "SSA-9"), record(release("awsd"), "AW-2"))

    with pytest.raises(actions.IncidentChangeRefused, match="two records of who-ssa"):
        actions.merge_incidents(None, three["first"], third)

    third.refresh_from_db()
    assert third.status == "active" and third.record_count == 2
    assert keys_of(three["first"]) == sorted([key(three["ssa"]), key(three["shcc"])])
    assert not Event.objects.filter(action="registry.incidents_merged").exists()


def test_a_retired_incident_cannot_be_merged_again(three: dict[str, Any]) -> None:
    actions.merge_incidents(None, three["first"], three["second"])
    with pytest.raises(actions.IncidentChangeRefused, match="retired"):
        actions.merge_incidents(None, three["first"], three["second"])
    with pytest.raises(actions.IncidentChangeRefused, match="itself"):
        actions.merge_incidents(None, three["first"], three["first"])


def test_split_moves_the_chosen_records_into_a_new_incident(three: dict[str, Any]) -> None:
    first = three["first"]
    created = actions.split_incident(None, first, [key(three["shcc"])])

    first.refresh_from_db()
    assert keys_of(first) == [key(three["ssa"])] and first.sources == ["who-ssa"]
    assert keys_of(created) == [key(three["shcc"])] and created.sources == ["shcc"]
    assert created.status == "active" and created.admin1 == "Kharkiv" and first.admin1 == ""
    event = Event.objects.get(action="registry.incident_split")
    assert event.details == {"from": first.pk, "new": created.pk, "records_moved": 1}


@pytest.mark.parametrize(
    ("chosen", "message"),
    [([], "at least one record"), (["acled:AC-1#1"], "not part of"), (None, "has to stay")],
)
def test_split_refuses_nothing_a_stranger_or_everything(
    three: dict[str, Any], chosen: list[str] | None, message: str
) -> None:
    first = three["first"]
    keys = keys_of(first) if chosen is None else chosen
    with pytest.raises(actions.IncidentChangeRefused, match=message):
        actions.split_incident(None, first, keys)
    assert Incident.objects.count() == 2


# linkage.decisions.split and merge ----------------------------------------------------------------------------


def test_split_through_linkage_decides_each_split_record_different_from_each_that_stays(
    three: dict[str, Any], make_member: MakeMember
) -> None:
    analyst = make_member(Role.ANALYST)
    extra = record(release("awsd"), "AW-1")
    IncidentLink.objects.create(
        incident=three["first"], record_key=key(extra), record=extra, source="awsd", how="model"
    )

    created = decisions.split(analyst, three["first"], [key(three["shcc"]), key(extra)], note="other day")

    assert keys_of(created) == sorted([key(three["shcc"]), key(extra)])
    found = {(d.key_a, d.key_b): d.verdict for d in Decision.objects.all()}
    assert found == {
        tuple(sorted((key(three["shcc"]), key(three["ssa"])))): "different",
        tuple(sorted((key(extra), key(three["ssa"])))): "different",
    }
    assert all(d.note == "other day" and d.decided_by == analyst for d in Decision.objects.all())
    assert Event.objects.filter(action="linkage.decision").count() == 2
    assert not any("other day" in str(event.details) for event in Event.objects.all())


def test_a_refused_split_records_no_decision(three: dict[str, Any]) -> None:
    with pytest.raises(decisions.DecisionRefused, match="has to stay"):
        decisions.split(None, three["first"], keys_of(three["first"]))
    assert not Decision.objects.exists()


def test_merge_through_linkage_decides_one_pair_the_same(three: dict[str, Any]) -> None:
    kept = decisions.merge(None, three["first"], three["second"], note="one attack")

    assert kept.record_count == 3
    decision = Decision.objects.get()
    # The first key of each incident, in sorted order: shcc:SH-1#1 (before who-ssa:...) and acled:AC-1#1.
    assert (decision.key_a, decision.key_b, decision.verdict) == ("acled:AC-1#1", "shcc:SH-1#1", "same")
    assert decision.note == "one attack"


def test_merge_through_linkage_is_refused_by_an_earlier_different_decision(three: dict[str, Any]) -> None:
    decisions.decide(None, key(three["acled"]), key(three["shcc"]), "different")
    with pytest.raises(decisions.DecisionRefused, match="decided to be different"):
        decisions.merge(None, three["first"], three["second"])
    three["second"].refresh_from_db()
    assert three["second"].status == "active"
    assert Decision.objects.get().verdict == "different"


# The pages ----------------------------------------------------------------------------------------------------


def test_list_filters_by_country_year_source_and_number(analyst: Client, three: dict[str, Any]) -> None:
    syria = incident(
        record(release("who-ssa", product="syria"), "SSA-S", country="SYR", date=datetime.date(2021, 1, 4))
    )
    first, second = three["first"], three["second"]

    def numbers(**query: Any) -> list[str]:
        response = analyst.get(url("registry:list", **query))
        assert response.status_code == 200
        page = response.content.decode()
        return [found.number for found in (first, second, syria) if f">{found.number}</a>" in page]

    assert numbers() == [first.number, second.number, syria.number]
    assert numbers(country="syr") == [syria.number]
    assert numbers(year=2023) == [first.number, second.number]
    assert numbers(source="acled") == [second.number]
    assert numbers(number=f"I-{first.pk:06d}") == [first.number]
    assert numbers(number=str(second.pk)) == [second.number]
    response = analyst.get(url("registry:list", country="XYZ"))
    assert (
        response.status_code == 400 and "not an ISO 3166-1 alpha-3 country code" in response.content.decode()
    )


def test_list_shows_retired_incidents_only_when_asked(analyst: Client, three: dict[str, Any]) -> None:
    actions.merge_incidents(None, three["first"], three["second"])
    retired = three["second"].number
    assert f">{retired}</a>" not in analyst.get(url("registry:list")).content.decode()
    assert f">{retired}</a>" in analyst.get(url("registry:list", status="retired")).content.decode()


def test_detail_shows_each_fact_with_its_source_every_count_and_the_records(
    analyst: Client, three: dict[str, Any]
) -> None:
    first = three["first"]
    page = analyst.get(url("registry:detail", first.pk)).content.decode()

    assert f"Incident {first.number}" in page
    assert '<th scope="row">First-level administrative area</th><td>Kharkiv</td><td>SHCC</td>' in page
    assert '<th scope="row">Description</th><td>Hospital shelled</td><td>WHO-SSA</td>' in page
    assert '<th scope="row">Country (ISO 3166-1 alpha-3)</th><td>UKR</td><td>WHO-SSA</td>' in page
    assert '<th scope="row">Coordinates</th><td>\u2013</td><td>\u2013</td>' in page  # no source gives them
    # People killed: WHO SSA ranks first; SHCC's value is shown beside it, never added.
    assert '<td class="number">2</td>\n      <td>WHO-SSA</td>' in page
    assert '<td class="number">2</td><td class="number">3</td>' in page
    assert "<code>SH-1</code>" in page and "matched by the model" in page
    records_url = url("sources:release_records", three["shcc"].release_id)
    assert f'href="{records_url}"' in page
    assert 'name="split-keys"' in page and 'name="merge-other"' in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_detail_of_a_retired_incident_points_to_the_one_it_was_merged_into(
    analyst: Client, three: dict[str, Any]
) -> None:
    actions.merge_incidents(None, three["first"], three["second"])
    page = analyst.get(url("registry:detail", three["second"].pk)).content.decode()
    assert "This incident is retired." in page
    assert f'href="{url("registry:detail", three["first"].pk)}"' in page
    assert 'name="merge-other"' not in page and 'name="split-keys"' not in page


def test_unknown_incident_is_404_and_a_viewer_gets_403(
    analyst: Client, three: dict[str, Any], make_member: MakeMember
) -> None:
    assert analyst.get(url("registry:detail", 999999)).status_code == 404
    assert analyst.post(url("linkage:split", 999999), {"split-keys": ["x"]}).status_code == 404
    viewer = login_verified(Client(), make_member(Role.VIEWER))
    assert viewer.get(url("registry:detail", three["first"].pk)).status_code == 403
    assert viewer.post(url("linkage:merge", three["first"].pk), {"merge-other": "1"}).status_code == 403
    assert Incident.objects.filter(status="active").count() == 2


def test_split_and_merge_from_the_incident_page(analyst: Client, three: dict[str, Any]) -> None:
    first, second = three["first"], three["second"]
    response = analyst.post(url("linkage:split", first.pk), {"split-keys": [key(three["shcc"])]})
    assert response.status_code == 302 and response["Location"] == url("registry:detail", first.pk)
    created = Incident.objects.latest("pk")
    assert keys_of(created) == [key(three["shcc"])]
    assert f"split off into incident {created.number}" in analyst.get(response["Location"]).content.decode()

    response = analyst.post(
        url("linkage:merge", first.pk), {"merge-other": second.number, "merge-note": "same"}
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.merged_into_id == first.pk
    assert Decision.objects.filter(verdict="same").get().note == "same"


def test_refused_changes_show_the_reason_on_the_incident_page(analyst: Client, three: dict[str, Any]) -> None:
    first = three["first"]
    nothing = analyst.post(url("linkage:split", first.pk), {})
    assert nothing.status_code == 400 and "Tick at least one record to split off." in nothing.content.decode()
    everything = analyst.post(url("linkage:split", first.pk), {"split-keys": keys_of(first)})
    assert everything.status_code == 400 and "has to stay" in everything.content.decode()
    unknown = analyst.post(url("linkage:merge", first.pk), {"merge-other": "I-999999"})
    assert unknown.status_code == 400 and "There is no incident with this number." in unknown.content.decode()
    itself = analyst.post(url("linkage:merge", first.pk), {"merge-other": first.number})
    assert itself.status_code == 400 and "cannot be merged with itself" in itself.content.decode()

    clash = incident(record(release("shcc", product="other"), "SH-2"))
    refused = analyst.post(url("linkage:merge", first.pk), {"merge-other": clash.number})
    assert refused.status_code == 400
    assert "two records of shcc" in refused.content.decode()
    assert Incident.objects.filter(status="active").count() == 3 and not Decision.objects.exists()


def test_posts_without_the_csrf_token_are_refused(three: dict[str, Any], make_member: MakeMember) -> None:
    client = login_verified(Client(enforce_csrf_checks=True), make_member(Role.ANALYST))
    first = three["first"]
    assert (
        client.post(url("linkage:split", first.pk), {"split-keys": [key(three["shcc"])]}).status_code == 403
    )
    assert (
        client.post(url("linkage:merge", first.pk), {"merge-other": three["second"].number}).status_code
        == 403
    )
    assert Incident.objects.filter(status="active").count() == 2


def test_the_area_names_its_own_source_when_the_coordinates_have_none() -> None:
    """Coordinates from Insecurity Insight without an area, the area from a field report: place_from and
    admin1_from name different sources, so each can be published or withheld on its own."""
    found = canonical_fields(
        [
            ("insecurity-insight", {"latitude": 35.5, "longitude": 36.5, "geo_precision": "town"}),
            ("local", {"admin1": "Idlib"}),
        ]
    )
    assert (found["place_from"], found["admin1"], found["admin1_from"]) == (
        "insecurity-insight",
        "Idlib",
        "local",
    )
    both = canonical_fields([("acled", {"latitude": 1.0, "longitude": 2.0, "admin1": "Kharkiv"})])
    assert (both["place_from"], both["admin1_from"]) == ("acled", "acled")
    assert canonical_fields([("acled", {})])["admin1_from"] == ""
