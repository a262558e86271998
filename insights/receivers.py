"""Keeping the analytics mirror up to date when the data it mirrors change."""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import receiver

from insights.mirror import MirrorError, refresh_release
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
