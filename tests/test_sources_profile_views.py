"""The mapping profile pages in the browser's place (Django's test client): who may open them, the editor
with its field mappings, YAML download and upload, the preview of a sample file, and deleting."""

from __future__ import annotations

import datetime
import html
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from audit.models import Event
from sources.models import MappingProfile, Release
from sources.profile_definition import definition_from_yaml, definition_of
from sources.profile_forms import MappingForm, ProfileForm
from sources.profiles import profile_from_yaml
from sources.releases import import_file
from tests.conftest import login_verified, verified_client
from tests.sources_helpers import FIXTURES, database_counts

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]

PARTNER_YAML = FIXTURES / "profile_inso_partner.yaml"
PARTNER_CSV = FIXTURES / "profile_inso_partner.csv"
SLUG = "inso-partner-incidents"


@pytest.fixture
def analyst_client(client: Client, make_member: Any) -> Client:
    return login_verified(client, make_member(Role.ANALYST))


@pytest.fixture
def partner_profile() -> MappingProfile:
    return profile_from_yaml(PARTNER_YAML.read_text(encoding="utf-8"), actor=None)[0]


def url(name: str, **kwargs: Any) -> str:
    return reverse(f"sources:{name}", kwargs=kwargs)


def text_of(response: Any) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def form_data(profile: MappingProfile | None = None, **overrides: Any) -> dict[str, Any]:
    """What the editor posts for `profile` (the partner fixture when None), as a browser would send it."""
    definition = definition_of(profile) if profile else definition_from_yaml(PARTNER_YAML.read_text())
    data: dict[str, Any] = {}
    for name, value in ProfileForm.initial_from(definition, profile.version if profile else 1).items():
        if value is True:
            data[name] = "on"
        elif value not in (False, None):
            data[name] = value
    mappings = MappingForm.initial_from(definition)
    for index, mapping in enumerate(mappings):
        for name, value in mapping.items():
            if value is True:
                data[f"fields-{index}-{name}"] = "on"
            elif value not in (False, None):
                data[f"fields-{index}-{name}"] = value
    data.update({"fields-TOTAL_FORMS": len(mappings), "fields-INITIAL_FORMS": len(mappings)})
    data.update(overrides)
    return data


def mapping_index(data: dict[str, Any], field: str) -> int:
    return next(
        int(key.split("-")[1]) for key, value in data.items() if key.endswith("-field") and value == field
    )


# ---------------------------------------------------------------------------------------------------------
# Who may open the pages


PAGES = [
    ("profile_list", {}),
    ("profile_new", {}),
    ("profile_upload", {}),
    ("profile_detail", {"slug": SLUG}),
    ("profile_edit", {"slug": SLUG}),
    ("profile_preview", {"slug": SLUG}),
    ("profile_yaml", {"slug": SLUG}),
]


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_anonymous_visitors_are_sent_to_the_login(
    client: Client, partner_profile: MappingProfile, name: str, kwargs: dict[str, str]
) -> None:
    response = client.get(url(name, **kwargs))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_staff_without_the_analyst_permission_get_403(
    make_member: Any, partner_profile: MappingProfile, name: str, kwargs: dict[str, str]
) -> None:
    for role in (Role.VIEWER, Role.CASE_HANDLER, Role.PROFESSION_EDITOR):
        assert verified_client(make_member(role)).get(url(name, **kwargs)).status_code == 403


def test_an_analyst_without_the_second_factor_is_sent_to_it(client: Client, make_member: Any) -> None:
    client.force_login(make_member(Role.ANALYST))
    response = client.get(url("profile_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor_setup"))
    assert client.post(url("profile_new"), form_data()).status_code == 302
    assert not MappingProfile.objects.exists()


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_an_analyst_opens_every_page(
    analyst_client: Client, partner_profile: MappingProfile, name: str, kwargs: dict[str, str]
) -> None:
    assert analyst_client.get(url(name, **kwargs)).status_code == 200


def test_an_unknown_profile_is_404(analyst_client: Client) -> None:
    assert analyst_client.get(url("profile_detail", slug="nope")).status_code == 404
    assert analyst_client.post(url("profile_delete", slug="nope")).status_code == 404


