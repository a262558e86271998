"""Every change to facilities, parties and notifications: the views, the API and the commands call these.

Each function changes the database in one transaction and leaves an audit event in it (ids, codes and
counts; never names, coordinates or notes).
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation
from audit.chain import Detail, record
from facilities import importers, packages, proximity
from facilities.importers import Progress, ReadResult
from facilities.models import (
    Damage,
    Facility,
    FacilityStatus,
    FacilityStatusChange,
    Notification,
    NotificationParty,
    Party,
)

FACILITY_FIELDS = (
    "name",
    "facility_type",
    "operator",
    "country_iso3",
    "admin1",
    "latitude",
    "longitude",
    "location_public",
    "external_id",
)
PLACE_FIELDS = ("latitude", "longitude")


# Facilities -----------------------------------------------------------------------------------------------


def register_facility(
    actor: Any,
    organisation: Organisation,
    values: dict[str, Any],
    *,
    status: str = FacilityStatus.FUNCTIONAL,
    source: str = "",
) -> Facility:
    """A new facility of `organisation`, with its first status observation (today)."""
    with transaction.atomic():
        facility = Facility(
            organisation=organisation,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            status=status,
            **{name: values[name] for name in FACILITY_FIELDS if name in values},
        )
        facility.full_clean()
        facility.save()
        _first_status(facility, actor, source)
        record(
            "facilities.facility_registered",
            actor=actor,
            target=facility,
            organisation=organisation,
            details={"country": facility.country_iso3, "type": facility.facility_type},
        )
        proximity.check(facility_ids=[facility.pk], actor=actor)
    return facility


def _first_status(facility: Facility, actor: Any, source: str) -> FacilityStatusChange:
    return FacilityStatusChange.objects.create(
        facility=facility,
        date=timezone.localdate(),
        status=facility.status,
        damage=Damage.NONE,
        source=source,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def change_facility(actor: Any, facility: Facility, values: dict[str, Any]) -> list[str]:
    """Change the facility's facts (not its status: see record_status); returns the fields changed."""
    with transaction.atomic():
        locked = Facility.objects.select_for_update().get(pk=facility.pk)
        changed = [
            name for name in FACILITY_FIELDS if name in values and getattr(locked, name) != values[name]
        ]
        if not changed:
            return []
        for name in changed:
            setattr(locked, name, values[name])
        locked.updated_at = timezone.now()
        locked.full_clean()
        locked.save()
        record(
            "facilities.facility_changed",
            actor=actor,
            target=locked,
            organisation=locked.organisation,
            details={"fields": list(changed)},
        )
        if any(name in PLACE_FIELDS for name in changed):
            proximity.check(facility_ids=[locked.pk], actor=actor)
    for name in changed:
        setattr(facility, name, getattr(locked, name))
    facility.updated_at = locked.updated_at
    return changed


