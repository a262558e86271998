from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import actions, api_tokens, authentication, keys, throttle, twofactor
from accounts.forms import AddMemberForm, BackupCodeForm, ChangeRoleForm, CodeForm, LoginForm
from accounts.models import Membership, Organisation, TOTPDevice
from accounts.permissions import has_permission, organisation_for, permission_required
from accounts.roles import Permission
from accounts.throttle import Refusal


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _refusal_message(refusal: Refusal) -> str:
    return ngettext(
        "Too many failed attempts. For your safety, try again in %(minutes)d minute.",
        "Too many failed attempts. For your safety, try again in %(minutes)d minutes.",
        refusal.minutes,
    ) % {"minutes": refusal.minutes}


@never_cache
def login(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = authentication.attempt_login(
            request, form.cleaned_data["username"], form.cleaned_data["password"]
        )
        if outcome.succeeded:
            # Staff are sent on to the second factor by TwoFactorMiddleware, keeping this destination.
            response = HttpResponseRedirect(_next_url(request))
            keys.apply_cookie(request, response)  # the browser's half of the session's private key
            return response
        if outcome.refusal is not None:
            form.add_error(None, ValidationError(_refusal_message(outcome.refusal), code="throttled"))
        else:
            form.add_error(
                None,
                ValidationError(
                    _("This user name and password do not match. Both are case-sensitive."),
                    code="invalid_login",
                ),
            )
    return render(request, "accounts/login.html", {"form": form, "next": _next_url_field(request)})


def _next_url_field(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    return candidate if url_has_allowed_host_and_scheme(candidate, {request.get_host()}) else ""


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    authentication.log_out(request)
    response = redirect(settings.LOGOUT_REDIRECT_URL)
    keys.apply_cookie(request, response)
    return response


@never_cache
@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)  # type: ignore[arg-type]
    if request.method == "POST" and form.is_valid():
        authentication.change_password(request, form)
        messages.success(request, _("Your password has been changed."))
        return redirect("accounts:staff_home")
    return render(request, "accounts/password_change.html", {"form": form})


@never_cache
@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    try:
        device = twofactor.pending_device(user)
    except ValueError:
        messages.info(request, _("Two-factor login is already set up for your account."))
        return redirect("accounts:staff_home")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code_throttle = throttle.two_factor_throttle()
        refusal = code_throttle.refusal(str(user.pk))
        if refusal is not None:
            form.add_error("code", ValidationError(_refusal_message(refusal), code="throttled"))
        else:
            codes = twofactor.confirm_device(device, form.cleaned_data["code"])
            if codes is None:
                code_throttle.fail(str(user.pk))
                form.add_error(
                    "code",
                    _("This code is not right. Check the time on your phone and type the newest code."),
                )
            else:
                code_throttle.reset(str(user.pk))
                twofactor.mark_verified(request)
                # Rendered in the response to this POST and nowhere else: the codes are shown once.
                return render(
                    request,
                    "accounts/backup_codes.html",
                    {"codes": codes, "next": _next_url(request)},
                )
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "secret": twofactor.grouped_secret(device.secret),
            "next": _next_url_field(request),
        },
    )


@never_cache
@login_required
def two_factor_qr(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    try:
        device = twofactor.pending_device(user)
    except ValueError:
        raise Http404("Two-factor login is already set up.") from None
    return HttpResponse(twofactor.qr_code_svg(device), content_type="image/svg+xml")


@never_cache
@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if twofactor.is_verified(request):
        return HttpResponseRedirect(_next_url(request))
    if not twofactor.has_confirmed_device(user):
        return redirect("accounts:two_factor_setup")
    is_backup = "backup_code" in request.POST
    code_form = CodeForm(request.POST if request.method == "POST" and not is_backup else None)
    backup_form = BackupCodeForm(request.POST if is_backup else None)
    form: CodeForm | BackupCodeForm = backup_form if is_backup else code_form
    field = "backup_code" if is_backup else "code"
    if request.method == "POST" and form.is_valid():
        code_throttle = throttle.two_factor_throttle()
        refusal = code_throttle.refusal(str(user.pk))
        if refusal is not None:
            form.add_error(field, ValidationError(_refusal_message(refusal), code="throttled"))
        elif twofactor.verify_code(user, form.cleaned_data[field]) is None:
            code_throttle.fail(str(user.pk))
            form.add_error(
                field,
                _("This backup code is not right or was used before.")
                if is_backup
                else _("This code is not right or was used already. Wait for the next code and try again."),
            )
        else:
            code_throttle.reset(str(user.pk))
            twofactor.mark_verified(request)
            remaining = twofactor.unused_backup_codes(user)
            if is_backup:
                messages.warning(
                    request,
                    ngettext(
                        "You have %(count)d backup code left.",
                        "You have %(count)d backup codes left.",
                        remaining,
                    )
                    % {"count": remaining},
                )
            return HttpResponseRedirect(_next_url(request))
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"code_form": code_form, "backup_form": backup_form, "next": _next_url_field(request)},
    )


