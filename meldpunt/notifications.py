"""Emails to case handlers that something needs their attention.

An email names the organisation, the case number and what happened (a new report, a reply, an assignment,
a deadline), with a link to the case behind the login. It never carries anything of the report itself: no
narrative, no kind of incident, no profession, no name. Mail leaves our hands; the case page does not.

The actions call `new_report`, `reporter_wrote`, `assigned` and `acknowledgement_overdue` when their
transaction commits; each enqueues `send_notification`, so a slow or failing mail server never holds up or
breaks a report.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.mail import send_mass_mail
from django.tasks import task
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, override

from jobs import registry
from meldpunt.models import OrganisationPolicy, Report

logger = logging.getLogger(__name__)


class Event(StrEnum):
    NEW_REPORT = "new_report"
    REPORTER_WROTE = "reporter_wrote"
    ASSIGNED = "assigned"
    ACKNOWLEDGEMENT_OVERDUE = "acknowledgement_overdue"


def new_report(report: Report) -> None:
    send_notification.enqueue(Event.NEW_REPORT.value, report.pk)


def reporter_wrote(report: Report) -> None:
    send_notification.enqueue(Event.REPORTER_WROTE.value, report.pk)


def assigned(report: Report, user: Any) -> None:
    send_notification.enqueue(Event.ASSIGNED.value, report.pk, user.pk)


def acknowledgement_overdue(report: Report) -> None:
    send_notification.enqueue(Event.ACKNOWLEDGEMENT_OVERDUE.value, report.pk)


def case_url(report: Report | int) -> str:
    report_id = report if isinstance(report, int) else report.pk
    with override(settings.LANGUAGE_CODE):
        return settings.SITE_URL + reverse("cases:detail", args=[report_id])


def _recipients(event: Event, report: Report, user_id: int | None) -> list[Any]:
    from meldpunt.actions import handlers_of

    if event == Event.ASSIGNED:
        # Only if they still handle cases there: the assignment may be older than a change of role.
        return [user for user in handlers_of(report.organisation) if user.pk == user_id]
    if event == Event.REPORTER_WROTE and report.assigned_to_id is not None:
        assignee = report.assigned_to
        if assignee is not None and assignee.is_active:
            return [assignee]
    return handlers_of(report.organisation)


def message_for(event: Event, report: Report) -> tuple[str, str]:
    """Subject and body in the active language: the case number, the organisation and a link, nothing else."""
    number = report.pk
    subjects = {
        Event.NEW_REPORT: _("New report #%(number)s"),
        Event.REPORTER_WROTE: _("Reporter wrote on case #%(number)s"),
        Event.ASSIGNED: _("Case #%(number)s was assigned to you"),
        Event.ACKNOWLEDGEMENT_OVERDUE: _("Case #%(number)s has not been acknowledged in time"),
    }
    leads = {
        Event.NEW_REPORT: _("A new report has come in for %(organisation)s."),
        Event.REPORTER_WROTE: _(
            "The reporter of case #%(number)s at %(organisation)s sent a message or a file."
        ),
        Event.ASSIGNED: _("Case #%(number)s at %(organisation)s is now yours to handle."),
        Event.ACKNOWLEDGEMENT_OVERDUE: _(
            "Case #%(number)s at %(organisation)s passed its acknowledgement deadline and is still new."
        ),
    }
    values = {"number": number, "organisation": report.organisation.name}
    body = "\n\n".join(
        [
            leads[event] % values,
            _("Open the case after logging in:") + "\n" + case_url(report),
            _(
                "This email deliberately says nothing about the report itself. You receive it because you "
                "are a case handler at %(organisation)s."
            )
            % values,
        ]
    )
    return subjects[event] % values, body


@task()
def send_notification(event: str, report_id: int, user_id: int | None = None) -> int:
    """Email the handlers concerned; returns how many emails were sent (0 when the report is gone)."""
    report = Report.objects.select_related("organisation", "assigned_to").filter(pk=report_id).first()
    if report is None or report.erased_at is not None:
        return 0
    if not OrganisationPolicy.for_organisation(report.organisation).notify_by_email:
        return 0
    kind = Event(event)
    recipients = [user.email for user in _recipients(kind, report, user_id) if user.email]
    if not recipients:
        logger.info("No handler with an email address to notify of %s on report %s", kind, report_id)
        return 0
    with override(settings.LANGUAGE_CODE):
        subject, body = message_for(kind, report)
    subject = settings.EMAIL_SUBJECT_PREFIX + subject
    # One email per recipient: handlers do not see each other's addresses.
    return send_mass_mail(
        [(subject, body, settings.DEFAULT_FROM_EMAIL, [address]) for address in recipients],
        fail_silently=False,
    )


def describe_sent(value: Any) -> str:
    if not isinstance(value, int):
        return ""
    return ngettext("%(count)s email sent", "%(count)s emails sent", value) % {"count": value}


registry.register(send_notification, gettext_lazy("Notify case handlers by email"), describe_sent)
