"""Every staff URL against every role (and anonymous visitors and superusers), as accounts.roles.GRANTS says.

The table below must list every URL under the staff prefix: `test_every_staff_url_is_in_the_matrix` fails
when a new staff URL is added without a row here, so no page can be forgotten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import pytest
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone, translation

from accounts.models import Membership, Organisation, User
from accounts.roles import GRANTS, Permission, Role
from evidence.models import Bundle, EvidenceItem
from facilities import actions as facility_actions
from facilities.models import Facility, Notification, Party
from guidance import overlays
from guidance.models import Overlay
from insights.models import PolicyReport
from linkage.models import ReviewPair
from meldpunt.actions import submit_report
from meldpunt.models import Attachment, Referral, Report, RoutingRule
from registry.models import Incident
from sources.models import ImportRequest, MappingProfile
from sources.profiles import profile_from_yaml
from sources.releases import import_file
from tests.conftest import login_verified
from tests.incident_helpers import finished_run, incident, record, release, review_pair
from tests.meldpunt_helpers import cleaned_report_data
from tests.overlay_helpers import TELL_EMPLOYER, replaced_text
from tests.sources_helpers import FIXTURES as SOURCES_FIXTURES

pytestmark = pytest.mark.django_db


class Scope(Enum):
    PUBLIC = "public"  # anyone, logged in or not
    LOGGED_IN = "logged_in"  # any logged-in account
    GLOBAL = "global"  # the permission in any organisation; 403 without it
    ORGANISATION = "organisation"  # the permission in this organisation; 404 without it (no leak)


@dataclass
class World:
    organisation: Organisation
    target: Membership  # another member, acted on by the member-management endpoints
    outsider: User  # an account that is no member yet, to add


@dataclass(frozen=True)
class Row:
    url_name: str
    scope: Scope
    permission: Permission | None = None
    method: str = "get"
    ok: int = 200
    kwargs: Callable[[World], dict[str, Any]] = field(default=lambda world: {})
    data: Callable[[World], dict[str, Any]] = field(default=lambda world: {})
    also: Permission | tuple[Permission, ...] = ()  # other permissions that grant the same answer


def _org(world: World) -> dict[str, Any]:
    return {"slug": world.organisation.slug}


def _member(world: World) -> dict[str, Any]:
    return {"slug": world.organisation.slug, "membership_id": world.target.pk}


def _report(world: World, *, closed: bool = False) -> Report:
    """A case of the world's organisation (made on first use), open or closed. Nobody can read it: no
    handler had a key pair when it came in, so the rows below of actions that need the key expect the
    page's explanation (403), and files send the handler back to the case page (302)."""
    status = Report.Status.CLOSED if closed else Report.Status.NEW
    report = Report.objects.filter(organisation=world.organisation, status=status).first()
    if report is None:
        RoutingRule.objects.get_or_create(organisation=world.organisation)
        report, _code = submit_report(cleaned_report_data())
        if closed:
            Report.objects.filter(pk=report.pk).update(
                status=status, outcome="advice_given", closed_at=timezone.now()
            )
        Attachment.objects.create(
            report=report,
            file_id=f"matrix-{report.pk}",
            storage_name=f"meldpunt/matrix-{report.pk}",
            sha256="0" * 64,
            size=1,
            content_type="image/png",
            sealed_filename=b"",
            uploaded_by="reporter",
        )
        Referral.objects.create(report=report, kind="employer", referred_on=timezone.localdate())
    return report


def _policy_report(world: World) -> dict[str, Any]:
    found = PolicyReport.objects.filter(title="Matrix").first() or PolicyReport.objects.create(
        title="Matrix",
        kind="periodic",
        language="en",
        status="done",
        pdf=b"%PDF-1.7 matrix",
        html="<article><h1>Matrix</h1></article>",
        charts=[{"key": "per-year", "title": "Per year", "svg": "<svg></svg>"}],
    )
    return {"pk": found.pk}


def _policy_report_chart(world: World) -> dict[str, Any]:
    return {**_policy_report(world), "key": "per-year", "extension": "svg"}


def _evidence_item(world: World) -> dict[str, Any]:
    """A row only: its file is not in the store, so the download sends the user back to the item (302)."""
    item = EvidenceItem.objects.filter(
        organisation=world.organisation
    ).first() or EvidenceItem.objects.create(
        organisation=world.organisation,
        kind="photo",
        sha256="0" * 64,
        size=1,
        content_type="image/png",
        collected_by="Matrix",
        collected_at=timezone.now(),
        how="recorded_on_scene",
    )
    return {"pk": item.pk}


def _evidence_bundle(world: World) -> dict[str, Any]:
    bundle = Bundle.objects.filter(organisation=world.organisation).first() or Bundle.objects.create(
        organisation=world.organisation, created_at=timezone.now(), reason="Matrix", signer_fingerprint=""
    )
    return {"pk": bundle.pk}


