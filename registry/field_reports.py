"""Field reports: who may see and change them, the changes themselves, and their records of the source "local".

Who (the staff pages and the API ask here, nothing else decides):
* Permission.DOCUMENT_ATTACKS in an organisation: create reports there, read its submitted reports and change
  them; a draft is seen and changed only by its author.
* Permission.ANALYSE_DATA in an organisation: read its submitted reports.
* Without either permission anywhere: 403. A report of another organisation, or someone else's draft: 404, the
  same as a report that does not exist.

Changes (`create`, `update`, `submit`) run in one transaction each, raise the report's version, and write one
audit event that names the fields changed, never their content. A draft may be incomplete; submitting, and
every change to a submitted report, needs a complete report (`missing`: what is missing, by field).

Records. Linkage and the analytics mirror read the latest release of every incident product
(linkage.frame.current_releases). Every change to the submitted reports writes a new release of the product
"local/field-reports" (`publish`), vintage today, with one record per submitted report ("FR-<id>"): the
release a report's record is in is then always the current one, earlier vintages stay as they were (a
release is never edited after it is written, sources.models), and `compare_with_previous` marks what was
added or changed. After the transaction commits `sources.signals.release_imported` is sent, as after an
import, so the analytics mirror writes the new release (insights.receivers).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation
from accounts.permissions import has_permission, organisations_with
from accounts.roles import Permission
from audit.chain import Detail
from audit.chain import record as audit_record
from registry.field_report_models import (
    COUNT_FIELDS,
    HEALTH_WORKER_COUNTS,
    FieldReport,
    GeoPrecision,
    Status,
)
from sources.crosswalks import crosswalks
from sources.models import Product, Record, Release, Source
from sources.releases import compare_with_previous
from sources.schema import HARMONISED_FIELDS
from sources.signals import release_imported

SOURCE_SLUG = "local"
PRODUCT_SLUG = "field-reports"
IMPORTER = "registry.field_reports"
IMPORTER_VERSION = "1"

# Every field a documenter fills in (the form, the API and `create`/`update` take these names).
EDITABLE_FIELDS: tuple[str, ...] = (
    "event_date",
    "date_precision",
    "event_time",
    "country_iso3",
    "admin1",
    "place_name",
    "latitude",
    "longitude",
    "geo_precision",
    "facility_id",
    "attack_types",
    "resources",
    "certainty",
    *COUNT_FIELDS,
    "perpetrator_category",
    "perpetrator_name",
    "weapons",
    "description",
    "information_sources",
)

# The harmonised codes (sources/crosswalks.yaml geo_precisions): "exact" and "within 1 km" are both "site",
# which registry.incidents ranks above every dataset's "town" when it chooses an incident's place.
HARMONISED_GEO_PRECISION = {
    GeoPrecision.EXACT: "site",
    GeoPrecision.KM1: "site",
    GeoPrecision.TOWN: "town",
    GeoPrecision.ADMIN1: "province",
    GeoPrecision.COUNTRY: "country",
}

# The record's raw row: what a report says that may be published, following WHO SSA's split for our own
# field reports (registry.publication, source "local": nothing of SSA's Category B). Not in it: the place
# below the country, the coordinates and the facility, the time, the counts by type of person, the weapons,
# the perpetrator's name, the description, the sources of information, who documented it and for which
# organisation; those are in the report, and (but for the last three) in the record's harmonised fields,
# which only staff see. Its header row is the release's `headers`.
RAW_COLUMNS: tuple[str, ...] = (
    "source_id",
    "event_date",
    "date_precision",
    "country_iso3",
    "who_ssa_types",
    "resources",
    "certainty",
    "perpetrator_category",
    "people_killed",
    "people_injured",
)


class Stale(Exception):
    """The report changed since the version the change was made on; nothing was changed."""

    def __init__(self, report: FieldReport) -> None:
        self.report = report
        super().__init__(
            _(
                "Someone changed this field report while you were editing it (it is now at version "
                "%(version)s). Nothing was saved: open it again and make your change there."
            )
            % {"version": report.version}
        )


# Who may see what ------------------------------------------------------------------------------------------


def may_use(user: Any) -> bool:
    """Whether the user may use the field-report pages at all (otherwise: 403)."""
    return has_permission(user, Permission.DOCUMENT_ATTACKS) or has_permission(user, Permission.ANALYSE_DATA)


def documenting_organisations(user: Any) -> list[Organisation]:
    """The organisations the user may create field reports for."""
    return organisations_with(user, Permission.DOCUMENT_ATTACKS)


def visible_reports(user: Any) -> QuerySet[FieldReport]:
    """The reports the user may read: the submitted reports of their organisations (documenting or
    analysing), and their own drafts in organisations they document for."""
    documenting = [organisation.pk for organisation in organisations_with(user, Permission.DOCUMENT_ATTACKS)]
    analysing = [organisation.pk for organisation in organisations_with(user, Permission.ANALYSE_DATA)]
    if not documenting and not analysing:
        return FieldReport.objects.none()
    submitted = Q(status=Status.SUBMITTED, organisation__in=sorted({*documenting, *analysing}))
    own_drafts = Q(status=Status.DRAFT, created_by=user, organisation__in=documenting)
    return FieldReport.objects.filter(submitted | own_drafts).select_related("organisation", "created_by")


def report_for(user: Any, pk: int) -> FieldReport:
    """The report when the user may read it; Http404 otherwise (also when it exists)."""
    report = visible_reports(user).filter(pk=pk).first()
    if report is None:
        raise Http404("No such field report.")
    return report


def may_change(user: Any, report: FieldReport) -> bool:
    if not has_permission(user, Permission.DOCUMENT_ATTACKS, report.organisation):
        return False
    return not report.is_draft or report.created_by_id == getattr(user, "pk", None)


def report_to_change(user: Any, pk: int) -> FieldReport:
    """The report when the user may change it: Http404 when they may not read it, PermissionDenied when
    they may read but not change it (an analyst)."""
    report = report_for(user, pk)
    if not may_change(user, report):
        raise PermissionDenied
    return report


# Completeness ----------------------------------------------------------------------------------------------


def facility_model() -> Any:
    """The facilities app's Facility model, or None while that app has none."""
    try:
        return apps.get_model("facilities", "Facility")
    except LookupError:
        return None


