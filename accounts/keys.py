"""Handler key pairs and organisation recovery keys: who can unwrap a report key.

Each staff member has an X25519 key pair (HandlerKey). Its private half is stored sealed under a key derived
from the password, so it can only be opened at login, when the password is at hand. At login it is then
re-sealed under a fresh random key for this session only, and the two halves are kept apart:

- the session (in the database) holds the private key sealed under the session key;
- the browser holds the session key, in the HttpOnly, SameSite=Strict cookie KEY_COOKIE, never stored on
  the server.

So a copy of the database, sessions included, plus the settings opens no private key. The login and logout
views pass their response to `apply_cookie`, which sets or deletes the cookie that `unlock` or `forget`
asked for. docs/threat-model.md describes the whole key hierarchy.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

from accounts import twofactor
from accounts.models import HandlerKey, Organisation, OrganisationRecoveryKey, User
from audit.chain import record
from zorgveilig import crypto

KEY_COOKIE = "zv_keyshare"
SESSION_KEY = "accounts.sealed_private_key"
PRIVATE_KEY_PURPOSE = "handler-private-key"

# What unlock/forget want done with the cookie, kept on the request until apply_cookie sees the response.
_PENDING = "_zorgveilig_key_cookie"
_DELETE = object()


def _stored_context(user_id: int) -> str:
    return f"handler-key:{user_id}:private-key"


def _session_context(user_id: int) -> str:
    return f"session:{user_id}:private-key"


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _decode(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None


# The stored key pair ----------------------------------------------------------------------------------------


def _seal_for_password(user_id: int, private_key: bytes, password: str) -> dict[str, Any]:
    """Fields of a HandlerKey holding `private_key` sealed under `password`, at the current KDF cost."""
    salt = crypto.new_salt()
    memory_kib, iterations = settings.KDF_MEMORY_KIB, settings.KDF_ITERATIONS
    kek = crypto.derive_key(
        password, salt, purpose=PRIVATE_KEY_PURPOSE, memory_kib=memory_kib, iterations=iterations
    )
    return {
        "public_key": crypto.public_key_of(private_key),
        "sealed_private_key": crypto.seal(kek, private_key, context=_stored_context(user_id)),
        "salt": salt,
        "kdf_memory_kib": memory_kib,
        "kdf_iterations": iterations,
    }


def _open_with_password(handler_key: HandlerKey, password: str) -> bytes | None:
    kek = crypto.derive_key(
        password,
        bytes(handler_key.salt),
        purpose=PRIVATE_KEY_PURPOSE,
        memory_kib=handler_key.kdf_memory_kib,
        iterations=handler_key.kdf_iterations,
    )
    try:
        private_key = crypto.open_sealed(
            kek, bytes(handler_key.sealed_private_key), context=_stored_context(handler_key.user_id)
        )
    except crypto.DecryptionError:
        return None
    return private_key if crypto.public_key_of(private_key) == bytes(handler_key.public_key) else None


def _save_sealed(handler_key: HandlerKey, fields: dict[str, Any], *, rotated: bool) -> None:
    for name, value in fields.items():
        setattr(handler_key, name, value)
    update = list(fields)
    if rotated:
        handler_key.rotated_at = timezone.now()
        update.append("rotated_at")
    handler_key.save(update_fields=update)


def _replace_key_pair(user: User, password: str, reason: str) -> bytes:
    """A new key pair for a user whose stored private key no longer opens with the password.

    That happens when the password was set without the old one (by an administrator, `changepassword`).
    Report keys wrapped for the old public key stay unreadable to this user until an administrator
    re-wraps them with the organisation recovery key (docs/threat-model.md, "Recovery").
    """
    private_key, _public = crypto.generate_keypair()
    fields = _seal_for_password(user.pk, private_key, password)
    with transaction.atomic():
        handler_key = HandlerKey.objects.select_for_update().get(user=user)
        _save_sealed(handler_key, fields, rotated=True)
        record("accounts.handler_key_replaced", actor=user, target=user, details={"reason": reason})
    return private_key


def _private_key_from_password(user: User, password: str) -> bytes:
    """Open (or on first use create) the user's private key with their password."""
    handler_key = HandlerKey.objects.filter(user=user).first()
    if handler_key is None:
        private_key, _public = crypto.generate_keypair()
        try:
            with transaction.atomic():
                HandlerKey.objects.create(user=user, **_seal_for_password(user.pk, private_key, password))
                record("accounts.handler_key_created", actor=user, target=user)
            return private_key
        except IntegrityError:  # a second login of the same user created it first
            handler_key = HandlerKey.objects.get(user=user)
    opened = _open_with_password(handler_key, password)
    if opened is None:
        return _replace_key_pair(user, password, "password set without the old one")
    if (handler_key.kdf_memory_kib, handler_key.kdf_iterations) != (
        settings.KDF_MEMORY_KIB,
        settings.KDF_ITERATIONS,
    ):
        # The cost settings changed: seal again at the new cost now that the password is at hand.
        _save_sealed(handler_key, _seal_for_password(user.pk, opened, password), rotated=False)
    return opened


