"""Keeping the analytics mirror and database up to date when the data they mirror change."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from insights.mirror import MirrorError, refresh_release
from insights.tasks import GATHER_REPORTS, request_refresh
from meldpunt.models import Report
from registry.signals import incidents_changed
from sources.signals import release_imported

logger = logging.getLogger(__name__)


@receiver(release_imported, dispatch_uid="insights.refresh_mirror_after_import")
def refresh_after_import(sender: Any, release: Any, **kwargs: Any) -> None:
    # The release is committed whatever happens here; a failed refresh is logged and `zorgveilig
    # refresh_mirror` rebuilds the mirror from the database.
    try:
        refresh_release(release)
    except MirrorError:
        logger.exception("analytics mirror not refreshed after release %s", release.pk)
        return
    request_refresh(["records"])


@receiver(incidents_changed, dispatch_uid="insights.refresh_after_incidents_changed")
def refresh_after_incidents_changed(sender: Any, **kwargs: Any) -> None:
    request_refresh(["incidents"])


@receiver(post_save, sender=Report, dispatch_uid="insights.refresh_after_report")
def refresh_after_report(sender: Any, created: bool, **kwargs: Any) -> None:
    if created:
        transaction.on_commit(lambda: request_refresh(["nl_reports"], gather=GATHER_REPORTS))