def _facility(world: World) -> dict[str, Any]:
    found = Facility.objects.filter(name="Matrix Hospital").first() or facility_actions.register_facility(
        None,
        world.organisation,
        {
            "name": "Matrix Hospital",
            "facility_type": "hospital",
            "country_iso3": "SYR",
            "latitude": 36.2,
            "longitude": 37.1,
        },
    )
    return {"pk": found.pk}


def _party(world: World) -> dict[str, Any]:
    found, _created = Party.objects.get_or_create(
        name="Matrix party", defaults={"kind": Party.Kind.ARMED_FORCES}
    )
    return {"pk": found.pk}


def _notification(world: World) -> dict[str, Any]:
    found = Notification.objects.first() or facility_actions.create_notification(
        None,
        world.organisation,
        facilities=[Facility.objects.get(pk=_facility(world)["pk"])],
        parties=[Party.objects.get(pk=_party(world)["pk"])],
        language="en",
    )
    return {"pk": found.pk}


def _field_report(world: World) -> dict[str, Any]:
    """A submitted field report of the world's organisation by a documenter who is none of the personas."""
    from registry import field_reports
    from registry.field_report_models import FieldReport

    found = FieldReport.objects.filter(organisation=world.organisation, status="submitted").first()
    if found is None:
        author = User.objects.create_user("matrix-documenter")
        Membership.objects.create(user=author, organisation=world.organisation, role=Role.FIELD_DOCUMENTER)
        found = field_reports.create(
            author,
            world.organisation,
            {
                "event_date": date(2024, 2, 14),
                "country_iso3": "UKR",
                "attack_types": ["heavy_weapons"],
                "resources": ["facility"],
                "certainty": "probable",
                "perpetrator_category": "unknown",
                "description": "Matrix",
            },
            submit=True,
        )
    return {"pk": found.pk}


def _investigation(world: World) -> dict[str, Any]:
    from accountability.models import Investigation

    found = Investigation.objects.filter(organisation=world.organisation).first()
    if found is None:
        found = Investigation.objects.create(
            incident=Incident.objects.create(), organisation=world.organisation, opened="yes", body="un"
        )
    return {"pk": found.pk}


def _case(world: World) -> dict[str, Any]:
    return {"pk": _report(world).pk}


def _closed_case(world: World) -> dict[str, Any]:
    return {"pk": _report(world, closed=True).pk}


def _referral(world: World) -> dict[str, Any]:
    report = _report(world)
    return {"pk": report.pk, "referral_id": report.referrals.get().pk}


def _file(world: World) -> dict[str, Any]:
    report = _report(world)
    return {"pk": report.pk, "attachment_id": report.attachments.get().pk}


