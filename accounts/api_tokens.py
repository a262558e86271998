"""Staff API tokens: made on a staff page (or by the CLI), shown once, revoked at once.

Case handlers use them for the cases API; field documenters and analysts for field reports, evidence
metadata, facilities and accountability. Each router of the API decides what it needs of the token's user
(api.auth.TokenAuth.allows); `may_hold_tokens` only says who may have a token at all.

A token is `zv_` and 43 url-safe characters (256 random bits). The database keeps no copy of it, only:

- a SHA-256 of it (`ApiToken.lookup_hash`) to find the row: the token is random enough that a plain hash
  cannot be reversed, and unlike a keyed hash it survives a change of SECRET_KEY;
- the user's private key, sealed under a key derived from the token with HKDF (fast, which is fine for a
  256-bit secret; Argon2id is for passwords) and bound to the token row and user by the seal's context.

So a request with the token opens the private key exactly as the web session's cookie half does, and the API
unwraps report keys like the web (meldpunt.cases.report_key_for); a copy of the database opens nothing. When
the user's key pair is replaced later (accounts.keys._replace_key_pair), the sealed key no longer matches and
the token is refused with KEY_REPLACED. docs/api.md describes how clients use tokens.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import keys
from accounts.models import ApiToken, HandlerKey, User
from accounts.permissions import has_permission
from accounts.roles import Permission
from audit.chain import record
from zorgveilig import crypto

PREFIX = "zv_"
RANDOM_BYTES = 32  # 256 bits
DISPLAY_CHARACTERS = 6  # shown after the prefix in lists, so a handler can tell their tokens apart
DEFAULT_DAYS = 90
MAX_DAYS = 365

_LOOKUP_DOMAIN = b"zorgveilig api token lookup v1\x00"
_KEY_INFO = b"zorgveilig api token key v1\x00"


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(RANDOM_BYTES)


def lookup_hash(token: str) -> str:
    return hashlib.sha256(_LOOKUP_DOMAIN + token.encode("utf-8")).hexdigest()


def display_prefix(token: str) -> str:
    return token[: len(PREFIX) + DISPLAY_CHARACTERS]


def _context(token_id: int, user_id: int) -> str:
    return f"api-token:{token_id}:user:{user_id}:private-key"


def _token_key(token: str, salt: bytes, context: str) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(), length=crypto.KEY_BYTES, salt=salt, info=_KEY_INFO + context.encode()
    )
    return hkdf.derive(token.encode("utf-8"))


# The permissions some part of the API serves; a viewer or a profession editor has nothing to do there.
TOKEN_PERMISSIONS = (Permission.HANDLE_CASES, Permission.DOCUMENT_ATTACKS, Permission.ANALYSE_DATA)


def may_hold_tokens(user: Any) -> bool:
    """Whether `user` may have API tokens: case handlers, field documenters, analysts (and administrators)."""
    return any(has_permission(user, permission) for permission in TOKEN_PERMISSIONS)


# Making and revoking ----------------------------------------------------------------------------------------


def create_token(
    user: User, private_key: bytes, *, name: str, days: int = DEFAULT_DAYS, now: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token for `user`, whose unlocked private key it will carry; returns the row and the token.

    The token exists only in the return value: the caller shows it once. ValidationError when the name or
    the lifetime is not acceptable, when `user` may not have tokens (may_hold_tokens), or when `private_key` is
    not the user's current key.
    """
    name = name.strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Give the token a name, for example the program that will use it.")
    elif len(name) > ApiToken._meta.get_field("name").max_length:  # type: ignore[operator]
        errors["name"] = _("The name can be at most 100 characters long.")
    if not 1 <= days <= MAX_DAYS:
        errors["expires_in_days"] = _("A token is valid for 1 to %(max)d days.") % {"max": MAX_DAYS}
    if errors:
        raise ValidationError(
            {field: ValidationError(message, code="invalid") for field, message in errors.items()}
        )
    if not may_hold_tokens(user):
        raise ValidationError(
            _("Only case handlers, field documenters and analysts can create API tokens."),
            code="not_allowed",
        )
    public_key = HandlerKey.objects.filter(user=user).values_list("public_key", flat=True).first()
    if public_key is None or bytes(public_key) != crypto.public_key_of(private_key):
        raise ValidationError(
            _("Your key is not unlocked in this session. Log out and log in again, then create the token."),
            code="key_locked",
        )
    token = new_token()
    now = now or timezone.now()
    with transaction.atomic():
        row = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=display_prefix(token),
            lookup_hash=lookup_hash(token),
            salt=crypto.new_salt(),
            public_key=bytes(public_key),
            expires_at=now + timedelta(days=days),
        )
        context = _context(row.pk, user.pk)
        row.sealed_private_key = crypto.seal(
            _token_key(token, bytes(row.salt), context), private_key, context=context
        )
        row.save(update_fields=["sealed_private_key"])
        record(
            "accounts.api_token_created",
            actor=user,
            target=row,
            details={"token_id": row.pk, "days": days},
        )
    return row, token


