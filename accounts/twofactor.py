"""Two-factor authentication with an authenticator app (TOTP) and single-use backup codes.

A session counts as two-factor verified once `mark_verified(request)` has put VERIFIED_SESSION_KEY in it;
accounts.middleware.TwoFactorMiddleware sends staff whose session is not verified to enrolment or
verification. Tests that need a logged-in staff member may set the flag themselves:

    client.force_login(user)
    session = client.session
    session[VERIFIED_SESSION_KEY] = True
    session.save()

(tests/conftest.py has `login_verified(client, user)` doing exactly that.)
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import secrets
from datetime import datetime
from enum import StrEnum
from typing import Any

import pyotp
import segno
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import BackupCode, TOTPDevice, User
from audit.chain import record

VERIFIED_SESSION_KEY = "two_factor_verified"
ISSUER = "ZorgVeilig"
BACKUP_CODE_COUNT = 10
# Codes from the step before and after the current one are accepted too: phone clocks drift.
VALID_WINDOW = 1
_BACKUP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
_BACKUP_LENGTH = 10


class Method(StrEnum):
    TOTP = "totp"
    BACKUP_CODE = "backup_code"


def is_verified(request: HttpRequest) -> bool:
    return bool(request.session.get(VERIFIED_SESSION_KEY))


def mark_verified(request: HttpRequest) -> None:
    """Mark the session two-factor verified, under a new session key (the old one may have been seen)."""
    request.session.cycle_key()
    request.session[VERIFIED_SESSION_KEY] = True


def has_confirmed_device(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user: User) -> TOTPDevice:
    """The user's not yet confirmed device, created with a fresh secret on first use.

    Raises ValueError when the user already has a confirmed device: enrolling again would silently replace
    a working second factor (an administrator removes the old one first).
    """
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, defaults={"secret": pyotp.random_base32(), "confirmed": False}
    )
    if device.confirmed:
        raise ValueError("this user already has a confirmed authenticator app")
    return device


def provisioning_uri(device: TOTPDevice) -> str:
    return pyotp.TOTP(device.secret).provisioning_uri(name=device.user.get_username(), issuer_name=ISSUER)


def qr_code_svg(device: TOTPDevice) -> bytes:
    buffer = io.BytesIO()
    segno.make(provisioning_uri(device), error="m").save(
        buffer, kind="svg", scale=5, border=4, dark="#000", light="#fff", xmldecl=False, title=ISSUER
    )
    return buffer.getvalue()


def grouped_secret(secret: str) -> str:
    """ABCD EFGH ...: easier to type into an authenticator app by hand."""
    return " ".join(secret[index : index + 4] for index in range(0, len(secret), 4))


def _normalise(code: str) -> str:
    return re.sub(r"[\s-]", "", code).lower()


def _looks_like_totp(code: str) -> bool:
    return len(code) == 6 and code.isdigit()


def _accept_totp(device: TOTPDevice, code: str, now: datetime | None) -> bool:
    """Accept `code` for a time step near now that is later than the last one used, and remember that step."""
    totp = pyotp.TOTP(device.secret)
    current = totp.timecode(now or timezone.now())
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if not hmac.compare_digest(totp.generate_otp(step), code):
            continue
        # A conditional update, so two requests racing with the same code cannot both succeed.
        not_used_yet = Q(last_used_step__isnull=True) | Q(last_used_step__lt=step)
        return TOTPDevice.objects.filter(not_used_yet, pk=device.pk).update(last_used_step=step) == 1
    return False


def backup_code_hash(user: Any, code: str) -> str:
    # The codes are random with 49 bits of entropy, so a keyed hash is enough and lets us look them up.
    message = f"{user.pk}\x00{_normalise(code)}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def new_backup_codes(user: User) -> list[str]:
    """Replace the user's backup codes with BACKUP_CODE_COUNT new ones; the plain codes exist only here."""
    codes = []
    for _ in range(BACKUP_CODE_COUNT):
        raw = "".join(secrets.choice(_BACKUP_ALPHABET) for _ in range(_BACKUP_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    with transaction.atomic():
        BackupCode.objects.filter(user=user).delete()
        BackupCode.objects.bulk_create(
            BackupCode(user=user, code_hash=backup_code_hash(user, c)) for c in codes
        )
    return codes


def confirm_device(device: TOTPDevice, code: str, *, now: datetime | None = None) -> list[str] | None:
    """Confirm a pending device with a code from the app; returns the new backup codes, or None if wrong."""
    code = _normalise(code)
    if device.confirmed or not _looks_like_totp(code) or not _accept_totp(device, code, now):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True, confirmed_at=timezone.now())
        codes = new_backup_codes(device.user)
        record("accounts.two_factor_enrolled", actor=device.user, target=device.user)
    return codes


def verify_code(user: User, code: str, *, now: datetime | None = None) -> Method | None:
    """Check a code from the authenticator app or a backup code; a backup code is used up by this."""
    code = _normalise(code)
    if _looks_like_totp(code):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is not None and _accept_totp(device, code, now):
            record("accounts.two_factor_verified", actor=user, target=user, details={"method": "totp"})
            return Method.TOTP
        return None
    if not code:
        return None
    with transaction.atomic():
        used = BackupCode.objects.filter(
            user=user, code_hash=backup_code_hash(user, code), used_at__isnull=True
        ).update(used_at=timezone.now())
        if used != 1:
            return None
        remaining = BackupCode.objects.filter(user=user, used_at__isnull=True).count()
        record("accounts.backup_code_used", actor=user, target=user, details={"remaining": remaining})
    return Method.BACKUP_CODE


def unused_backup_codes(user: Any) -> int:
    return BackupCode.objects.filter(user=user, used_at__isnull=True).count()