MATRIX = [
    Row("accounts:staff_home", Scope.GLOBAL, Permission.VIEW_STAFF_HOME),
    Row("accounts:login", Scope.PUBLIC),
    Row("accounts:logout", Scope.PUBLIC, method="post", ok=302),
    Row("accounts:password_change", Scope.LOGGED_IN),
    Row("accounts:two_factor_setup", Scope.LOGGED_IN),
    Row("accounts:two_factor_qr", Scope.LOGGED_IN),
    # Already verified: verification sends the user on.
    Row("accounts:two_factor_verify", Scope.LOGGED_IN, ok=302),
    Row("accounts:organisation", Scope.ORGANISATION, Permission.VIEW_ORGANISATION, kwargs=_org),
    Row(
        "accounts:member_add",
        Scope.ORGANISATION,
        Permission.MANAGE_MEMBERS,
        method="post",
        ok=302,
        kwargs=_org,
        data=lambda world: {"username": world.outsider.username, "role": Role.VIEWER.value},
    ),
    Row(
        "accounts:member_change_role",
        Scope.ORGANISATION,
        Permission.MANAGE_MEMBERS,
        method="post",
        ok=302,
        kwargs=_member,
        data=lambda world: {f"member-{world.target.pk}-role": Role.ANALYST.value},
    ),
    Row(
        "accounts:member_remove",
        Scope.ORGANISATION,
        Permission.MANAGE_MEMBERS,
        method="post",
        ok=302,
        kwargs=_member,
    ),
    Row("audit:list", Scope.GLOBAL, Permission.VIEW_AUDIT_LOG),
    # Queues a verification task and sends the user to it.
    Row("audit:verify", Scope.GLOBAL, Permission.RUN_MAINTENANCE_TASKS, method="post", ok=302),
    Row("jobs:list", Scope.GLOBAL, Permission.VIEW_TASKS),
    # A task that does not exist: 404 once past the permission check, 403 before it.
    Row(
        "jobs:detail",
        Scope.GLOBAL,
        Permission.VIEW_TASKS,
        ok=404,
        kwargs=lambda world: {"result_id": UUID(int=1)},
    ),
    # Case handling. Every URL of one case is 404 for anyone who may not handle cases of its organisation.
    Row("cases:queue", Scope.GLOBAL, Permission.HANDLE_CASES),
    Row("cases:phone_intake", Scope.GLOBAL, Permission.HANDLE_CASES),
    Row("cases:detail", Scope.ORGANISATION, Permission.HANDLE_CASES, kwargs=_case),
    Row(
        "cases:change_status",
        Scope.ORGANISATION,
        Permission.HANDLE_CASES,
        method="post",
        ok=302,
        kwargs=_case,
        data=lambda world: {"status": "in_triage", "version": 1},
    ),
    Row(
        "cases:close",
        Scope.ORGANISATION,
        Permission.HANDLE_CASES,
        method="post",
        ok=302,
        kwargs=_case,
        data=lambda world: {"outcome": "advice_given", "version": 1},
    ),
    Row(
        "cases:reopen",
        Scope.ORGANISATION,
        Permission.HANDLE_CASES,
        method="post",
        ok=302,
        kwargs=_closed_case,
        data=lambda world: {"version": 1},
    ),
    Row(
        "cases:assign",
        Scope.ORGANISATION,
        Permission.HANDLE_CASES,
        method="post",
        ok=302,
        kwargs=_case,
        data=lambda world: {"assignee": "", "version": 1},
    ),
    Row(
        "cases:referral_status",
        Scope.ORGANISATION,
        Permission.HANDLE_CASES,
        method="post",
        ok=302,
        kwargs=_referral,
        data=lambda world: {"status": "done"},
    ),
    # These need the report key, which nobody has for this case: the page explains why (403).
    Row(
        "cases:reply",
        Scope.ORGANISATION,
        Permission.HANDLE_CASES,
        method="post",
        ok=403,
        kwargs=_case,
        data=lambda world: {"body": "Hello"},
    ),
    Row(
        "cases:add_note",
        Scope.ORGANISATION,
        Permission.HANDLE_CASES,
        method="post",
        ok=403,
        kwargs=_case,
        data=lambda world: {"note": "Note"},
    ),
    Row(
        "cases:add_referral",
        Scope.ORGANISATION,
        Permission.HANDLE_CASES,
        method="post",
        ok=403,
        kwargs=_case,
        data=lambda world: {"kind": "employer", "referred_on": "2025-01-02", "status": "done"},
    ),
    Row(
        "cases:share",
        Scope.ORGANISATION,
        Permission.HANDLE_CASES,
        method="post",
        ok=403,
        kwargs=_case,
        data=lambda world: {"colleague": world.target.user_id},
    ),
    Row(
        "cases:erase",
        Scope.ORGANISATION,
        Permission.HANDLE_CASES,
        method="post",
        ok=302,
        kwargs=_case,
        data=lambda world: {"version": 1, "confirm_number": str(_report(world).pk)},
    ),
    Row("cases:attachment", Scope.ORGANISATION, Permission.HANDLE_CASES, ok=302, kwargs=_file),
    Row("cases:preview", Scope.ORGANISATION, Permission.HANDLE_CASES, ok=302, kwargs=_file),
]

# API tokens (accounts/token_views.py). The personas are logged in without a password, so no key is unlocked
# in their session: creating a token sends them back to the token page. Revoking a token that does not exist
# is a 404 once past the permission check.
MATRIX += [
    Row(
        "accounts:api_tokens",
        Scope.GLOBAL,
        Permission.HANDLE_CASES,
        also=(Permission.DOCUMENT_ATTACKS, Permission.ANALYSE_DATA),
    ),
    Row(
        "accounts:api_token_create",
        Scope.GLOBAL,
        Permission.HANDLE_CASES,
        also=(Permission.DOCUMENT_ATTACKS, Permission.ANALYSE_DATA),
        method="post",
        ok=302,
        data=lambda world: {"name": "script", "expires_in_days": "90"},
    ),
    Row(
        "accounts:api_token_revoke",
        Scope.GLOBAL,
        Permission.HANDLE_CASES,
        also=(Permission.DOCUMENT_ATTACKS, Permission.ANALYSE_DATA),
        method="post",
        ok=404,
        kwargs=lambda world: {"token_id": 999999},
    ),
]

# The report handling policy (meldpunt.policy_views): organisation administrators only.
MATRIX += [
    Row("report_policy:edit", Scope.ORGANISATION, Permission.MANAGE_MEMBERS, kwargs=_org),
    Row(
        "report_policy:edit",
        Scope.ORGANISATION,
        Permission.MANAGE_MEMBERS,
        method="post",
        ok=302,
        kwargs=_org,
        data=lambda world: {
            "acknowledge_within_working_days": "3",
            "retention_days_after_closure": "180",
            "notify_by_email": "on",
        },
    ),
]


