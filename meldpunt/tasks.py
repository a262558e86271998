"""The meldpunt's background tasks, imported at start-up by jobs.apps so the tasks page knows them."""

from meldpunt import notifications

__all__ = ["notifications"]
