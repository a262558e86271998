from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from audit.chain import record
from meldpunt.models import RoutingRule


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["organisation", "profession", "sector", "priority"]
    list_filter = ["organisation", "profession", "sector"]
    ordering = ["priority", "pk"]

    def save_model(self, request: HttpRequest, obj: RoutingRule, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            record(
                "meldpunt.routing_rule_changed" if change else "meldpunt.routing_rule_added",
                actor=request.user,
                target=obj,
                organisation=obj.organisation,
                details={"fields": sorted(form.changed_data)},
            )

    def delete_model(self, request: HttpRequest, obj: RoutingRule) -> None:
        with transaction.atomic():
            record(
                "meldpunt.routing_rule_removed", actor=request.user, target=obj, organisation=obj.organisation
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RoutingRule]) -> None:
        with transaction.atomic():
            for rule in queryset:
                record(
                    "meldpunt.routing_rule_removed",
                    actor=request.user,
                    target=rule,
                    organisation=rule.organisation,
                )
            super().delete_queryset(request, queryset)
