"""The staff page for API tokens: a staff member who may use the API lists, creates and revokes their own
tokens (case handlers, field documenters, analysts: accounts.api_tokens.may_hold_tokens).

Creating a token needs the private key unlocked in this session (a password login past the second factor),
because the token carries a sealed copy of it (accounts.api_tokens). The token is in the response to the
creating POST and nowhere else: not in a URL, a message or the session.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import api_tokens, keys
from accounts.permissions import has_permission, permission_required
from accounts.roles import Permission


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What the token is for, for example the program that will use it."),
        error_messages={"required": gettext_lazy("Give the token a name.")},
    )
    expires_in_days = forms.IntegerField(
        label=gettext_lazy("Valid for (days)"),
        min_value=1,
        max_value=api_tokens.MAX_DAYS,
        initial=api_tokens.DEFAULT_DAYS,
        help_text=gettext_lazy("From 1 to 365 days. After that the token stops working."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


def _page(request: HttpRequest, form: ApiTokenForm | None = None, *, status: int = 200) -> HttpResponse:
    now = timezone.now()
    rows = [
        {"token": token, "state": api_tokens.state(token, now)}
        for token in api_tokens.tokens_of(request.user)
    ]
    return render(
        request,
        "accounts/api_tokens.html",
        {
            "rows": rows,
            "form": form or ApiTokenForm(),
            "unlocked": keys.private_key(request) is not None,
            # The session holds the key but the browser did not send its half (SameSite=Strict after a
            # link from elsewhere): opening the page again from here sends it.
            "reload_may_help": keys.session_has_key(request),
            "can_handle_cases": has_permission(request.user, Permission.HANDLE_CASES),
            "can_document_attacks": has_permission(request.user, Permission.DOCUMENT_ATTACKS),
            "can_analyse_data": has_permission(request.user, Permission.ANALYSE_DATA),
        },
        status=status,
    )


@never_cache
@permission_required(*api_tokens.TOKEN_PERMISSIONS)
def api_tokens_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@never_cache
@require_POST
@permission_required(*api_tokens.TOKEN_PERMISSIONS)
def api_token_create(request: HttpRequest) -> HttpResponse:
    private_key = keys.private_key(request)
    if private_key is None:
        messages.error(
            request,
            _("Your key is not unlocked in this session. Log out and log in again, then create the token."),
        )
        return redirect("accounts:api_tokens")
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        user: Any = request.user
        try:
            row, token = api_tokens.create_token(
                user, private_key, name=form.cleaned_data["name"], days=form.cleaned_data["expires_in_days"]
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error)
        else:
            # Rendered in the response to this POST and nowhere else: the token is shown once.
            return render(request, "accounts/api_tokens_created.html", {"token": token, "row": row})
    return _page(request, form, status=400)


@require_POST
@permission_required(*api_tokens.TOKEN_PERMISSIONS)
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = api_tokens.token_of(request.user, token_id)
    if token is None:
        raise Http404("No such token.")
    if api_tokens.revoke(token, actor=request.user):
        messages.success(
            request, _("The token “%(name)s” is revoked: it no longer works.") % {"name": token.name}
        )
    else:
        messages.info(request, _("The token “%(name)s” was revoked already.") % {"name": token.name})
    return redirect("accounts:api_tokens")