# ---------------------------------------------------------------------------------------------------------
# The editor


def test_a_profile_is_created_with_the_form(analyst_client: Client) -> None:
    page = analyst_client.get(url("profile_new"))
    assert page.status_code == 200
    assert 'name="fields-0-field"' in page.content.decode()
    response = analyst_client.post(url("profile_new"), form_data())
    assert response.status_code == 302
    assert response["Location"] == url("profile_detail", slug=SLUG)
    profile = MappingProfile.objects.get(slug=SLUG)
    assert definition_of(profile) == definition_from_yaml(PARTNER_YAML.read_text())
    assert profile.created_by is not None
    assert Event.objects.filter(action="sources.profile_created", object_id=str(profile.pk)).exists()
    detail = text_of(analyst_client.get(url("profile_detail", slug=SLUG)))
    assert "Date (event_date) Date of incident Date date format: %d/%m/%Y" in detail


def test_adding_a_mapping_keeps_what_was_typed_and_shows_no_errors(analyst_client: Client) -> None:
    data = form_data(name="Typed but not saved")
    response = analyst_client.post(url("profile_new"), {**data, "add_mapping": "1"})
    assert response.status_code == 200
    page = response.content.decode()
    total = data["fields-TOTAL_FORMS"]
    assert f'name="fields-{total}-field"' in page
    assert 'value="Typed but not saved"' in page
    assert "There is a problem" not in page
    assert not MappingProfile.objects.exists()


def test_a_mapping_ticked_for_removal_is_left_out(analyst_client: Client) -> None:
    data = form_data()
    data[f"fields-{mapping_index(data, 'admin1')}-DELETE"] = "on"
    assert analyst_client.post(url("profile_new"), data).status_code == 302
    assert definition_of(MappingProfile.objects.get()).field("admin1") is None


def test_problems_are_shown_on_the_mapping_they_belong_to(analyst_client: Client) -> None:
    data = form_data()
    index = mapping_index(data, "perpetrator_category")
    data[f"fields-{index}-values"] = "Security forces = army\nno equals sign here"
    data[f"fields-{mapping_index(data, 'event_date')}-format"] = "%d/%m"
    response = analyst_client.post(url("profile_new"), data)
    assert response.status_code == 400
    page = text_of(response)
    assert f"Mapping {index + 1}, values (categories and labels): Line 2: write source value = code." in page
    data[f"fields-{index}-values"] = "Security forces = army"
    page = text_of(analyst_client.post(url("profile_new"), data))
    assert "fields.perpetrator_category.values[\"Security forces\"]: unknown code 'army'" in page
    assert "fields.event_date.format: expected iso, excel serial" in page
    assert not MappingProfile.objects.exists()


def test_editing_saves_a_new_version_and_refuses_a_stale_one(
    analyst_client: Client, partner_profile: MappingProfile
) -> None:
    page = analyst_client.get(url("profile_edit", slug=SLUG)).content.decode()
    assert ">\nDate of incident\nDate</textarea>" in page  # the header spellings, one a line
    data = form_data(partner_profile, name="Partner incidents, renamed")
    more = analyst_client.post(url("profile_edit", slug=SLUG), {**data, "add_mapping": "1"})
    assert f'value="{SLUG}"' in more.content.decode()  # the code stays, shown but not editable
    response = analyst_client.post(url("profile_edit", slug=SLUG), data)
    assert response.status_code == 302
    partner_profile.refresh_from_db()
    assert (partner_profile.name, partner_profile.version) == ("Partner incidents, renamed", 2)
    stale = analyst_client.post(url("profile_edit", slug=SLUG), {**data, "name": "Another name"})
    assert stale.status_code == 400
    assert "Someone saved version 2 of this profile" in text_of(stale)
    # The code cannot be changed by posting another.
    analyst_client.post(url("profile_edit", slug=SLUG), {**data, "version": 2, "slug": "other"})
    assert MappingProfile.objects.filter(slug=SLUG).exists()
    assert not MappingProfile.objects.filter(slug="other").exists()


# ---------------------------------------------------------------------------------------------------------
# YAML download and upload


