"""Signals of the registry, for apps that follow the incidents without being imported by it (insights)."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

# Sent after the incidents changed and the change committed (a linkage run, a merge, a split, a decision).
incidents_changed = Signal()


def announce_incidents_changed(reason: str) -> None:
    """Send `incidents_changed` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: incidents_changed.send(sender=None, reason=reason))
