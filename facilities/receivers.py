"""Running the proximity check after the incidents changed (a linkage run, a merge, a split)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from facilities.tasks import request_check
from registry.signals import incidents_changed


@receiver(incidents_changed, dispatch_uid="facilities.check_proximity_after_incidents_changed")
def check_after_incidents_changed(sender: Any, **kwargs: Any) -> None:
    # The signal comes after the commit; the check itself runs in the worker.
    request_check()
