from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from audit.models import Event


class EventFilterForm(forms.Form):
    """Filters of the audit log page. Choices come from the events the reader may see."""

    action = forms.ChoiceField(label=_("Action"), required=False)
    object_type = forms.ChoiceField(label=_("Object type"), required=False)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=80)

    def __init__(self, *args: Any, events: QuerySet[Event] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if events is None:
            events = Event.objects.all()
        any_choice = [("", _("Any"))]
        actions = events.order_by("action").values_list("action", flat=True).distinct()
        types = (
            events.exclude(object_type="")
            .order_by("object_type")
            .values_list("object_type", flat=True)
            .distinct()
        )
        self.fields["action"].choices = any_choice + [(value, value) for value in actions]  # type: ignore[attr-defined]
        self.fields["object_type"].choices = any_choice + [(value, value) for value in types]  # type: ignore[attr-defined]

    def filter(self, events: QuerySet[Event]) -> QuerySet[Event]:
        if not self.is_valid():
            return events
        data = self.cleaned_data
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["object_type"]:
            events = events.filter(object_type=data["object_type"])
        if data["object_id"]:
            events = events.filter(object_id=data["object_id"].strip())
        return events
