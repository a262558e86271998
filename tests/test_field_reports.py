"""Field reports: drafts with partial data, submitting with what is missing named by field, the record of the
source "local" in the current release with its harmonised fields, linkage putting it in an incident, editing
that replaces the record, and who may see and change what."""

from __future__ import annotations

import datetime
from typing import Any

import pyarrow.parquet as pq
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation, User
from accounts.roles import Role
from audit.models import Event
from linkage.actions import link_now
from linkage.frame import current_releases
from linkage.frame import record_key as linkage_record_key
from registry import field_reports
from registry.field_report_models import FieldReport, Status
from registry.models import IncidentLink
from registry.publication import source_fields
from sources.crosswalks import crosswalks
from sources.models import Record, Release
from tests.conftest import login_verified
from tests.incident_helpers import store_fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]

ATTACK_DATE = datetime.date(2024, 2, 14)

COMPLETE: dict[str, Any] = {
    "event_date": ATTACK_DATE,
    "date_precision": "day",
    "event_time": datetime.time(9, 30),
    "country_iso3": "UKR",
    "admin1": "Kharkiv Oblast",
    "place_name": "Regional children's hospital, Kharkiv",
    "latitude": 49.99351,
    "longitude": 36.23038,
    "geo_precision": "exact",
    "attack_types": ["individual_weapons", "heavy_weapons"],
    "resources": ["personnel", "facility"],
    "certainty": "confirmed",
    "health_workers_killed": 1,
    "health_workers_injured": 2,
    "patients_killed": 3,
    "patients_kidnapped": 1,
    "others_injured": 4,
    "perpetrator_category": "state",
    "perpetrator_name": "Battalion as named by the witness",
    "weapons": ["Shelling", "Firearms"],
    "description": "Shelling struck the paediatric ward of the regional hospital in Kharkiv during rounds.",
    "information_sources": "Head nurse, reachable through the hospital's switchboard",
}

FORM_DATA: dict[str, Any] = {
    **{name: value for name, value in COMPLETE.items() if not isinstance(value, list)},
    "event_date": "2024-02-14",
    "event_time": "09:30",
    "attack_types": COMPLETE["attack_types"],
    "resources": COMPLETE["resources"],
    "weapons": COMPLETE["weapons"],
}


def new(actor: User, organisation: Organisation, *, submit: bool = False, **values: Any) -> FieldReport:
    return field_reports.create(
        actor, organisation, {**COMPLETE, **values} if submit else values, submit=submit
    )


def client_for(user: User) -> Client:
    return login_verified(Client(), user)


# Drafts and submitting ---------------------------------------------------------------------------------------


def test_a_documenter_saves_a_draft_with_only_the_country(
    make_member: Any, organisation: Organisation
) -> None:
    documenter = make_member(Role.FIELD_DOCUMENTER)
    response = client_for(documenter).post(
        reverse("field_reports:new"), {"country_iso3": "SYR", "action": "save"}
    )
    report = FieldReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("field_reports:detail", kwargs={"pk": report.pk})
    assert (report.status, report.country_iso3, report.event_date, report.attack_types) == (
        "draft",
        "SYR",
        None,
        [],
    )
    assert (report.organisation, report.created_by, report.version) == (organisation, documenter, 1)
    # A draft is no record: nothing was written to the source "local".
    assert not Release.objects.exists()


def test_a_draft_with_a_value_that_cannot_be_right_is_not_saved(make_member: Any) -> None:
    documenter = make_member(Role.FIELD_DOCUMENTER)
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client_for(documenter).post(
        reverse("field_reports:new"), {"latitude": "95", "event_date": tomorrow, "action": "save"}
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["latitude"] == ["Ensure this value is less than or equal to 90."]
    assert not FieldReport.objects.exists()
    # The date in the future is found by the report's own rules once the form's are met.
    response = client_for(documenter).post(
        reverse("field_reports:new"), {"event_date": tomorrow, "action": "save"}
    )
    assert response.context["form"].errors == {
        "event_date": ["The date is in the future: give the day the attack happened."]
    }


def test_submitting_an_empty_report_names_every_missing_field(make_member: Any) -> None:
    documenter = make_member(Role.FIELD_DOCUMENTER)
    response = client_for(documenter).post(reverse("field_reports:new"), {"action": "submit"})
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "event_date": ["Give the date of the attack (a day in the week or month is enough)."],
        "country_iso3": ["Choose the country where it happened."],
        "attack_types": ["Choose at least one type of attack (“Not known” if it is not known)."],
        "resources": ["Choose at least one kind of health care that was affected."],
        "certainty": ["Choose how certain it is that the attack happened."],
        "perpetrator_category": ["Choose who did it (“Not known” if it is not known)."],
        "description": ["Describe what happened."],
    }
    page = response.content.decode()
    assert '<a href="#id_attack_types_0">Types of attack: Choose at least one type of attack' in page
    assert not FieldReport.objects.exists()


