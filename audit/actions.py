"""Writes on the audit log's behalf that views, the API and the CLI share."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from audit.chain import record
from audit.tasks import verify_audit_log


def start_audit_verification(user: Any) -> str:
    """Enqueue a verification of the audit log as a background task; return the task result id.

    The start is itself an audit event, written in the same transaction as the queued task, so there is
    no verification without its event. The caller checks Permission.RUN_MAINTENANCE_TASKS.
    """
    with transaction.atomic():
        result = verify_audit_log.enqueue()
        record("audit.verification_started", actor=user, target=("task_result", result.id))
    return str(result.id)
