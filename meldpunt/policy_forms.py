"""The organisation's report handling policy, as its administrators edit it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from meldpunt.forms import ErrorLinksMixin
from meldpunt.models import OrganisationPolicy


class PolicyForm(ErrorLinksMixin, forms.ModelForm):
    acknowledge_within_working_days = forms.IntegerField(
        label=_("Acknowledge new reports within (working days)"),
        min_value=1,
        max_value=30,
        help_text=_(
            "From 1 to 30 working days; weekends and Dutch public holidays do not count. A report still new "
            "after this gets one reminder email to the case handlers. A change applies to reports that come "
            "in from now on."
        ),
        error_messages={
            "required": _("Enter a number of working days from 1 to 30."),
            "invalid": _("Enter a whole number of working days from 1 to 30."),
            "min_value": _("Enter a number of working days from 1 to 30."),
            "max_value": _("Enter a number of working days from 1 to 30."),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "input-short"}),
    )
    retention_days_after_closure = forms.IntegerField(
        label=_("Erase closed reports after (days)"),
        min_value=1,
        max_value=3650,
        help_text=_(
            "From 1 to 3650 days (ten years) after a case is closed. Then everything the reporter and "
            "handlers wrote, the files and the keys are erased; only anonymous figures for statistics remain. "
            "A change applies to every closed report from the next daily run."
        ),
        error_messages={
            "required": _("Enter a number of days from 1 to 3650."),
            "invalid": _("Enter a whole number of days from 1 to 3650."),
            "min_value": _("Enter a number of days from 1 to 3650."),
            "max_value": _("Enter a number of days from 1 to 3650."),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "input-short"}),
    )
    notify_by_email = forms.BooleanField(
        label=_("Email case handlers when something needs their attention"),
        required=False,
        help_text=_("Emails say only that something needs attention, never what a report says."),
    )

    class Meta:
        model = OrganisationPolicy
        fields = ["acknowledge_within_working_days", "retention_days_after_closure", "notify_by_email"]