def _overlay(world: World, *, versions: int = 0) -> Overlay:
    """The world organisation's overlay for huisarts (made on first use), with one draft change and at
    least `versions` published versions."""
    overlay = Overlay.objects.filter(profession="huisarts").first()
    if overlay is None:
        overlay = overlays.create_overlay(None, world.organisation, "huisarts")
        overlays.save_change(None, overlay, replaced_text())
    while overlay.versions.count() < versions:
        text = replaced_text(en=f"Version {overlay.versions.count() + 1}")
        overlays.save_change(None, overlay, text, overlay.draft_changes.first())
        overlays.publish(None, overlay, "matrix")
    return overlay


def _profession(world: World) -> dict[str, Any]:
    return {"profession": _overlay(world).profession}


def _draft_change(world: World) -> dict[str, Any]:
    overlay = _overlay(world)
    change = overlay.draft_changes.first()
    assert change is not None
    return {"profession": overlay.profession, "change_id": change.pk}


def _first_of_two_versions(world: World) -> dict[str, Any]:
    return {"profession": _overlay(world, versions=2).profession, "number": 1}


# The profession overlay editor (guidance.editor_views): EDIT_GUIDANCE anywhere, or a 403; an overlay of an
# organisation where the user lacks it is a 404 (tests/test_guidance_overlay_pages.py). Every persona here
# is a member of the overlay's organisation, so the rows are GLOBAL.
MATRIX += [
    Row("guidance_editor:list", Scope.GLOBAL, Permission.EDIT_GUIDANCE),
    Row("guidance_editor:create", Scope.GLOBAL, Permission.EDIT_GUIDANCE),
    Row(
        "guidance_editor:create",
        Scope.GLOBAL,
        Permission.EDIT_GUIDANCE,
        method="post",
        ok=302,
        data=lambda world: {"profession": "tandarts", "organisation": world.organisation.pk},
    ),
    Row("guidance_editor:overlay", Scope.GLOBAL, Permission.EDIT_GUIDANCE, kwargs=_profession),
    Row("guidance_editor:add_step", Scope.GLOBAL, Permission.EDIT_GUIDANCE, kwargs=_profession),
    Row("guidance_editor:replace_text", Scope.GLOBAL, Permission.EDIT_GUIDANCE, kwargs=_profession),
    Row("guidance_editor:hide_step", Scope.GLOBAL, Permission.EDIT_GUIDANCE, kwargs=_profession),
    Row(
        "guidance_editor:hide_step",
        Scope.GLOBAL,
        Permission.EDIT_GUIDANCE,
        method="post",
        ok=302,
        kwargs=_profession,
        data=lambda world: {"step": TELL_EMPLOYER, "reason_nl": "Reden", "reason_en": "Reason"},
    ),
    Row("guidance_editor:edit_change", Scope.GLOBAL, Permission.EDIT_GUIDANCE, kwargs=_draft_change),
    Row(
        "guidance_editor:remove_change",
        Scope.GLOBAL,
        Permission.EDIT_GUIDANCE,
        method="post",
        ok=302,
        kwargs=_draft_change,
    ),
    Row("guidance_editor:preview", Scope.GLOBAL, Permission.EDIT_GUIDANCE, kwargs=_profession),
    Row("guidance_editor:export_draft", Scope.GLOBAL, Permission.EDIT_GUIDANCE, kwargs=_profession),
    Row("guidance_editor:publish", Scope.GLOBAL, Permission.EDIT_GUIDANCE, kwargs=_profession),
    Row(
        "guidance_editor:publish",
        Scope.GLOBAL,
        Permission.EDIT_GUIDANCE,
        method="post",
        ok=302,
        kwargs=_profession,
        data=lambda world: {"note": "Matrix"},
    ),
    Row("guidance_editor:versions", Scope.GLOBAL, Permission.EDIT_GUIDANCE, kwargs=_profession),
    Row("guidance_editor:version", Scope.GLOBAL, Permission.EDIT_GUIDANCE, kwargs=_first_of_two_versions),
    Row(
        "guidance_editor:export_version",
        Scope.GLOBAL,
        Permission.EDIT_GUIDANCE,
        kwargs=_first_of_two_versions,
    ),
    Row("guidance_editor:compare", Scope.GLOBAL, Permission.EDIT_GUIDANCE, kwargs=_profession),
    Row("guidance_editor:rollback", Scope.GLOBAL, Permission.EDIT_GUIDANCE, kwargs=_first_of_two_versions),
    Row(
        "guidance_editor:rollback",
        Scope.GLOBAL,
        Permission.EDIT_GUIDANCE,
        method="post",
        ok=302,
        kwargs=_first_of_two_versions,
    ),
]


def _release(world: World) -> dict[str, Any]:
    """A release of the WHO SSA fixture (imported on first use; the same bytes again are the same release)."""
    return {
        "pk": import_file(
            "who-ssa", SOURCES_FIXTURES / "who_ssa_attacks.csv", vintage=date(2024, 3, 8)
        ).release.pk
    }