def facility_number(facility_id: int) -> str:
    """A facility's number as the facility registry writes it."""
    return f"F-{facility_id:06d}"


def facility_label(facility_id: int | None) -> str:
    """The facility's number and name (its number only when the registry does not know it)."""
    if facility_id is None:
        return ""
    model = facility_model()
    facility = model.objects.filter(pk=facility_id).first() if model is not None else None
    number = facility_number(facility_id)
    return f"{number} ({facility})" if facility is not None else number


def facility_exists(facility_id: int) -> bool:
    """Whether a registered facility has this number (True while there is no facility registry yet)."""
    model = facility_model()
    return model is None or model.objects.filter(pk=facility_id).exists()


def problems(report: FieldReport, *, complete: bool) -> dict[str, list[str]]:
    """What is wrong with the report's values, by field. Always: values that contradict each other or
    point nowhere. With `complete` (submitting, or changing a submitted report) also what is missing."""
    found: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        found.setdefault(name, []).append(message)

    today = timezone.localdate()
    if report.event_date is not None and report.event_date > today:
        add("event_date", _("The date is in the future: give the day the attack happened."))
    if report.facility_id is not None and not facility_exists(report.facility_id):
        add(
            "facility_id",
            _("No registered facility has number %(number)s.")
            % {"number": facility_number(report.facility_id)},
        )
    if not complete:
        return found
    if report.event_date is None:
        add("event_date", _("Give the date of the attack (a day in the week or month is enough)."))
    if not report.country_iso3:
        add("country_iso3", _("Choose the country where it happened."))
    has_latitude, has_longitude = report.latitude is not None, report.longitude is not None
    if has_latitude != has_longitude:
        add(
            "longitude" if has_latitude else "latitude",
            _("Give both latitude and longitude, or neither."),
        )
    if (has_latitude or has_longitude) and not report.geo_precision:
        add("geo_precision", _("Say how precise the place on the map is."))
    if report.geo_precision in (GeoPrecision.EXACT, GeoPrecision.KM1) and not (
        has_latitude and has_longitude
    ):
        add("latitude", _("An exact place needs coordinates: pick it on the map or type them."))
    if not report.attack_types:
        add("attack_types", _("Choose at least one type of attack (“Not known” if it is not known)."))
    if not report.resources:
        add("resources", _("Choose at least one kind of health care that was affected."))
    if not report.certainty:
        add("certainty", _("Choose how certain it is that the attack happened."))
    if not report.perpetrator_category:
        add("perpetrator_category", _("Choose who did it (“Not known” if it is not known)."))
    if not report.description.strip():
        add("description", _("Describe what happened."))
    return found