# The session's copy -----------------------------------------------------------------------------------------


def _put_in_session(request: HttpRequest, user: User, private_key: bytes) -> None:
    session_key = crypto.new_data_key()
    sealed = crypto.seal(session_key, private_key, context=_session_context(user.pk))
    request.session[SESSION_KEY] = _encode(sealed)
    vars(request)[_PENDING] = _encode(session_key)


def unlock(request: HttpRequest, user: User, password: str) -> None:
    """After a successful password login: make the user's private key usable for this session.

    Creates the key pair on the first login. The caller must hand the response to `apply_cookie`.
    """
    _put_in_session(request, user, _private_key_from_password(user, password))


def forget(request: HttpRequest) -> None:
    """At logout: drop the session's copy and have `apply_cookie` delete the browser's half."""
    request.session.pop(SESSION_KEY, None)
    vars(request)[_PENDING] = _DELETE


def apply_cookie(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """Set or delete KEY_COOKIE on `response` as `unlock` or `forget` asked; otherwise change nothing."""
    pending = vars(request).get(_PENDING)
    if pending is _DELETE:
        response.delete_cookie(KEY_COOKIE, path="/", samesite="Strict")
    elif isinstance(pending, str):
        response.set_cookie(
            KEY_COOKIE,
            pending,
            max_age=settings.SESSION_COOKIE_AGE,
            path="/",
            secure=settings.SESSION_COOKIE_SECURE or request.is_secure(),
            httponly=True,
            samesite="Strict",
        )
    return response


def session_has_key(request: HttpRequest) -> bool:
    """Whether this session holds a sealed private key (whether or not the browser sent its half).

    With SameSite=Strict the browser leaves the cookie off the first request after following a link from
    another site (an e-mail notification): a view that finds `private_key` None while this is True can
    show a link to the same page, which the browser then follows with the cookie.
    """
    return SESSION_KEY in request.session


def private_key(request: HttpRequest) -> bytes | None:
    """The logged-in user's private key, from the session's sealed copy and the browser's cookie.

    None when either half is missing or does not fit, when a staff member has not passed the second
    factor, or when the key was replaced since this session unlocked it: the user logs in again.
    """
    user = request.user
    if not user.is_authenticated:
        return None
    sealed = _decode(str(request.session.get(SESSION_KEY, "")))
    pending = vars(request).get(_PENDING)
    share = _decode(pending if isinstance(pending, str) else request.COOKIES.get(KEY_COOKIE, ""))
    if not sealed or not share or len(share) != crypto.KEY_BYTES:
        return None
    if not twofactor.is_verified(request) and user.is_staff_member:
        return None
    try:
        key = crypto.open_sealed(share, sealed, context=_session_context(user.pk))
    except crypto.DecryptionError:
        return None
    current = HandlerKey.objects.filter(user=user).values_list("public_key", flat=True).first()
    if current is None or bytes(current) != crypto.public_key_of(key):
        return None
    return key


def change_password(request: HttpRequest, user: User, old_password: str, new_password: str) -> None:
    """Seal the user's private key under the new password; call in the transaction that saves it.

    The key comes from this session if it is unlocked, else from the old password; if neither opens it
    (the password had been set without the old one), the next login replaces the key pair.
    """
    handler_key = HandlerKey.objects.select_for_update().filter(user=user).first()
    if handler_key is None:
        return
    key = private_key(request) or _open_with_password(handler_key, old_password)
    if key is None or crypto.public_key_of(key) != bytes(handler_key.public_key):
        return
    _save_sealed(handler_key, _seal_for_password(user.pk, key, new_password), rotated=False)


def public_keys_for(users: Iterable[User | int]) -> dict[int, bytes]:
    """User id -> public key, for those of `users` (users or ids) who have logged in at least once."""
    ids = [user if isinstance(user, int) else user.pk for user in users]
    rows = HandlerKey.objects.filter(user_id__in=ids).values_list("user_id", "public_key")
    return {user_id: bytes(public_key) for user_id, public_key in rows}


# Organisation recovery keys ---------------------------------------------------------------------------------

RECOVERY_PREFIX = "ZVRK1"
_RECOVERY_CHECK = b"zorgveilig recovery key v1"
_CHECKSUM_BYTES = 4


def recovery_public_key(organisation: Organisation | int) -> bytes | None:
    organisation_id = organisation if isinstance(organisation, int) else organisation.pk
    row = (
        OrganisationRecoveryKey.objects.filter(organisation_id=organisation_id)
        .values_list("public_key", flat=True)
        .first()
    )
    return bytes(row) if row is not None else None


def fingerprint(public_key: bytes) -> str:
    """Short hex fingerprint of a public key, grouped for reading aloud: 'a1b2 c3d4 e5f6 0718'."""
    digest = hashlib.sha256(b"zorgveilig key fingerprint\x00" + public_key).hexdigest()[:16]
    return " ".join(digest[i : i + 4] for i in range(0, 16, 4))


def _checksum(private_key: bytes) -> bytes:
    return hashlib.sha256(_RECOVERY_CHECK + private_key).digest()[:_CHECKSUM_BYTES]


def format_recovery_private_key(private_key: bytes) -> str:
    """The private key as `ZVRK1-` and base32 in groups of four, ending in a 32-bit checksum."""
    text = base64.b32encode(private_key + _checksum(private_key)).decode("ascii").rstrip("=")
    return "-".join([RECOVERY_PREFIX, *(text[i : i + 4] for i in range(0, len(text), 4))])


def parse_recovery_private_key(typed: str) -> bytes:
    """The private key from its printed form (any case and spacing); ValueError when mistyped."""
    compact = re.sub(r"[\s\-]+", "", typed).upper()
    if not compact.startswith(RECOVERY_PREFIX):
        raise ValueError(f"a recovery key starts with {RECOVERY_PREFIX}")
    body = compact.removeprefix(RECOVERY_PREFIX)
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
    except binascii.Error:
        raise ValueError("a recovery key holds only the letters A-Z and digits 2-7") from None
    private_key, check = raw[: crypto.KEY_BYTES], raw[crypto.KEY_BYTES :]
    if len(private_key) != crypto.KEY_BYTES or check != _checksum(private_key):
        raise ValueError("this recovery key is mistyped: its checksum does not match")
    return private_key


class RecoveryKeyExists(Exception):
    """The organisation has a recovery key already; replacing it needs to be asked for."""


def create_recovery_key(organisation: Organisation, *, replace: bool = False) -> tuple[str, str]:
    """Make the organisation's recovery key pair and store the public half.

    Returns (printable private key, fingerprint). The private key is not stored anywhere: whoever calls
    this shows it once and forgets it.
    """
    private_key, public_key = crypto.generate_keypair()
    key_fingerprint = fingerprint(public_key)
    with transaction.atomic():
        existing = OrganisationRecoveryKey.objects.select_for_update().filter(organisation=organisation)
        replaced = existing.exists()
        if replaced:
            if not replace:
                raise RecoveryKeyExists(organisation.slug)
            existing.delete()
        OrganisationRecoveryKey.objects.create(
            organisation=organisation, public_key=public_key, fingerprint=key_fingerprint
        )
        record(
            "accounts.recovery_key_created",
            target=organisation,
            organisation=organisation,
            details={"fingerprint": key_fingerprint, "replaced": replaced},
        )
    return format_recovery_private_key(private_key), key_fingerprint