def _import_request(world: World) -> dict[str, Any]:
    request = ImportRequest.objects.create(
        source_slug="who-ssa", file_name="matrix.csv", status=ImportRequest.Status.FAILED, error="matrix"
    )
    return {"pk": request.pk}


# The dataset pages (sources.views): ANALYSE_DATA anywhere, or a 403; datasets are global data. Posting the
# import form without a file is refused by the form (400) once past the permission check.
MATRIX += [
    Row("sources:releases", Scope.GLOBAL, Permission.ANALYSE_DATA),
    Row("sources:release", Scope.GLOBAL, Permission.ANALYSE_DATA, kwargs=_release),
    Row("sources:release_records", Scope.GLOBAL, Permission.ANALYSE_DATA, kwargs=_release),
    Row(
        "sources:release_differences",
        Scope.GLOBAL,
        Permission.ANALYSE_DATA,
        kwargs=lambda world: {**_release(world), "kind": "withdrawn"},
    ),
    Row("sources:release_quarantine", Scope.GLOBAL, Permission.ANALYSE_DATA, kwargs=_release),
    Row("sources:quarantine_csv", Scope.GLOBAL, Permission.ANALYSE_DATA, kwargs=_release),
    Row("sources:import", Scope.GLOBAL, Permission.ANALYSE_DATA),
    Row("sources:import", Scope.GLOBAL, Permission.ANALYSE_DATA, method="post", ok=400),
    Row("sources:import_requests", Scope.GLOBAL, Permission.ANALYSE_DATA),
    Row("sources:import_request", Scope.GLOBAL, Permission.ANALYSE_DATA, kwargs=_import_request),
]


def _profile(world: World) -> dict[str, Any]:
    """The INSO partner mapping profile (loaded on first use)."""
    profile = MappingProfile.objects.filter(slug="inso-partner-incidents").first()
    if profile is None:
        yaml_text = (SOURCES_FIXTURES / "profile_inso_partner.yaml").read_text(encoding="utf-8")
        profile = profile_from_yaml(yaml_text, actor=None)[0]
    return {"slug": profile.slug}


# Mapping profiles (sources.profile_views): the same rule; forms posted empty are refused (400), and
# deleting an unused profile redirects to the list.
MATRIX += [
    Row("sources:profile_list", Scope.GLOBAL, Permission.ANALYSE_DATA),
    Row("sources:profile_new", Scope.GLOBAL, Permission.ANALYSE_DATA),
    Row("sources:profile_new", Scope.GLOBAL, Permission.ANALYSE_DATA, method="post", ok=400),
    Row("sources:profile_upload", Scope.GLOBAL, Permission.ANALYSE_DATA),
    Row("sources:profile_upload", Scope.GLOBAL, Permission.ANALYSE_DATA, method="post", ok=400),
    Row("sources:profile_detail", Scope.GLOBAL, Permission.ANALYSE_DATA, kwargs=_profile),
    Row("sources:profile_edit", Scope.GLOBAL, Permission.ANALYSE_DATA, kwargs=_profile),
    Row("sources:profile_preview", Scope.GLOBAL, Permission.ANALYSE_DATA, kwargs=_profile),
    Row(
        "sources:profile_preview",
        Scope.GLOBAL,
        Permission.ANALYSE_DATA,
        method="post",
        ok=400,
        kwargs=_profile,
    ),
    Row("sources:profile_yaml", Scope.GLOBAL, Permission.ANALYSE_DATA, kwargs=_profile),
    Row(
        "sources:profile_delete",
        Scope.GLOBAL,
        Permission.ANALYSE_DATA,
        method="post",
        ok=302,
        kwargs=_profile,
    ),
]


def _review_pair(world: World) -> dict[str, Any]:
    """A pair of a finished linkage run, each record alone in its incident (made on first use)."""
    found = ReviewPair.objects.first()
    if found is None:
        first, second = record(release("who-ssa"), "M-1"), record(release("shcc"), "M-1")
        incident(first)
        incident(second)
        found = review_pair(finished_run(), first, second)
    return {"pk": found.pk}


def _incident(world: World) -> dict[str, Any]:
    _review_pair(world)
    return {"pk": Incident.objects.order_by("pk").values_list("pk", flat=True).first()}


