"""The meldpunt's background tasks, imported at start-up by jobs.apps so the tasks page knows them."""

from meldpunt import notifications, reminders, retention

__all__ = ["notifications", "reminders", "retention"]
