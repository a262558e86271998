"""The page where an organisation's administrators set how its reports are handled and kept."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from accounts.permissions import organisation_for, permission_required
from accounts.roles import Permission
from meldpunt import retention
from meldpunt.models import OrganisationPolicy
from meldpunt.policy_forms import PolicyForm


@never_cache
@permission_required(Permission.VIEW_STAFF_HOME)
def edit(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = organisation_for(request.user, slug, Permission.MANAGE_MEMBERS)
    policy = OrganisationPolicy.for_organisation(organisation)
    form = PolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in retention.POLICY_FIELDS}
        _policy, changed = retention.change_policy(organisation, request.user, **values)
        if changed:
            messages.success(request, _("The report handling policy has been saved."))
        else:
            messages.info(request, _("Nothing was changed."))
        return redirect("report_policy:edit", slug=organisation.slug)
    return render(
        request,
        "meldpunt/policy/edit.html",
        {"organisation": organisation, "form": form, "is_default": policy.pk is None},
        status=400 if form.errors else 200,
    )