def check(report: FieldReport, *, complete: bool) -> None:
    """ValidationError with `problems` by field, if there are any."""
    found = problems(report, complete=complete)
    if found:
        raise ValidationError(
            {name: [ValidationError(message) for message in messages] for name, messages in found.items()}
        )


# Changes ---------------------------------------------------------------------------------------------------


def _apply(report: FieldReport, values: dict[str, Any]) -> list[str]:
    """Set the given editable fields; returns the names of those whose value changed."""
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not fields of a field report: {sorted(unknown)}")
    changed = []
    for name, value in values.items():
        if getattr(report, name) != value:
            setattr(report, name, value)
            changed.append(name)
    return changed


def _event(
    action: str, actor: Any, report: FieldReport, changed: Iterable[str], release: Release | None
) -> None:
    fields_changed: list[Detail] = [str(name) for name in sorted(changed)]
    audit_record(
        action,
        actor=actor,
        target=report,
        organisation=report.organisation,
        details={
            "organisation": report.organisation.slug,
            "status": report.status,
            "version": report.version,
            "fields_changed": fields_changed,
            "release": release.pk if release is not None else None,
        },
    )


def create(
    actor: Any, organisation: Organisation, values: dict[str, Any], *, submit: bool = False
) -> FieldReport:
    """A new report of `organisation` by `actor`: a draft, or submitted at once with `submit` (then it must
    be complete). ValidationError by field when it is not acceptable; nothing is stored then."""
    if not has_permission(actor, Permission.DOCUMENT_ATTACKS, organisation):
        raise PermissionDenied
    now = timezone.now()
    report = FieldReport(
        organisation=organisation, created_by=actor, updated_by=actor, created_at=now, updated_at=now
    )
    changed = _apply(report, values)
    check(report, complete=submit)
    with transaction.atomic():
        if submit:
            report.status = Status.SUBMITTED
            report.submitted_at = now
        report.save()
        release = publish(actor, reason=f"{report.number} submitted") if submit else None
        _event(
            "registry.field_report_submitted" if submit else "registry.field_report_created",
            actor,
            report,
            changed,
            release,
        )
    return report


def update(
    actor: Any,
    report: FieldReport,
    values: dict[str, Any],
    *,
    expected_version: int,
    submit: bool = False,
) -> FieldReport:
    """Change a report (and submit a draft with `submit`). A submitted report stays complete: its record is
    replaced by a new vintage. Stale when the report is no longer at `expected_version`; ValidationError by
    field when the result is not acceptable. Nothing is changed in either case."""
    with transaction.atomic():
        current = FieldReport.objects.select_for_update().select_related("organisation").get(pk=report.pk)
        if not may_change(actor, current):
            raise PermissionDenied
        if current.version != expected_version:
            raise Stale(current)
        changed = _apply(current, values)
        submitting = submit and current.is_draft
        check(current, complete=submitting or not current.is_draft)
        if not changed and not submitting:
            report.refresh_from_db()
            return report
        now = timezone.now()
        current.version += 1
        current.updated_at = now
        current.updated_by = actor
        if submitting:
            current.status = Status.SUBMITTED
            current.submitted_at = now
        current.save()
        release = publish(actor, reason=f"{current.number} changed") if not current.is_draft else None
        action = "registry.field_report_submitted" if submitting else "registry.field_report_changed"
        _event(action, actor, current, changed, release)
    report.refresh_from_db()
    return report


