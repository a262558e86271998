"""Forms of the case handlers' pages: the queue filter and one form per action on a case.

The forms only check the shape of what was sent; meldpunt.cases decides what is allowed and raises
ValidationError with field names these forms share (status, outcome, assignee, body, note, kind, ...), so
its messages land next to the right field. Every form that changes the case's state carries the version
the handler was looking at (a hidden field), for the optimistic check in meldpunt.cases.

Each form on the case page gets its own `auto_id` so ids stay unique on one page while the field names
stay plain (`status`, `version`): every form posts to its own URL.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, User
from meldpunt import cases
from meldpunt.forms import ErrorLinksMixin
from meldpunt.models import Report
from meldpunt.vocabulary import Outcome, ReferralKind, ReferralStatus, VptCode

Status = Report.Status


class QueueFilterForm(forms.Form):
    """The queue's filters, read from the query string; an empty form shows all open cases."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All open cases")), *Status.choices],
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        required=False,
        queryset=Organisation.objects.none(),
        empty_label=_("All my organisations"),
    )
    assigned = forms.ChoiceField(
        label=_("Assigned to"),
        required=False,
        choices=[("", _("Anyone or nobody")), ("me", _("Me")), ("nobody", _("Nobody (unassigned)"))],
    )
    overdue = forms.BooleanField(label=_("Only overdue cases"), required=False)

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organisation_field: Any = self.fields["organisation"]
        organisation_field.queryset = Organisation.objects.filter(
            pk__in=[organisation.pk for organisation in organisations]
        ).order_by("name")

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for meldpunt.cases.queue_for; invalid filters are ignored (shown as errors)."""
        if not self.is_bound or not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "status": data.get("status") or "",
            "organisation": data.get("organisation"),
            "assigned": data.get("assigned") or "",
            "overdue": bool(data.get("overdue")),
        }


class VersionedForm(ErrorLinksMixin, forms.Form):
    """A change to the case's state, based on the version the handler was looking at."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, report: Report, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})["version"] = report.version
        super().__init__(*args, **kwargs)
        self.report = report

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # A missing or altered version is nothing the handler can fix in a field they see.
        if "version" in self.errors:
            del self.errors["version"]
            self.add_error(None, _("The form was incomplete. Load the case again and repeat your change."))
        return cleaned


class StatusForm(VersionedForm):
    status = forms.ChoiceField(label=_("New status"))

    def __init__(self, *args: Any, report: Report, **kwargs: Any) -> None:
        kwargs["auto_id"] = "case-status-%s"
        super().__init__(*args, report=report, **kwargs)
        # Closing needs an outcome (its own form), reopening is its own step too.
        allowed = cases.TRANSITIONS.get(report.status, frozenset()) - {Status.CLOSED}
        status_field: Any = self.fields["status"]
        status_field.choices = [(value, label) for value, label in Status.choices if value in allowed]


class CloseForm(VersionedForm):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("", _("Choose the outcome")), *Outcome.choices],
        error_messages={"required": _("Choose the outcome of the case to close it.")},
    )

    def __init__(self, *args: Any, report: Report, **kwargs: Any) -> None:
        kwargs["auto_id"] = "case-close-%s"
        super().__init__(*args, report=report, **kwargs)


class ReopenForm(VersionedForm):
    def __init__(self, *args: Any, report: Report, **kwargs: Any) -> None:
        kwargs["auto_id"] = "case-reopen-%s"
        super().__init__(*args, report=report, **kwargs)


def _users(users: list[Any]) -> Any:
    return User.objects.filter(pk__in=[user.pk for user in users]).order_by("username")


class HandlerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        full_name = obj.get_full_name()
        return f"{full_name} ({obj.get_username()})" if full_name else obj.get_username()


class AssignForm(VersionedForm):
    assignee = HandlerChoiceField(
        label=_("Assign to"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nobody"),
        help_text=_("A colleague who cannot read the case yet gets access with the assignment."),
    )

    def __init__(self, *args: Any, report: Report, handlers: list[Any], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})["assignee"] = report.assigned_to_id
        kwargs["auto_id"] = "case-assign-%s"
        super().__init__(*args, report=report, **kwargs)
        assignee_field: Any = self.fields["assignee"]
        assignee_field.queryset = _users(handlers)


class CaseReplyForm(ErrorLinksMixin, forms.Form):
    body = forms.CharField(
        label=_("Message to the reporter"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The reporter reads this after logging in with their receipt code."),
        error_messages={"required": _("Write a message first.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["auto_id"] = "case-reply-%s"
        super().__init__(*args, **kwargs)


class NoteForm(ErrorLinksMixin, forms.Form):
    note = forms.CharField(
        label=_("Internal note"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Only for the case handlers of this organisation; never shown to the reporter."),
        error_messages={"required": _("Write the note first.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["auto_id"] = "case-note-%s"
        super().__init__(*args, **kwargs)


class ReferralForm(ErrorLinksMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("Referred to"),
        choices=[("", _("Choose where to")), *ReferralKind.choices],
        error_messages={"required": _("Choose where the case was referred to.")},
    )
    referred_on = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("Enter the date of the referral."),
            "invalid": _("Enter the date as year-month-day, for example 2025-03-31."),
        },
    )
    status = forms.ChoiceField(label=_("Status of the referral"), choices=ReferralStatus.choices)
    vpt_code = forms.ChoiceField(
        label=_("Was the VPT code asked for?"),
        required=False,
        choices=[("", _("Not a police referral")), *VptCode.choices],
        help_text=_(
            "Only for police referrals (melding or aangifte): whether the police were asked to register "
            "the incident with the VPT code (violence against a worker with a public task)."
        ),
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Internal, like the notes: never shown to the reporter."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("referred_on", timezone.localdate())
        kwargs["auto_id"] = "case-referral-%s"
        super().__init__(*args, **kwargs)


class ReferralStatusForm(ErrorLinksMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status of the referral"), choices=ReferralStatus.choices)

    def __init__(self, *args: Any, referral: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})["status"] = referral.status
        kwargs["auto_id"] = f"referral-{referral.pk}-%s"
        super().__init__(*args, **kwargs)
        self.referral = referral


class ShareForm(ErrorLinksMixin, forms.Form):
    colleague = HandlerChoiceField(
        label=_("Colleague"),
        queryset=User.objects.none(),
        empty_label=_("Choose a colleague"),
        error_messages={"required": _("Choose the colleague to give access to.")},
    )

    def __init__(self, *args: Any, colleagues: list[Any], **kwargs: Any) -> None:
        kwargs["auto_id"] = "case-share-%s"
        super().__init__(*args, **kwargs)
        colleague_field: Any = self.fields["colleague"]
        colleague_field.queryset = _users(colleagues)


class EraseForm(VersionedForm):
    """Erasure on the reporter's request (by phone, by email): the handler confirms by typing the case number."""

    confirm_number = forms.CharField(
        label=_("Type the case number to confirm"),
        max_length=20,
        help_text=_(
            "Erasure cannot be undone: the report, its messages, notes and files are deleted for good."
        ),
    )

    def __init__(self, *args: Any, report: Report, **kwargs: Any) -> None:
        kwargs["auto_id"] = "case-erase-%s"
        super().__init__(*args, report=report, **kwargs)

    def clean_confirm_number(self) -> str:
        typed = str(self.cleaned_data.get("confirm_number", "")).strip().lstrip("#")
        if typed != str(self.report.pk):
            raise forms.ValidationError(
                _("Type %(number)s, the number of this case, to confirm the erasure.")
                % {"number": self.report.pk},
                code="mismatch",
            )
        return typed