# Linkage and incidents (linkage.views, registry.views): ANALYSE_DATA anywhere, or a 403; incidents are global
# data. A decision redirects to the queue; splitting or merging with nothing chosen is refused (400).
MATRIX += [
    Row("linkage:review", Scope.GLOBAL, Permission.ANALYSE_DATA),
    Row("linkage:pair", Scope.GLOBAL, Permission.ANALYSE_DATA, kwargs=_review_pair),
    Row(
        "linkage:decide",
        Scope.GLOBAL,
        Permission.ANALYSE_DATA,
        method="post",
        ok=302,
        kwargs=_review_pair,
        data=lambda world: {"verdict": "different"},
    ),
    Row("linkage:split", Scope.GLOBAL, Permission.ANALYSE_DATA, method="post", ok=400, kwargs=_incident),
    Row("linkage:merge", Scope.GLOBAL, Permission.ANALYSE_DATA, method="post", ok=400, kwargs=_incident),
    Row("linkage:counts", Scope.GLOBAL, Permission.ANALYSE_DATA),
    Row("registry:list", Scope.GLOBAL, Permission.ANALYSE_DATA),
    Row("registry:detail", Scope.GLOBAL, Permission.ANALYSE_DATA, kwargs=_incident),
    # Runs (linkage.run_views): starting one queues it and redirects (or, while one is queued, redirects
    # back to the runs page with the reason).
    Row("linkage:runs", Scope.GLOBAL, Permission.ANALYSE_DATA),
    Row("insights_staff:refresh", Scope.GLOBAL, Permission.ANALYSE_DATA, method="post", ok=302),
    Row("evidence:list", Scope.GLOBAL, Permission.DOCUMENT_ATTACKS, also=Permission.ANALYSE_DATA),
    Row("evidence:upload", Scope.GLOBAL, Permission.DOCUMENT_ATTACKS),
    Row("evidence:upload", Scope.GLOBAL, Permission.DOCUMENT_ATTACKS, method="post", ok=400),
    Row("evidence:web_capture", Scope.GLOBAL, Permission.DOCUMENT_ATTACKS),
    Row("evidence:web_capture", Scope.GLOBAL, Permission.DOCUMENT_ATTACKS, method="post", ok=400),
    Row("evidence:statement", Scope.GLOBAL, Permission.DOCUMENT_ATTACKS),
    Row("evidence:statement", Scope.GLOBAL, Permission.DOCUMENT_ATTACKS, method="post", ok=400),
    Row("evidence:bundles", Scope.GLOBAL, Permission.DOCUMENT_ATTACKS, also=Permission.ANALYSE_DATA),
    Row("evidence:bundle_new", Scope.GLOBAL, Permission.DOCUMENT_ATTACKS, also=Permission.ANALYSE_DATA),
    Row(
        "evidence:bundle_new",
        Scope.GLOBAL,
        Permission.DOCUMENT_ATTACKS,
        method="post",
        ok=400,
        also=Permission.ANALYSE_DATA,
    ),
    Row(
        "evidence:detail",
        Scope.ORGANISATION,
        Permission.DOCUMENT_ATTACKS,
        kwargs=_evidence_item,
        also=Permission.ANALYSE_DATA,
    ),
    Row(
        "evidence:file",
        Scope.ORGANISATION,
        Permission.DOCUMENT_ATTACKS,
        ok=302,
        kwargs=_evidence_item,
        also=Permission.ANALYSE_DATA,
    ),
    Row(
        "evidence:transfer",
        Scope.ORGANISATION,
        Permission.DOCUMENT_ATTACKS,
        method="post",
        ok=302,
        kwargs=_evidence_item,
        data=lambda world: {"recipient": "Investigator", "reason": "Matrix"},
    ),
    Row(
        "evidence:bundle_detail",
        Scope.ORGANISATION,
        Permission.DOCUMENT_ATTACKS,
        kwargs=_evidence_bundle,
        also=Permission.ANALYSE_DATA,
    ),
    Row(
        "evidence:public_key",
        Scope.ORGANISATION,
        Permission.DOCUMENT_ATTACKS,
        kwargs=_org,
        also=Permission.ANALYSE_DATA,
    ),
    Row("facilities:list", Scope.GLOBAL, Permission.DOCUMENT_ATTACKS, also=Permission.ANALYSE_DATA),
    Row(
        "facilities:detail",
        Scope.GLOBAL,
        Permission.DOCUMENT_ATTACKS,
        also=Permission.ANALYSE_DATA,
        kwargs=_facility,
    ),
    Row("facilities:new", Scope.GLOBAL, Permission.DOCUMENT_ATTACKS),
    Row("facilities:new", Scope.GLOBAL, Permission.DOCUMENT_ATTACKS, method="post", ok=400),
    Row("facilities:edit", Scope.GLOBAL, Permission.DOCUMENT_ATTACKS, kwargs=_facility),
    Row(
        "facilities:edit", Scope.GLOBAL, Permission.DOCUMENT_ATTACKS, method="post", ok=400, kwargs=_facility
    ),
    Row(
        "facilities:status",
        Scope.GLOBAL,
        Permission.DOCUMENT_ATTACKS,
        method="post",
        ok=400,
        kwargs=_facility,
    ),
    Row("facilities:import", Scope.GLOBAL, Permission.DOCUMENT_ATTACKS),
    Row("facilities:import", Scope.GLOBAL, Permission.DOCUMENT_ATTACKS, method="post", ok=400),
    Row(
        "facilities:check_proximity",
        Scope.GLOBAL,
        Permission.DOCUMENT_ATTACKS,
        also=Permission.ANALYSE_DATA,
        method="post",
        ok=302,
    ),
    Row("facilities:parties", Scope.GLOBAL, Permission.DOCUMENT_ATTACKS, also=Permission.ANALYSE_DATA),
    Row("facilities:party_new", Scope.GLOBAL, Permission.DOCUMENT_ATTACKS),
    Row("facilities:party_new", Scope.GLOBAL, Permission.DOCUMENT_ATTACKS, method="post", ok=400),
    Row("facilities:party_edit", Scope.GLOBAL, Permission.DOCUMENT_ATTACKS, kwargs=_party),
    Row("facilities:notifications", Scope.GLOBAL, Permission.DOCUMENT_ATTACKS, also=Permission.ANALYSE_DATA),
    Row("facilities:notification_new", Scope.GLOBAL, Permission.DOCUMENT_ATTACKS),
    Row("facilities:notification_new", Scope.GLOBAL, Permission.DOCUMENT_ATTACKS, method="post", ok=400),
    Row(
        "facilities:notification",
        Scope.ORGANISATION,
        Permission.DOCUMENT_ATTACKS,
        also=Permission.ANALYSE_DATA,
        kwargs=_notification,
    ),
    Row(
        "facilities:notification_package",
        Scope.ORGANISATION,
        Permission.DOCUMENT_ATTACKS,
        also=Permission.ANALYSE_DATA,
        kwargs=_notification,
    ),
    Row(
        "facilities:notification_sent",
        Scope.ORGANISATION,
        Permission.DOCUMENT_ATTACKS,
        method="post",
        ok=400,
        kwargs=_notification,
    ),
    Row(
        "facilities:notification_acknowledge",
        Scope.ORGANISATION,
        Permission.DOCUMENT_ATTACKS,
        method="post",
        ok=400,
        kwargs=_notification,
    ),
    Row("field_reports:list", Scope.GLOBAL, Permission.DOCUMENT_ATTACKS, also=Permission.ANALYSE_DATA),
    Row("field_reports:new", Scope.GLOBAL, Permission.DOCUMENT_ATTACKS),
    Row(
        "field_reports:detail",
        Scope.GLOBAL,
        Permission.DOCUMENT_ATTACKS,
        also=Permission.ANALYSE_DATA,
        kwargs=_field_report,
    ),
    Row("field_reports:edit", Scope.GLOBAL, Permission.DOCUMENT_ATTACKS, kwargs=_field_report),
    Row(
        "field_reports:submit",
        Scope.GLOBAL,
        Permission.DOCUMENT_ATTACKS,
        method="post",
        ok=302,
        kwargs=_field_report,
    ),
    Row("accountability:list", Scope.GLOBAL, Permission.DOCUMENT_ATTACKS, also=Permission.ANALYSE_DATA),
    Row(
        "accountability:detail",
        Scope.GLOBAL,
        Permission.DOCUMENT_ATTACKS,
        also=Permission.ANALYSE_DATA,
        kwargs=_investigation,
    ),
    Row("accountability:new", Scope.GLOBAL, Permission.ANALYSE_DATA),
    Row("accountability:edit", Scope.GLOBAL, Permission.ANALYSE_DATA, kwargs=_investigation),
    Row("insights_staff:reports", Scope.GLOBAL, Permission.ANALYSE_DATA),
    Row("insights_staff:report_new", Scope.GLOBAL, Permission.ANALYSE_DATA),
    Row("insights_staff:report", Scope.GLOBAL, Permission.ANALYSE_DATA, kwargs=_policy_report),
    Row("insights_staff:report_document", Scope.GLOBAL, Permission.ANALYSE_DATA, kwargs=_policy_report),
    Row("insights_staff:report_pdf", Scope.GLOBAL, Permission.ANALYSE_DATA, kwargs=_policy_report),
    Row("insights_staff:report_chart", Scope.GLOBAL, Permission.ANALYSE_DATA, kwargs=_policy_report_chart),
    Row(
        "insights_staff:report_rebuild",
        Scope.GLOBAL,
        Permission.ANALYSE_DATA,
        method="post",
        ok=302,
        kwargs=_policy_report,
    ),
    Row(
        "insights_staff:report_publish",
        Scope.GLOBAL,
        Permission.ANALYSE_DATA,
        method="post",
        ok=302,
        kwargs=_policy_report,
    ),
    Row(
        "linkage:start",
        Scope.GLOBAL,
        Permission.ANALYSE_DATA,
        method="post",
        ok=302,
        data=lambda world: {"backend": "duckdb"},
    ),
    Row("linkage:run", Scope.GLOBAL, Permission.ANALYSE_DATA, kwargs=lambda world: {"pk": finished_run().pk}),
]