@permission_required(Permission.VIEW_STAFF_HOME)
def staff_home(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    memberships = Membership.objects.filter(user=user).select_related("organisation")
    return render(
        request,
        "accounts/staff_home.html",
        {
            "memberships": memberships,
            "can_handle_cases": has_permission(request.user, Permission.HANDLE_CASES),
            "can_hold_tokens": api_tokens.may_hold_tokens(request.user),
            "can_analyse_data": has_permission(request.user, Permission.ANALYSE_DATA),
            "can_document_attacks": has_permission(request.user, Permission.DOCUMENT_ATTACKS),
            "can_view_tasks": has_permission(request.user, Permission.VIEW_TASKS),
            "can_view_audit_log": has_permission(request.user, Permission.VIEW_AUDIT_LOG),
            "has_two_factor": twofactor.has_confirmed_device(request.user),
        },
    )


def _organisation_page(
    request: HttpRequest, organisation: Organisation, add_form: AddMemberForm | None = None
) -> HttpResponse:
    can_manage = has_permission(request.user, Permission.MANAGE_MEMBERS, organisation)
    memberships = list(
        Membership.objects.filter(organisation=organisation).select_related("user").order_by("user__username")
    )
    confirmed = set(
        TOTPDevice.objects.filter(user__in=[m.user for m in memberships], confirmed=True).values_list(
            "user_id", flat=True
        )
    )
    rows = [
        {
            "membership": membership,
            "two_factor": membership.user_id in confirmed,
            "role_form": ChangeRoleForm(initial={"role": membership.role}, prefix=f"member-{membership.pk}")
            if can_manage
            else None,
        }
        for membership in memberships
    ]
    return render(
        request,
        "accounts/organisation.html",
        {
            "organisation": organisation,
            "rows": rows,
            "can_manage": can_manage,
            "add_form": add_form or (AddMemberForm() if can_manage else None),
        },
    )


@permission_required(Permission.VIEW_STAFF_HOME)
def organisation(request: HttpRequest, slug: str) -> HttpResponse:
    return _organisation_page(request, organisation_for(request.user, slug, Permission.VIEW_ORGANISATION))


@require_POST
@permission_required(Permission.VIEW_STAFF_HOME)
def member_add(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = organisation_for(request.user, slug, Permission.MANAGE_MEMBERS)
    form = AddMemberForm(request.POST)
    if form.is_valid():
        try:
            membership = actions.add_member(
                request.user, organisation, form.cleaned_data["username"], form.cleaned_data["role"]
            )
        except ValidationError as error:
            form.add_error("username" if error.code in {"unknown_user", "already_member"} else "role", error)
        else:
            messages.success(
                request,
                _("%(user)s is now a member with the role %(role)s.")
                % {"user": membership.user.get_username(), "role": membership.get_role_display()},
            )
            return redirect("accounts:organisation", slug=organisation.slug)
    return _organisation_page(request, organisation, add_form=form)


def _membership(request: HttpRequest, slug: str, membership_id: int) -> Membership:
    organisation = organisation_for(request.user, slug, Permission.MANAGE_MEMBERS)
    return get_object_or_404(
        Membership.objects.select_related("user", "organisation"), pk=membership_id, organisation=organisation
    )


@require_POST
@permission_required(Permission.VIEW_STAFF_HOME)
def member_change_role(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    membership = _membership(request, slug, membership_id)
    form = ChangeRoleForm(request.POST, prefix=f"member-{membership.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose one of the roles in the list."))
    else:
        try:
            membership = actions.change_role(request.user, membership, form.cleaned_data["role"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("%(user)s now has the role %(role)s.")
                % {"user": membership.user.get_username(), "role": membership.get_role_display()},
            )
    return redirect("accounts:organisation", slug=slug)


@require_POST
@permission_required(Permission.VIEW_STAFF_HOME)
def member_remove(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    membership = _membership(request, slug, membership_id)
    try:
        actions.remove_member(request.user, membership)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(user)s is no longer a member of %(organisation)s.")
            % {"user": membership.user.get_username(), "organisation": membership.organisation.name},
        )
    return redirect("accounts:organisation", slug=slug)