def test_coordinates_need_their_partner_and_a_precision(make_member: Any, organisation: Organisation) -> None:
    documenter = make_member(Role.FIELD_DOCUMENTER)
    with pytest.raises(ValidationError) as raised:
        new(documenter, organisation, submit=True, longitude=None, geo_precision="")
    assert raised.value.message_dict == {
        "longitude": ["Give both latitude and longitude, or neither."],
        "geo_precision": ["Say how precise the place on the map is."],
    }
    with pytest.raises(ValidationError) as raised:
        new(documenter, organisation, submit=True, latitude=None, longitude=None, geo_precision="km1")
    assert raised.value.message_dict == {
        "latitude": ["An exact place needs coordinates: pick it on the map or type them."]
    }


def test_a_draft_is_completed_and_submitted_from_its_page(make_member: Any) -> None:
    documenter = make_member(Role.FIELD_DOCUMENTER)
    client = client_for(documenter)
    client.post(reverse("field_reports:new"), {"description": "Shots at the clinic gate.", "action": "save"})
    report = FieldReport.objects.get()
    submit_url = reverse("field_reports:submit", kwargs={"pk": report.pk})

    page = client.get(reverse("field_reports:detail", kwargs={"pk": report.pk})).content.decode()
    assert "Before you can submit it:" in page
    assert "Choose the country where it happened." in page

    refused = client.post(submit_url, {"version": report.version})
    assert refused.status_code == 400
    assert set(refused.context["form"].errors) == {
        "event_date",
        "country_iso3",
        "attack_types",
        "resources",
        "certainty",
        "perpetrator_category",
    }
    assert "The draft is not complete yet" in refused.content.decode()

    edit_url = reverse("field_reports:edit", kwargs={"pk": report.pk})
    saved = client.post(edit_url, {**FORM_DATA, "version": report.version, "action": "save"})
    assert saved.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.version) == ("draft", 2)

    submitted = client.post(submit_url, {"version": report.version})
    assert submitted.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.version) == ("submitted", 3)
    assert report.submitted_at is not None
    page = client.get(reverse("field_reports:detail", kwargs={"pk": report.pk})).content.decode()
    assert f"Field report {report.number} was submitted." in page
    assert "Not linked yet: the next linkage run puts the record in an incident." in page


def test_a_change_made_on_an_old_version_is_refused(make_member: Any, organisation: Organisation) -> None:
    documenter = make_member(Role.FIELD_DOCUMENTER)
    report = new(documenter, organisation, country_iso3="UKR")
    field_reports.update(documenter, report, {"admin1": "Kyiv"}, expected_version=1)
    with pytest.raises(field_reports.Stale):
        field_reports.update(documenter, report, {"admin1": "Lviv"}, expected_version=1)
    report.refresh_from_db()
    assert (report.admin1, report.version) == ("Kyiv", 2)

    response = client_for(documenter).post(
        reverse("field_reports:edit", kwargs={"pk": report.pk}),
        {"admin1": "Lviv", "version": 1, "action": "save"},
    )
    assert response.status_code == 409
    assert "Someone changed this field report while you were editing it (it is now at version 2)" in (
        response.content.decode()
    )


# The record of the source "local" ---------------------------------------------------------------------------


