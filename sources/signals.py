"""Signals of the sources app, for apps that react to new data without being imported by it."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after the transaction that wrote a release has committed; `release` is the sources.models.Release.
release_imported = Signal()