def record_status(
    actor: Any,
    facility: Facility,
    *,
    date: datetime.date,
    status: str,
    damage: str = Damage.NONE,
    source: str = "",
    note: str = "",
) -> FacilityStatusChange:
    """Add an observation of the facility's status; the facility's status follows the latest by date."""
    with transaction.atomic():
        locked = Facility.objects.select_for_update().get(pk=facility.pk)
        change = FacilityStatusChange(
            facility=locked,
            date=date,
            status=status,
            damage=damage,
            source=source,
            note=note,
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        change.full_clean()
        change.save()
        latest = locked.status_changes.order_by("-date", "-recorded_at", "-pk").first()
        if latest is not None and latest.status != locked.status:
            locked.status = latest.status
            locked.updated_at = timezone.now()
            locked.save(update_fields=["status", "updated_at"])
        record(
            "facilities.status_recorded",
            actor=actor,
            target=locked,
            organisation=locked.organisation,
            details={
                "status_change": change.pk,
                "date": date.isoformat(),
                "status": status,
                "damage": damage,
                "current_status": locked.status,
            },
        )
    facility.status = locked.status
    return change


# Imports ---------------------------------------------------------------------------------------------------


@dataclass
class ImportOutcome:
    file_name: str
    sha256: str
    read: ReadResult
    dry_run: bool
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    # In a dry run: how many would be created, changed, left as they are.
    would_create: int = 0
    would_update: int = 0
    would_leave: int = 0

    @property
    def ok(self) -> bool:
        return self.read.ok

    @property
    def problems(self) -> list[importers.Problem]:
        return self.read.problems


def _row_values(row: importers.FacilityRow) -> dict[str, Any]:
    return {
        "name": row.name,
        "facility_type": row.facility_type,
        "operator": row.operator,
        "country_iso3": row.country_iso3,
        "admin1": row.admin1,
        "latitude": row.latitude,
        "longitude": row.longitude,
        "location_public": row.location_public,
        "external_id": row.external_id,
    }


def import_facilities(
    actor: Any,
    organisation: Organisation,
    data: bytes,
    *,
    file_name: str,
    file_format: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportOutcome:
    """Read a CSV or GeoJSON file of facilities and register them for `organisation`, all or nothing.

    A row whose external_id is that of a facility the organisation already has changes that facility
    (its status too, as an observation of today, when the file gives one that differs); every other row
    is a new facility. With one problem anywhere in the file nothing is stored and every problem is
    reported; `dry_run` only reports what would happen.
    """
    chosen_format = file_format or importers.guess_format(file_name, data)
    read = importers.read(data, chosen_format, progress)
    outcome = ImportOutcome(
        file_name=file_name[:200], sha256=hashlib.sha256(data).hexdigest(), read=read, dry_run=dry_run
    )
    if not read.ok:
        return outcome
    known = {
        facility.external_id: facility
        for facility in Facility.objects.filter(
            organisation=organisation,
            external_id__in=[row.external_id for row in read.rows if row.external_id],
        )
    }
    if dry_run:
        for row in read.rows:
            existing = known.get(row.external_id) if row.external_id else None
            if existing is None:
                outcome.would_create += 1
            elif _differs(existing, row):
                outcome.would_update += 1
            else:
                outcome.would_leave += 1
        return outcome
    source = f"import {outcome.file_name}"[:300]
    with transaction.atomic():
        for row in read.rows:
            values = _row_values(row)
            existing = known.get(row.external_id) if row.external_id else None
            if existing is None:
                facility = Facility(
                    organisation=organisation,
                    created_by=actor if getattr(actor, "is_authenticated", False) else None,
                    status=row.status or FacilityStatus.FUNCTIONAL,
                    **values,
                )
                facility.save()
                _first_status(facility, actor, source)
                outcome.created.append(facility.pk)
                continue
            if not _differs(existing, row):
                outcome.unchanged.append(existing.pk)
                continue
            for name, value in values.items():
                setattr(existing, name, value)
            existing.updated_at = timezone.now()
            existing.save()
            if row.status and row.status != existing.status:
                FacilityStatusChange.objects.create(
                    facility=existing,
                    date=timezone.localdate(),
                    status=row.status,
                    source=source,
                    recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
                )
                existing.status = row.status
                existing.save(update_fields=["status"])
            outcome.updated.append(existing.pk)
        record(
            "facilities.imported",
            actor=actor,
            target=("facilities.import", outcome.sha256),
            organisation=organisation,
            details={
                "format": chosen_format,
                "sha256": outcome.sha256,
                "rows": read.read,
                "created": len(outcome.created),
                "updated": len(outcome.updated),
                "unchanged": len(outcome.unchanged),
            },
        )
        if outcome.created or outcome.updated:
            from facilities.tasks import request_check

            transaction.on_commit(request_check)
    return outcome


def _differs(facility: Facility, row: importers.FacilityRow) -> bool:
    values = _row_values(row)
    if any(getattr(facility, name) != value for name, value in values.items()):
        return True
    return bool(row.status) and row.status != facility.status


# Parties ---------------------------------------------------------------------------------------------------


def save_party(actor: Any, values: dict[str, Any], party: Party | None = None) -> Party:
    with transaction.atomic():
        created = party is None
        target = party or Party()
        for name in ("name", "kind", "contact", "notes"):
            if name in values:
                setattr(target, name, values[name])
        target.full_clean()
        target.save()
        record(
            "facilities.party_added" if created else "facilities.party_changed",
            actor=actor,
            target=target,
            details={"kind": target.kind},
        )
    return target


# Notifications -------------------------------------------------------------------------------------------


def create_notification(
    actor: Any,
    organisation: Organisation,
    *,
    facilities: Sequence[Facility],
    parties: Sequence[Party],
    language: str,
    sent_at: datetime.datetime | None = None,
    method: str = "",
    notes: str = "",
) -> Notification:
    """A notification of `facilities` to `parties` by `organisation`, with its package made now.

    Without `sent_at` it is prepared, not sent: mark_sent records the sending later. Only sent
    notifications count for the proximity check's flag."""
    if not facilities:
        raise ValueError("a notification needs at least one facility")
    if not parties:
        raise ValueError("a notification needs at least one party")
    with transaction.atomic():
        notification = Notification.objects.create(
            organisation=organisation,
            sent_at=sent_at,
            method=method if sent_at is not None else "",
            notes=notes,
            language=language,
            package=b"",
            package_sha256="",
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        notification.facilities.set(facilities)
        NotificationParty.objects.bulk_create(
            [NotificationParty(notification=notification, party=party) for party in parties]
        )
        package = packages.build(notification)
        facility_ids = cast("list[Detail]", sorted(facility.pk for facility in facilities))
        party_ids = cast("list[Detail]", sorted(party.pk for party in parties))
        notification.package = package.content
        notification.package_sha256 = package.sha256
        notification.save(update_fields=["package", "package_sha256"])
        record(
            "facilities.notification_created",
            actor=actor,
            target=notification,
            organisation=organisation,
            details={
                "facilities": facility_ids,
                "parties": party_ids,
                "package_sha256": package.sha256,
                "sent": sent_at is not None,
                "method": notification.method,
            },
        )
        if sent_at is not None:
            proximity.check(facility_ids=[facility.pk for facility in facilities], actor=actor)
    return notification


class AlreadySent(Exception):
    pass


def mark_sent(actor: Any, notification: Notification, *, sent_at: datetime.datetime, method: str) -> None:
    with transaction.atomic():
        locked = Notification.objects.select_for_update().get(pk=notification.pk)
        if locked.sent_at is not None:
            raise AlreadySent
        locked.sent_at = sent_at
        locked.method = method
        locked.save(update_fields=["sent_at", "method"])
        record(
            "facilities.notification_sent",
            actor=actor,
            target=locked,
            organisation=locked.organisation,
            details={"sent_at": sent_at.isoformat(), "method": method},
        )
        proximity.check(facility_ids=list(locked.facilities.values_list("pk", flat=True)), actor=actor)
    notification.sent_at, notification.method = sent_at, method


def acknowledge(
    actor: Any,
    recipient: NotificationParty,
    *,
    acknowledged_at: datetime.datetime,
    acknowledged_by: str,
    note: str = "",
) -> None:
    """Record that `recipient`'s party acknowledged the notification (again: the latest word counts)."""
    with transaction.atomic():
        locked = (
            NotificationParty.objects.select_for_update().select_related("notification").get(pk=recipient.pk)
        )
        locked.acknowledged_at = acknowledged_at
        locked.acknowledged_by = acknowledged_by
        locked.acknowledgement_note = note
        locked.recorded_by = actor if getattr(actor, "is_authenticated", False) else None
        locked.save()
        record(
            "facilities.notification_acknowledged",
            actor=actor,
            target=locked.notification,
            organisation=locked.notification.organisation,
            details={"party": locked.party_id, "acknowledged_at": acknowledged_at.isoformat()},
        )


def record_package_download(actor: Any, notification: Notification) -> None:
    record(
        "facilities.package_downloaded",
        actor=actor,
        target=notification,
        organisation=notification.organisation,
        details={"package_sha256": notification.package_sha256},
    )