ANONYMOUS = "anonymous"
SUPERUSER = "superuser"
PERSONAS = [ANONYMOUS, *(role.value for role in Role), SUPERUSER]


def expected_status(row: Row, persona: str) -> int:
    if row.scope is Scope.PUBLIC:
        return row.ok
    if persona == ANONYMOUS:
        return 302  # to the login page
    if persona == SUPERUSER or row.scope is Scope.LOGGED_IN:
        return row.ok
    assert row.permission is not None
    grants = GRANTS[Role(persona)]
    also = row.also if isinstance(row.also, tuple) else (row.also,)
    if row.permission in grants or any(permission in grants for permission in also):
        return row.ok
    return 403 if row.scope is Scope.GLOBAL else 404


@pytest.fixture
def world(organisation: Organisation, make_member: Any) -> World:
    target = Membership.objects.get(user=make_member(Role.VIEWER, username="target"))
    outsider = User.objects.create_user("outsider")
    return World(organisation, target, outsider)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("row", MATRIX, ids=lambda row: row.url_name)
def test_role_matrix(row: Row, persona: str, world: World, make_member: Any) -> None:
    try:
        url = reverse(row.url_name, kwargs=row.kwargs(world))
    except NoReverseMatch:
        pytest.skip(f"{row.url_name} does not exist yet")
    client = Client()
    if persona == SUPERUSER:
        login_verified(client, User.objects.create_superuser("root"))
    elif persona != ANONYMOUS:
        login_verified(client, make_member(Role(persona)))
    response = getattr(client, row.method)(url, row.data(world))
    expected = expected_status(row, persona)
    assert response.status_code == expected, (
        f"{persona} {row.method.upper()} {url}: expected {expected}, got {response.status_code}"
    )
    if persona == ANONYMOUS and row.scope is not Scope.PUBLIC:
        assert urlsplit(response["Location"]).path == reverse("accounts:login")
    if expected == 302 and row.method == "post" and row.scope is Scope.ORGANISATION:
        # The change went through, without an error message.
        follow = client.get(response["Location"])
        assert "message-error" not in follow.content.decode()