def test_the_yaml_download_reads_back_as_the_same_profile(
    analyst_client: Client, partner_profile: MappingProfile
) -> None:
    response = analyst_client.get(url("profile_yaml", slug=SLUG))
    assert response["Content-Disposition"] == f'attachment; filename="{SLUG}.yaml"'
    assert definition_from_yaml(response.content.decode()) == definition_of(partner_profile)
    assert Event.objects.filter(action="sources.profile_exported").count() == 1


def upload(client: Client, text: str, *, replace: bool = False, name: str = "partner.yaml") -> Any:
    data: dict[str, Any] = {"file": SimpleUploadedFile(name, text.encode(), "application/yaml")}
    if replace:
        data["replace"] = "on"
    return client.post(url("profile_upload"), data)


def test_a_yaml_upload_creates_or_with_replace_updates_a_profile(analyst_client: Client) -> None:
    text = PARTNER_YAML.read_text(encoding="utf-8")
    assert upload(analyst_client, text)["Location"] == url("profile_detail", slug=SLUG)
    again = upload(analyst_client, text)
    assert again.status_code == 400
    assert "already exists" in text_of(again)
    replaced = upload(
        analyst_client, text.replace("one sheet per quarter", "one sheet a month"), replace=True
    )
    assert replaced.status_code == 302
    assert MappingProfile.objects.get().version == 2


def test_a_broken_yaml_upload_lists_its_problems_with_lines(analyst_client: Client) -> None:
    text = PARTNER_YAML.read_text(encoding="utf-8").replace("kind: incidents", "kind: incident")
    line = text.splitlines().index("kind: incident") + 1
    response = upload(analyst_client, text)
    assert response.status_code == 400
    assert f"partner.yaml:{line}: kind: expected one of incidents, aggregates, got 'incident'" in text_of(
        response
    )
    assert not MappingProfile.objects.exists()


# ---------------------------------------------------------------------------------------------------------
# Preview and delete


def preview_post(client: Client, path: Path, **extra: Any) -> Any:
    file = SimpleUploadedFile(path.name, path.read_bytes(), "text/csv")
    return client.post(url("profile_preview", slug=SLUG), {"file": file, "rows": 5, **extra})


def test_the_preview_shows_rows_as_they_came_and_harmonised_and_imports_nothing(
    analyst_client: Client, partner_profile: MappingProfile
) -> None:
    before = database_counts()
    response = preview_post(analyst_client, PARTNER_CSV)
    assert response.status_code == 200
    page = text_of(response)
    assert "The first 5 rows of about 5, of which 2 would be quarantined." in page
    assert "Date of incident 03/04/2023" in page  # as it came
    assert "Date (event_date) 2023-04-03" in page  # harmonised
    assert (
        "Quarantined: column “Date of incident”, value “31/04/2023”: '31/04/2023' is not a date written as "
        "%d/%m/%Y" in page
    )
    assert "Warning: column “Actor”, value “Local militia”" in page
    assert 'class="preview-quarantined"' in response.content.decode()
    assert database_counts() == before
    assert Release.objects.count() == 0


def test_a_sample_file_of_another_layout_is_explained(
    analyst_client: Client, partner_profile: MappingProfile
) -> None:
    response = preview_post(analyst_client, FIXTURES / "who_ssa_attacks.csv")
    assert response.status_code == 400
    assert "The file cannot be read with this profile" in text_of(response)
    assert "missing column(s) 'Incident ref'" in text_of(response)


def test_a_profile_is_deleted_unless_releases_were_read_with_it(
    analyst_client: Client, partner_profile: MappingProfile
) -> None:
    import_file("inso", PARTNER_CSV, profile=partner_profile, vintage=datetime.date(2023, 6, 30))
    refused = analyst_client.post(url("profile_delete", slug=SLUG), follow=True)
    assert "Releases were imported with this profile" in text_of(refused)
    assert MappingProfile.objects.filter(slug=SLUG).exists()
    assert analyst_client.get(url("profile_delete", slug=SLUG)).status_code == 405
    Release.objects.all().delete()
    response = analyst_client.post(url("profile_delete", slug=SLUG))
    assert response["Location"] == url("profile_list")
    assert not MappingProfile.objects.exists()