def submit(actor: Any, report: FieldReport, *, expected_version: int) -> FieldReport:
    """Submit a draft as it is saved (see `update`)."""
    return update(actor, report, {}, expected_version=expected_version, submit=True)


# The records of the source "local" -----------------------------------------------------------------------


def _total(*values: int | None) -> int | None:
    given = [value for value in values if value is not None]
    return sum(given) if given else None


def harmonised(report: FieldReport) -> dict[str, Any]:
    """The report's record in the harmonised schema (sources.schema.Harmonised; docs/field-reports.md)."""
    known = crosswalks()
    types = known.ordered_types(report.attack_types)
    labels = {attack_type.code: attack_type.label for attack_type in known.who_ssa_attack_types}
    counts = {name: getattr(report, name) for name in COUNT_FIELDS}
    fields: dict[str, Any] = {
        "event_date": report.event_date,
        "date_precision": report.date_precision,
        "country_iso3": report.country_iso3,
        "country_as_given": report.country_iso3,
        "admin1": report.admin1,
        "latitude": report.latitude,
        "longitude": report.longitude,
        "geo_precision": HARMONISED_GEO_PRECISION.get(report.geo_precision, "")  # type: ignore[call-overload]
        if report.latitude is not None
        else "",
        "location_type": "",
        "who_ssa_types": types,
        "attack_families": known.families(types),
        "attack_types_as_given": "; ".join(labels[code] for code in types),
        "resources": [
            code
            for code in ("facility", "transport", "personnel", "supplies", "warehouse", "patients", "other")
            if code in report.resources
        ],
        "facility_type": "",
        "facilities_destroyed": None,
        "facilities_damaged": None,
        "facility_forceful_entry": None,
        "facility_occupation": None,
        "transport_destroyed": None,
        "transport_damaged": None,
        "transport_stolen": None,
        "supplies_looted": None,
        "access_obstructed": True if "obstruction" in types else None,
        "people_killed": _total(*(counts[name] for name in COUNT_FIELDS if name.endswith("_killed"))),
        "people_injured": _total(*(counts[name] for name in COUNT_FIELDS if name.endswith("_injured"))),
        **{name: counts[name] for name, _label in HEALTH_WORKER_COUNTS},
        "health_workers_sexually_assaulted": None,
        "patients_kidnapped": counts["patients_kidnapped"],
        "patients_arrested": counts["patients_arrested"],
        "perpetrator_category": report.perpetrator_category,
        "perpetrator_as_given": report.perpetrator_category,
        "perpetrator_name": report.perpetrator_name,
        "weapons": list(report.weapons),
        "context_conflict": None,
        "context_political": None,
        "context_covid": None,
        "context_ebola": None,
        "context_vaccination": None,
        "certainty": report.certainty,
        "certainty_as_given": report.certainty,
        "description": report.description,
        "co_reported_by": [],
        "health_related": True,
        "health_rule_match": "",
    }
    assert set(fields) == set(HARMONISED_FIELDS), set(fields) ^ set(HARMONISED_FIELDS)
    return fields


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    return value


def raw_row(report: FieldReport, fields: dict[str, Any]) -> list[Any]:
    """The record's raw row (columns: RAW_COLUMNS) from the report's harmonised `fields`."""
    values = {**fields, "source_id": report.number}
    return [_cell(values[name]) for name in RAW_COLUMNS]


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.date) else value


