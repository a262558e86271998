from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role


class User(AbstractUser):
    """A staff account. Reporters on the meldpunt never have one: they follow up with a receipt code."""

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def is_staff_member(self) -> bool:
        """Staff of any organisation, or of the platform: they must use two-factor authentication."""
        return self.is_staff or self.is_superuser or self.memberships.exists()


class Organisation(models.Model):
    class Kind(models.TextChoices):
        PROFESSIONAL_ASSOCIATION = "professional_association", _("Professional association")
        HOSPITAL = "hospital", _("Hospital or care provider")
        NGO = "ngo", _("Non-governmental organisation")
        OTHER = "other", _("Other organisation")

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("organisation")
    )
    role = models.CharField(_("role"), max_length=40, choices=Role.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["organisation__name", "user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_per_organisation"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="membership_role_is_known"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.get_role_display()})"


class ThrottleFailure(models.Model):
    """One failed attempt at something guarded by accounts.throttle (a login, a 2FA code, a receipt code).

    Only a keyed hash of what was tried against is kept (an account name, an address, a user id), never the
    value itself: the table says "this key failed at this time", nothing someone could read names or
    addresses out of.
    """

    scope = models.CharField(_("scope"), max_length=40)
    key_hash = models.CharField(_("key hash"), max_length=64)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("throttled failure")
        verbose_name_plural = _("throttled failures")
        indexes = [
            models.Index(fields=["scope", "key_hash", "created_at"]),
            models.Index(fields=["scope", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key_hash[:12]} {self.created_at:%Y-%m-%d %H:%M:%S}"


class TOTPDevice(models.Model):
    """A user's authenticator app. Unconfirmed until the user has typed one code from it."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="totp_device", verbose_name=_("user")
    )
    # Base32, as authenticator apps expect it. It has to be readable to compute codes, so it cannot be
    # hashed; access to the database is access to the second factor, as with any TOTP server.
    secret = models.CharField(_("secret"), max_length=64)
    confirmed = models.BooleanField(_("confirmed"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    # The 30-second time step of the last accepted code: a code for this step or an earlier one is refused,
    # so a code seen over someone's shoulder cannot be used a second time.
    last_used_step = models.BigIntegerField(_("last used time step"), null=True, blank=True)

    class Meta:
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")

    def __str__(self) -> str:
        return str(self.user)


class BackupCode(models.Model):
    """A single-use code for when the authenticator app is lost. Stored as a keyed hash only."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="backup_codes", verbose_name=_("user")
    )
    code_hash = models.CharField(_("code hash"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("backup code")
        verbose_name_plural = _("backup codes")
        constraints = [
            models.UniqueConstraint(fields=["user", "code_hash"], name="backup_code_unique_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({_('used') if self.used_at else _('unused')})"


class HandlerKey(models.Model):
    """A staff member's X25519 key pair: report keys are wrapped for its public half.

    The private half is stored only sealed under a key derived from the user's password (Argon2id with
    `salt` and the cost it was sealed with), so the database alone never opens it. See accounts/keys.py and
    docs/threat-model.md.
    """

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="handler_key", verbose_name=_("user")
    )
    public_key = models.BinaryField(_("public key"))
    sealed_private_key = models.BinaryField(_("sealed private key"))
    salt = models.BinaryField(_("salt"))
    # The Argon2id cost used for sealed_private_key: the settings may change later, this key must still open.
    kdf_memory_kib = models.PositiveIntegerField(_("key derivation memory (KiB)"))
    kdf_iterations = models.PositiveIntegerField(_("key derivation iterations"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    rotated_at = models.DateTimeField(_("rotated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("handler key")
        verbose_name_plural = _("handler keys")

    def __str__(self) -> str:
        return str(self.user)


class OrganisationRecoveryKey(models.Model):
    """The public half of an organisation's recovery key; its private half is kept offline by an admin.

    Every report key is also wrapped for this key, so an administrator holding the private half can give a
    case handler access again after a forgotten password. Made by `zorgveilig recovery_key create`.
    """

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="recovery_key", verbose_name=_("organisation")
    )
    public_key = models.BinaryField(_("public key"))
    # The first bytes of SHA-256 of the public key, printed with the private key so the admin can check
    # which paper belongs to which organisation and key.
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation recovery key")
        verbose_name_plural = _("organisation recovery keys")

    def __str__(self) -> str:
        return f"{self.organisation} ({self.fingerprint})"


class ApiToken(models.Model):
    """A case handler's token for the API (accounts/api_tokens.py), shown to them once and stored only as:

    - `lookup_hash`, a SHA-256 of the token, to find the row;
    - `sealed_private_key`, the handler's private key sealed under a key derived from the token (HKDF with
      `salt`), bound to this row and user, so the API can unwrap report keys as the web session does;
    - `public_key`, the handler's public key when the token was made: when the key pair has been replaced
      since (a password set without the old one), the token is refused with a clear message.

    A copy of the database without the token opens nothing.
    """

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100)
    # The first characters of the token, so its owner can tell their tokens apart; never enough to use it.
    prefix = models.CharField(_("prefix"), max_length=16)
    lookup_hash = models.CharField(_("lookup hash"), max_length=64, unique=True)
    salt = models.BinaryField(_("salt"))
    sealed_private_key = models.BinaryField(_("sealed private key"), default=b"")
    public_key = models.BinaryField(_("public key"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