def _named_routes(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            route = "" if type(entry.pattern).__name__ == "LocalePrefixPattern" else str(entry.pattern)
            yield from _named_routes(entry.url_patterns, prefix + route, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield prefix + str(entry.pattern), namespace + entry.name


def test_every_staff_url_is_in_the_matrix() -> None:
    with translation.override("en"):
        staff_routes = {
            name for route, name in _named_routes(get_resolver().url_patterns) if route.startswith("staff/")
        }
    assert "accounts:staff_home" in staff_routes
    missing = staff_routes - {row.url_name for row in MATRIX}
    assert not missing, f"add these staff URLs to MATRIX in {__file__}: {sorted(missing)}"


def test_admin_of_one_organisation_cannot_manage_members_of_another(
    client: Client, make_member: Any, organisation: Organisation, other_organisation: Organisation
) -> None:
    login_verified(client, make_member(Role.ADMIN, organisation))
    stranger = make_member(Role.VIEWER, other_organisation)
    theirs = Membership.objects.get(user=stranger)
    slug = other_organisation.slug
    assert client.get(reverse("accounts:organisation", kwargs={"slug": slug})).status_code == 404
    assert (
        client.post(
            reverse("accounts:member_add", kwargs={"slug": slug}), {"username": "x", "role": "viewer"}
        )
    ).status_code == 404
    kwargs = {"slug": slug, "membership_id": theirs.pk}
    assert client.post(reverse("accounts:member_remove", kwargs=kwargs)).status_code == 404
    assert (
        client.post(
            reverse("accounts:member_change_role", kwargs=kwargs), {f"member-{theirs.pk}-role": "admin"}
        )
    ).status_code == 404
    assert Membership.objects.filter(pk=theirs.pk, role=Role.VIEWER).exists()


def test_membership_of_another_organisation_is_not_reachable_through_ones_own(
    client: Client, make_member: Any, organisation: Organisation, other_organisation: Organisation
) -> None:
    login_verified(client, make_member(Role.ADMIN, organisation))
    theirs = Membership.objects.get(user=make_member(Role.VIEWER, other_organisation))
    kwargs = {"slug": organisation.slug, "membership_id": theirs.pk}
    assert client.post(reverse("accounts:member_remove", kwargs=kwargs)).status_code == 404
    assert Membership.objects.filter(pk=theirs.pk).exists()


def test_unknown_organisation_looks_the_same_as_a_foreign_one(client: Client, make_member: Any) -> None:
    login_verified(client, make_member(Role.ADMIN))
    assert client.get(reverse("accounts:organisation", kwargs={"slug": "does-not-exist"})).status_code == 404