def _record_hash(raw: list[Any], fields: dict[str, Any]) -> str:
    document = {"raw": raw, "harmonised": {name: _json(value) for name, value in sorted(fields.items())}}
    return hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def product() -> Product:
    source, _created = Source.objects.get_or_create(
        slug=SOURCE_SLUG,
        defaults={
            "name": "ZorgVeilig field reports",
            "unit": "an attack, as registered by a field documenter",
        },
    )
    found, _created = Product.objects.get_or_create(
        source=source, slug=PRODUCT_SLUG, defaults={"kind": Product.Kind.INCIDENTS}
    )
    return found


def current_release() -> Release | None:
    """The latest vintage of the field-report product (the one linkage reads), if any was written."""
    return (
        Release.objects.filter(product__source__slug=SOURCE_SLUG, product__slug=PRODUCT_SLUG)
        .order_by("-vintage_date", "-pk")
        .first()
    )


def record_of(report: FieldReport) -> Record | None:
    """The report's record in the current release (None for a draft)."""
    release = current_release()
    if release is None:
        return None
    return Record.objects.filter(release=release, source_id=report.number).first()


def record_key(report: FieldReport) -> str:
    """The key linkage knows the report's record by across vintages (linkage.frame.record_key)."""
    return f"{SOURCE_SLUG}:{report.number}#1"


def publish(actor: Any, *, reason: str) -> Release | None:
    """Write the submitted reports as a new release of local/field-reports (see the module notes); None when
    they are exactly what the current release holds. Runs inside the caller's transaction."""
    with transaction.atomic():
        found = product()
        # One writer at a time: two submits at once would each write a release without the other's report.
        Product.objects.select_for_update().filter(pk=found.pk).first()
        rows = []
        for report in FieldReport.objects.filter(status=Status.SUBMITTED).order_by("pk"):
            fields = harmonised(report)
            raw = raw_row(report, fields)
            rows.append((report, raw, fields, _record_hash(raw, fields)))
        # The release's "file": one line per record, its report's number and the record's content hash.
        document = "\n".join(
            f"{report.number} {row_hash}" for report, _raw, _fields, row_hash in rows
        ).encode()
        digest = hashlib.sha256(document).hexdigest()
        latest = current_release()
        if latest is not None and latest.options.get("content_sha256") == digest:
            return None
        now = timezone.now()
        # The release's "file" is this list of records at this moment: its hash names the moment too, so a
        # report changed back to what it was makes a new release rather than clashing with an old one.
        file_hash = hashlib.sha256(
            f"{digest} {now.isoformat()} {latest.pk if latest else 0}".encode()
        ).hexdigest()
        release = Release.objects.create(
            product=found,
            file_name=f"field-reports-{now:%Y%m%dT%H%M%S%f}",
            file_size=len(document),
            sha256=file_hash,
            file_format="database",
            vintage_date=timezone.localdate(),
            vintage_label=reason,
            importer=IMPORTER,
            importer_version=IMPORTER_VERSION,
            crosswalks_version=crosswalks().version,
            options={"product": PRODUCT_SLUG, "content_sha256": digest, "reason": reason},
            imported_at=now,
            imported_by=actor if getattr(actor, "is_authenticated", False) else None,
            headers=list(RAW_COLUMNS),
            rows_read=len(rows),
            rows_imported=len(rows),
            rows_health_related=len(rows),
        )
        Record.objects.bulk_create(
            [
                Record(
                    release=release,
                    row_number=number,
                    source_id=report.number,
                    occurrence=1,
                    content_hash=row_hash,
                    raw=raw,
                    change=Record.Change.ADDED,
                    **fields,
                )
                for number, (report, raw, fields, row_hash) in enumerate(rows, start=2)
            ],
            batch_size=1000,
        )
        compare_with_previous(release, fresh=True)
        release.refresh_from_db()
        transaction.on_commit(lambda: release_imported.send(sender=Release, release=release))
    return release
