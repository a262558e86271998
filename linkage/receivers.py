"""Linking new field reports without waiting for an analyst: a release of the local source (field reports,
registry.field_reports) queues a linkage run, so the report joins its incident and the proximity check to
medical facilities follows (facilities listens to registry.signals.incidents_changed)."""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import receiver

from sources.signals import release_imported

logger = logging.getLogger(__name__)

LOCAL_SOURCE = "local"


@receiver(release_imported, dispatch_uid="linkage.link_after_field_report")
def link_after_field_report(sender: Any, release: Any, **kwargs: Any) -> None:
    from linkage.actions import RunRefused, queue_run

    if release.product.source.slug != LOCAL_SOURCE:
        return  # dataset imports are linked when an analyst starts a run: the review queue follows them
    try:
        queue_run(None)
    except RunRefused as refused:
        # A run is queued or running already; the next one takes the report.
        logger.info("no linkage run queued after field-report release %s: %s", release.pk, refused)