def test_a_submitted_report_is_a_record_of_the_current_field_report_release(
    make_member: Any, organisation: Organisation, django_capture_on_commit_callbacks: Any
) -> None:
    documenter = make_member(Role.FIELD_DOCUMENTER)
    with django_capture_on_commit_callbacks(execute=True):
        report = new(documenter, organisation, submit=True)
    current = field_reports.current_release()
    assert current is not None
    assert (current.product.source.slug, current.product.slug, current.product.kind) == (
        "local",
        "field-reports",
        "incidents",
    )
    assert current in current_releases()
    assert (current.vintage_date, current.rows_imported, current.added) == (timezone.localdate(), 1, 1)

    found = Record.objects.get(release=current)
    assert found == field_reports.record_of(report)
    assert (found.source_id, found.occurrence, found.row_number) == (f"FR-{report.pk}", 1, 2)
    assert field_reports.record_key(report) == linkage_record_key("local", found.source_id, found.occurrence)
    assert (found.event_date, found.date_precision, found.country_iso3, found.admin1) == (
        ATTACK_DATE,
        "day",
        "UKR",
        "Kharkiv Oblast",
    )
    assert (found.latitude, found.longitude, found.geo_precision) == (49.99351, 36.23038, "site")
    # WHO SSA types in the order of §7.1, their families, resources in the schema's order.
    assert found.who_ssa_types == ["heavy_weapons", "individual_weapons"]
    assert found.attack_families == ["heavy_weapons", "individual_weapons"]
    assert found.resources == ["facility", "personnel"]
    labels = {attack_type.code: attack_type.label for attack_type in crosswalks().who_ssa_attack_types}
    assert found.attack_types_as_given == f"{labels['heavy_weapons']}; {labels['individual_weapons']}"
    # Everyone killed: 1 health worker and 3 patients; injured: 2 health workers and 4 others.
    assert (found.people_killed, found.people_injured) == (4, 6)
    assert (found.health_workers_killed, found.health_workers_injured, found.health_workers_threatened) == (
        1,
        2,
        None,
    )
    assert (found.patients_kidnapped, found.patients_arrested) == (1, None)
    assert (found.perpetrator_category, found.perpetrator_name) == (
        "state",
        "Battalion as named by the witness",
    )
    assert found.weapons == ["Shelling", "Firearms"]
    assert (found.certainty, found.description) == ("confirmed", COMPLETE["description"])
    assert found.health_related is True

    # The raw row holds what may be published of a field report (registry.publication: nothing of SSA's
    # Category B): not the place below the country, the counts by type of person, who told, the narrative.
    raw = dict(zip(current.headers, found.raw, strict=True))
    assert raw == {
        "source_id": f"FR-{report.pk}",
        "event_date": "2024-02-14",
        "date_precision": "day",
        "country_iso3": "UKR",
        "who_ssa_types": "heavy_weapons; individual_weapons",
        "resources": "facility; personnel",
        "certainty": "confirmed",
        "perpetrator_category": "state",
        "people_killed": 4,
        "people_injured": 6,
    }
    published = source_fields("local")
    assert {name for name in raw if name not in published} == {"who_ssa_types"}  # SSA publishes its types


