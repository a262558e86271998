"""Giving a case handler access again with the organisation's recovery key (after a forgotten password).

An administrator resets the handler's password; at their next login the handler gets a new key pair, and the
report keys wrapped for the old one no longer open. `recover_access` unwraps each report key of the
organisation with the recovery private key (typed in by the administrator, held in memory only) and wraps
it for the handler's current public key. See docs/threat-model.md, "Key hierarchy".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from accounts import keys
from accounts.models import Organisation
from accounts.permissions import has_permission
from accounts.roles import Permission
from audit.chain import record
from meldpunt import sealing
from meldpunt.models import Report, ReportKey
from zorgveilig import crypto


class RecoveryError(Exception):
    """Recovery cannot start: the message says what is wrong and what to do."""


@dataclass(frozen=True)
class RecoveredAccess:
    rewrapped: int
    already_readable: int
    without_recovery_copy: int


def _handler_can_open(user: Any, report: Report) -> bool:
    """Whether the handler's copy of the report key was made for their *current* key pair.

    Without the handler's private key this cannot be tested by opening it; a copy made before the key pair
    was last replaced (HandlerKey.rotated_at) is for the old pair."""
    handler_key = user.handler_key
    copy = ReportKey.objects.filter(report=report, kind=ReportKey.Kind.HANDLER, user=user).first()
    if copy is None:
        return False
    return handler_key.rotated_at is None or copy.created_at >= handler_key.rotated_at


def recover_access(
    organisation: Organisation,
    user: Any,
    recovery_private_key: bytes,
    *,
    actor: Any = None,
    on_report: Callable[[int, int], None] | None = None,
) -> RecoveredAccess:
    """Wrap every report key of `organisation` for `user`'s current public key; returns the counts."""
    stored = keys.recovery_public_key(organisation)
    if stored is None:
        raise RecoveryError(f"{organisation.slug} has no recovery key, so nothing can be recovered with one")
    if crypto.public_key_of(recovery_private_key) != stored:
        raise RecoveryError(
            f"this is not the recovery key of {organisation.slug} (its fingerprint is "
            f"{keys.fingerprint(stored)}); check the paper"
        )
    if not has_permission(user, Permission.HANDLE_CASES, organisation):
        raise RecoveryError(f"{user.get_username()} does not handle cases at {organisation.slug}")
    public_key = keys.public_keys_for([user]).get(user.pk)
    if public_key is None:
        raise RecoveryError(
            f"{user.get_username()} has no key pair yet: they log in once first, then run this again"
        )
    reports = list(Report.objects.filter(organisation=organisation, erased_at__isnull=True).order_by("pk"))
    rewrapped = already = missing = 0
    with transaction.atomic():
        for done, report in enumerate(reports, start=1):
            if _handler_can_open(user, report):
                already += 1
            else:
                copy = ReportKey.objects.filter(report=report, kind=ReportKey.Kind.RECOVERY).first()
                if copy is None:
                    missing += 1
                else:
                    data_key = crypto.unwrap_key(
                        recovery_private_key,
                        bytes(copy.wrapped_key),
                        context=sealing.recovery_key_context(report.pk),
                    )
                    ReportKey.objects.filter(report=report, kind=ReportKey.Kind.HANDLER, user=user).delete()
                    ReportKey.objects.create(
                        report=report,
                        kind=ReportKey.Kind.HANDLER,
                        user=user,
                        wrapped_key=crypto.wrap_key(
                            public_key, data_key, context=sealing.handler_key_context(report.pk, user.pk)
                        ),
                    )
                    rewrapped += 1
            if on_report is not None:
                on_report(done, len(reports))
        record(
            "meldpunt.access_recovered",
            actor=actor,
            target=user,
            organisation=organisation,
            details={"rewrapped": rewrapped, "already_readable": already, "without_recovery_copy": missing},
        )
    return RecoveredAccess(rewrapped, already, missing)