def revoke(token: ApiToken, *, actor: Any = None) -> bool:
    """Revoke at once; False when it was revoked already. `actor` None: from the command line."""
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if updated:
            record(
                "accounts.api_token_revoked",
                actor=actor,
                target=token,
                details={"token_id": token.pk, "user_id": token.user_id, "by_owner": actor == token.user},
            )
    token.refresh_from_db(fields=["revoked_at"])
    return bool(updated)


def tokens_of(user: Any) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


def token_of(user: Any, token_id: int) -> ApiToken | None:
    """One of `user`'s own tokens; None for someone else's (which is none of their business)."""
    return ApiToken.objects.filter(user=user, pk=token_id).first()


def state(token: ApiToken, now: datetime | None = None) -> str:
    """ "active", "expired" or "revoked", for lists."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at <= (now or timezone.now()):
        return "expired"
    return "active"


# Using a token ----------------------------------------------------------------------------------------------


class Refused(StrEnum):
    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    EXPIRED = "expired"
    INACTIVE = "inactive"
    KEY_REPLACED = "key_replaced"


_MESSAGES: dict[Refused, Callable[[], str]] = {
    Refused.MALFORMED: lambda: _("This is not an API token: tokens start with zv_."),
    Refused.UNKNOWN: lambda: _("This API token is not known. Check that it was copied completely."),
    Refused.REVOKED: lambda: _("This API token was revoked. Create a new one on the API tokens page."),
    Refused.EXPIRED: lambda: _("This API token has expired. Create a new one on the API tokens page."),
    Refused.INACTIVE: lambda: _("The account of this API token is deactivated."),
    Refused.KEY_REPLACED: lambda: _(
        "This API token can no longer open cases: the key pair of its account was replaced after it was "
        "made (the password was reset). Log in on the website and create a new token."
    ),
}


class TokenRefused(Exception):
    def __init__(self, reason: Refused) -> None:
        self.reason = reason
        super().__init__(_MESSAGES[reason]())


@dataclass(frozen=True)
class TokenAccess:
    """What a valid token gives: the user, the token row and the user's private key."""

    user: User
    token: ApiToken
    private_key: bytes


def authenticate(token: str, *, now: datetime | None = None) -> TokenAccess:
    """The user and private key behind `token`; TokenRefused says why not."""
    token = token.strip()
    if not token.startswith(PREFIX) or len(token) > 200:
        raise TokenRefused(Refused.MALFORMED)
    row = ApiToken.objects.select_related("user").filter(lookup_hash=lookup_hash(token)).first()
    if row is None:
        raise TokenRefused(Refused.UNKNOWN)
    now = now or timezone.now()
    if row.revoked_at is not None:
        raise TokenRefused(Refused.REVOKED)
    if row.expires_at <= now:
        raise TokenRefused(Refused.EXPIRED)
    if not row.user.is_active:
        raise TokenRefused(Refused.INACTIVE)
    context = _context(row.pk, row.user_id)
    try:
        private_key = crypto.open_sealed(
            _token_key(token, bytes(row.salt), context), bytes(row.sealed_private_key), context=context
        )
    except crypto.DecryptionError:
        # The hash matched but the seal does not open: the row was tampered with. Refuse like a stale key.
        raise TokenRefused(Refused.KEY_REPLACED) from None
    current = HandlerKey.objects.filter(user_id=row.user_id).values_list("public_key", flat=True).first()
    if current is None or bytes(current) != crypto.public_key_of(private_key):
        raise TokenRefused(Refused.KEY_REPLACED)
    ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    row.last_used_at = now
    return TokenAccess(user=row.user, token=row, private_key=private_key)


# The command line -------------------------------------------------------------------------------------------


def private_key_with_password(user: User, password: str) -> bytes | None:
    """The user's private key opened with their password (for `api_token create`); None when it does not
    open. Unlike a web login this never makes or replaces a key pair."""
    handler_key = HandlerKey.objects.filter(user=user).first()
    if handler_key is None or not user.check_password(password):
        return None
    return keys._open_with_password(handler_key, password)