def test_the_analytics_mirror_gets_the_field_report_release(
    make_member: Any,
    organisation: Organisation,
    settings: Any,
    tmp_path: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.ANALYTICS_DIR = tmp_path
    documenter = make_member(Role.FIELD_DOCUMENTER)
    with django_capture_on_commit_callbacks(execute=True):
        report = new(documenter, organisation, submit=True)
    current = field_reports.current_release()
    assert current is not None
    rows = pq.read_table(tmp_path / f"records-{current.pk}.parquet").to_pylist()
    assert [(row["source_id"], row["country_iso3"], row["people_killed"]) for row in rows] == [
        (report.number, "UKR", 4)
    ]
    releases = pq.read_table(tmp_path / "releases.parquet").to_pylist()
    assert [(row["source"], row["is_latest"]) for row in releases] == [("local", True)]


def test_editing_a_submitted_report_replaces_its_record_with_a_new_vintage(
    make_member: Any, organisation: Organisation
) -> None:
    documenter = make_member(Role.FIELD_DOCUMENTER)
    first = new(documenter, organisation, submit=True)
    second = new(documenter, organisation, submit=True, country_iso3="SYR", admin1="Idlib")
    before = field_reports.current_release()
    assert before is not None and before.rows_imported == 2

    field_reports.update(documenter, first, {"health_workers_killed": 2}, expected_version=first.version)
    after = field_reports.current_release()
    assert after is not None and after.pk != before.pk
    assert (after.previous_id, after.added, after.changed, after.unchanged, after.withdrawn) == (
        before.pk,
        0,
        1,
        1,
        0,
    )
    changed = field_reports.record_of(first)
    assert changed is not None
    assert (changed.release_id, changed.health_workers_killed, changed.people_killed, changed.change) == (
        after.pk,
        2,
        5,
        "changed",
    )
    assert Record.objects.get(release=before, source_id=first.number).health_workers_killed == 1
    assert field_reports.current_release() in current_releases()
    assert [release.pk for release in current_releases()] == [after.pk]

    # A change that changes nothing writes no release.
    first.refresh_from_db()
    field_reports.update(documenter, first, {"health_workers_killed": 2}, expected_version=first.version)
    assert field_reports.current_release() == after
    # Nor does saving a draft.
    new(documenter, organisation, country_iso3="AFG")
    assert field_reports.current_release() == after
    assert second.status == Status.SUBMITTED


def test_a_submitted_report_cannot_be_made_incomplete(make_member: Any, organisation: Organisation) -> None:
    documenter = make_member(Role.FIELD_DOCUMENTER)
    report = new(documenter, organisation, submit=True)
    with pytest.raises(ValidationError) as raised:
        field_reports.update(documenter, report, {"description": " "}, expected_version=report.version)
    assert raised.value.message_dict == {"description": ["Describe what happened."]}
    report.refresh_from_db()
    assert report.description == COMPLETE["description"]


def test_linkage_puts_the_field_report_in_an_incident_with_the_same_attack_of_other_sources(
    make_member: Any, organisation: Organisation
) -> None:
    # The linkage fixture (linkage.synthetic): 44 records of four sources; its first event is the shelling
    # of the central hospital in Izium on 10 March 2022, reported by WHO SSA, Insecurity Insight and ACLED.
    stored, truth = store_fixture()
    izium = [stored[number] for number, event in truth.items() if event == 1]
    documenter = make_member(Role.FIELD_DOCUMENTER)
    report = new(
        documenter,
        organisation,
        submit=True,
        event_date=datetime.date(2022, 3, 10),
        event_time=None,
        admin1="Kharkiv Oblast",
        place_name="Central hospital, Izium",
        latitude=49.2095,
        longitude=37.2560,
        attack_types=["heavy_weapons"],
        resources=["facility", "personnel"],
        health_workers_killed=2,
        health_workers_injured=5,
        patients_killed=None,
        patients_kidnapped=None,
        others_injured=None,
        description="The central hospital in Izium was shelled by Russian forces: two nurses were killed and "
        "five staff wounded.",
    )

    finished = link_now()

    assert finished.figures["records_per_source"]["local"] == 1
    link = IncidentLink.objects.get(record_key=field_reports.record_key(report))
    assert (link.source, link.record) == ("local", field_reports.record_of(report))
    incident = link.incident
    assert set(incident.links.values_list("record_key", flat=True)) == {
        field_reports.record_key(report),
        *(linkage_record_key(r.release.product.source.slug, r.source_id, r.occurrence) for r in izium),
    }
    # The field report ranks first among the sources: the incident's place is its place.
    assert (incident.place_from, incident.latitude, incident.geo_precision) == ("local", 49.2095, "site")

    page = (
        client_for(documenter).get(reverse("field_reports:detail", kwargs={"pk": report.pk})).content.decode()
    )
    assert incident.number in page


def test_every_change_is_audited_without_its_content(make_member: Any, organisation: Organisation) -> None:
    documenter = make_member(Role.FIELD_DOCUMENTER)
    report = new(documenter, organisation, country_iso3="UKR", information_sources="Dr. Secret, +380 000")
    report = field_reports.update(documenter, report, {**COMPLETE}, expected_version=1, submit=True)
    events = list(Event.objects.filter(action__startswith="registry.field_report").order_by("sequence"))
    assert [event.action for event in events] == [
        "registry.field_report_created",
        "registry.field_report_submitted",
    ]
    assert events[1].details["release"] == field_reports.current_release().pk  # type: ignore[union-attr]
    assert "information_sources" in events[1].details["fields_changed"]
    assert all(
        "Secret" not in str(event.details) and "Head nurse" not in str(event.details) for event in events
    )


# Who may see and change what --------------------------------------------------------------------------------


@pytest.fixture
def reports(make_member: Any, organisation: Organisation) -> dict[str, FieldReport]:
    author = make_member(Role.FIELD_DOCUMENTER, username="author")
    return {
        "draft": new(author, organisation, country_iso3="UKR"),
        "submitted": new(author, organisation, submit=True),
    }


def status_of(user: User, name: str, pk: int, method: str = "get") -> int:
    return getattr(client_for(user), method)(reverse(name, kwargs={"pk": pk})).status_code


def test_only_the_author_sees_and_edits_a_draft(
    make_member: Any, reports: dict[str, FieldReport], organisation: Organisation
) -> None:
    draft = reports["draft"]
    author = User.objects.get(username="author")
    colleague = make_member(Role.FIELD_DOCUMENTER)
    admin = make_member(Role.ADMIN)
    assert status_of(author, "field_reports:detail", draft.pk) == 200
    assert status_of(author, "field_reports:edit", draft.pk) == 200
    for someone in (colleague, admin, make_member(Role.ANALYST)):
        assert status_of(someone, "field_reports:detail", draft.pk) == 404
        assert status_of(someone, "field_reports:edit", draft.pk) == 404
        assert status_of(someone, "field_reports:submit", draft.pk, "post") == 404
    with pytest.raises(PermissionDenied):
        field_reports.update(colleague, draft, {"admin1": "x"}, expected_version=draft.version)
    listing = client_for(colleague).get(reverse("field_reports:list")).content.decode()
    assert draft.number not in listing
    assert reports["submitted"].number in listing


def test_documenters_change_and_analysts_read_submitted_reports_of_their_organisation(
    make_member: Any, reports: dict[str, FieldReport]
) -> None:
    submitted = reports["submitted"]
    colleague = make_member(Role.FIELD_DOCUMENTER)
    analyst = make_member(Role.ANALYST)
    assert status_of(colleague, "field_reports:detail", submitted.pk) == 200
    assert status_of(colleague, "field_reports:edit", submitted.pk) == 200
    assert status_of(analyst, "field_reports:detail", submitted.pk) == 200
    assert status_of(analyst, "field_reports:edit", submitted.pk) == 403
    assert status_of(analyst, "field_reports:submit", submitted.pk, "post") == 403
    assert client_for(analyst).get(reverse("field_reports:new")).status_code == 403
    page = (
        client_for(analyst).get(reverse("field_reports:detail", kwargs={"pk": submitted.pk})).content.decode()
    )
    # Members of the organisation read the restricted sources of information.
    assert "Head nurse" in page
    assert "Edit the report" not in page


def test_other_roles_get_403_and_other_organisations_404(
    make_member: Any, reports: dict[str, FieldReport], other_organisation: Organisation
) -> None:
    submitted = reports["submitted"]
    for role in (Role.VIEWER, Role.CASE_HANDLER, Role.PROFESSION_EDITOR):
        someone = make_member(role)
        assert client_for(someone).get(reverse("field_reports:list")).status_code == 403
        assert status_of(someone, "field_reports:detail", submitted.pk) == 403
    for role in (Role.FIELD_DOCUMENTER, Role.ANALYST, Role.ADMIN):
        stranger = make_member(role, other_organisation)
        assert status_of(stranger, "field_reports:detail", submitted.pk) == 404
        assert status_of(stranger, "field_reports:edit", submitted.pk) == 404
        assert (
            submitted.number not in client_for(stranger).get(reverse("field_reports:list")).content.decode()
        )
    anonymous = Client().get(reverse("field_reports:detail", kwargs={"pk": submitted.pk}))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("accounts:login"))


def test_a_documenter_of_two_organisations_chooses_one(
    make_member: Any, organisation: Organisation, other_organisation: Organisation
) -> None:
    documenter = make_member(Role.FIELD_DOCUMENTER)
    documenter.memberships.create(organisation=other_organisation, role=Role.FIELD_DOCUMENTER)
    client = client_for(documenter)
    refused = client.post(reverse("field_reports:new"), {"action": "save"})
    assert refused.context["form"].errors == {"organisation": ["This field is required."]}
    client.post(reverse("field_reports:new"), {"organisation": other_organisation.slug, "action": "save"})
    assert FieldReport.objects.get().organisation == other_organisation


# The pages ---------------------------------------------------------------------------------------------------


def test_the_form_shows_the_ssa_criteria_with_each_certainty_level_and_the_map_picker(
    make_member: Any,
) -> None:
    page = client_for(make_member(Role.FIELD_DOCUMENTER)).get(reverse("field_reports:new")).content.decode()
    assert "WHO/WHE/EMO/2019.2, Table 1" in page
    assert "One eyewitness who told one or more SSA partners, or two separate second-hand accounts." in page
    assert 'id="report-map"' in page
    assert 'id="report-map-config"' in page
    assert "registry/field_report.js" in page
    assert 'name="health_workers_kidnapped"' in page
    assert 'value="sexual_assault"' in page
    # Nothing inline: the CSP allows no inline script or style.
    assert "style=" not in page


def test_a_report_names_a_registered_facility_by_its_number(
    make_member: Any, organisation: Organisation
) -> None:
    from facilities.models import Facility

    facility = Facility.objects.create(
        name="Central hospital Izium",
        facility_type="hospital",
        country_iso3="UKR",
        latitude=49.2095,
        longitude=37.2560,
        organisation=organisation,
    )
    documenter = make_member(Role.FIELD_DOCUMENTER)
    client = client_for(documenter)
    unknown = client.post(reverse("field_reports:new"), {"facility_id": "F-999999", "action": "save"})
    assert unknown.context["form"].errors == {"facility_id": ["No registered facility has number F-999999."]}
    garbled = client.post(reverse("field_reports:new"), {"facility_id": "hospital", "action": "save"})
    assert garbled.context["form"].errors == {"facility_id": ["Give the facility's number, like F-000012."]}

    client.post(reverse("field_reports:new"), {"facility_id": facility.number, "action": "save"})
    report = FieldReport.objects.get()
    assert report.facility_id == facility.pk
    page = client.get(reverse("field_reports:detail", kwargs={"pk": report.pk})).content.decode()
    assert f"{facility.number} (Central hospital Izium)" in page
    edit = client.get(reverse("field_reports:edit", kwargs={"pk": report.pk})).content.decode()
    assert f'value="{facility.number}"' in edit


# Every page against every role (the rows given for tests/test_role_matrix.py) -------------------------------

READERS = {Role.ADMIN, Role.FIELD_DOCUMENTER, Role.ANALYST}
WRITERS = {Role.ADMIN, Role.FIELD_DOCUMENTER}
PAGES = [
    ("field_reports:list", "get", 200, READERS, False),
    ("field_reports:new", "get", 200, WRITERS, False),
    ("field_reports:detail", "get", 200, READERS, True),
    ("field_reports:edit", "get", 200, WRITERS, True),
    # The report is submitted already: back to its page, with a message that is no error.
    ("field_reports:submit", "post", 302, WRITERS, True),
]


@pytest.mark.parametrize("persona", ["anonymous", *(role.value for role in Role), "superuser"])
@pytest.mark.parametrize(("name", "method", "ok", "allowed", "with_report"), PAGES, ids=[p[0] for p in PAGES])
def test_every_page_answers_every_role_as_the_permissions_say(
    persona: str,
    name: str,
    method: str,
    ok: int,
    allowed: set[Role],
    with_report: bool,
    reports: dict[str, FieldReport],
    make_member: Any,
) -> None:
    kwargs = {"pk": reports["submitted"].pk} if with_report else None
    client = Client()
    if persona == "superuser":
        login_verified(client, User.objects.create_superuser("root"))
    elif persona != "anonymous":
        login_verified(client, make_member(Role(persona)))
    response = getattr(client, method)(reverse(name, kwargs=kwargs))
    if persona == "anonymous":
        expected = 302
    elif persona == "superuser" or Role(persona) in allowed:
        expected = ok
    else:
        expected = 403
    assert response.status_code == expected
    if expected == 302 and persona != "anonymous":
        assert "message-error" not in client.get(response["Location"]).content.decode()
