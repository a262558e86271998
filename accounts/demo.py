"""The documented demo organisations and accounts (`zorgveilig load_demo`), for reviewers and `make run`.

Every demo account has the password DEMO_PASSWORD and an authenticator app with the secret DEMO_TOTP_SECRET:
add that key to an authenticator app, or print the current code with `zorgveilig demo_code demo-admin`.
Only ever loaded with ZORGVEILIG_DEMO=1: these credentials are public.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyotp
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Organisation, TOTPDevice, User
from accounts.roles import Role
from audit.chain import record

DEMO_PASSWORD = "zorgveilig-demo"  # noqa: S105  (public on purpose, refused outside demo mode)
# Base32, 160 bits, readable: "ZORG VEIL IGDE MOTO TPZO RGVE ILIG DEMO".
DEMO_TOTP_SECRET = "ZORGVEILIGDEMOTOTPZORGVEILIGDEMO"  # noqa: S105


@dataclass(frozen=True)
class DemoOrganisation:
    slug: str
    name: str
    kind: Organisation.Kind


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    # (organisation slug, role)
    memberships: tuple[tuple[str, Role], ...]


ASSOCIATION = "demo-beroepsvereniging-artsen"
HOSPITAL = "demo-ziekenhuis-zuiderhaven"
NGO = "demo-health-care-watch"

DEMO_ORGANISATIONS = (
    DemoOrganisation(
        ASSOCIATION, "Demo Beroepsvereniging Artsen", Organisation.Kind.PROFESSIONAL_ASSOCIATION
    ),
    DemoOrganisation(HOSPITAL, "Demo Ziekenhuis Zuiderhaven", Organisation.Kind.HOSPITAL),
    DemoOrganisation(NGO, "Demo Health Care Watch", Organisation.Kind.NGO),
)

DEMO_USERS = (
    DemoUser(
        "demo-admin",
        "Demo",
        "Beheerder",
        ((ASSOCIATION, Role.ADMIN), (HOSPITAL, Role.ADMIN), (NGO, Role.ADMIN)),
    ),
    DemoUser("demo-case-handler", "Demo", "Behandelaar", ((ASSOCIATION, Role.CASE_HANDLER),)),
    DemoUser("demo-profession-editor", "Demo", "Redacteur", ((ASSOCIATION, Role.PROFESSION_EDITOR),)),
    DemoUser("demo-analyst", "Demo", "Analyst", ((NGO, Role.ANALYST),)),
    DemoUser("demo-field-documenter", "Demo", "Field Documenter", ((NGO, Role.FIELD_DOCUMENTER),)),
    DemoUser("demo-viewer", "Demo", "Kijker", ((HOSPITAL, Role.VIEWER),)),
)
DEMO_USERNAMES = frozenset(user.username for user in DEMO_USERS)


class NotDemoMode(Exception):
    """Demo data or demo codes were asked for while ZORGVEILIG_DEMO is not set."""


def require_demo_mode() -> None:
    if not settings.DEMO_MODE:
        raise NotDemoMode(
            "demo mode is off: the demo accounts have a public password and 2FA secret, so they exist only "
            "when ZORGVEILIG_DEMO=1 is set (for example: ZORGVEILIG_DEMO=1 zorgveilig load_demo)"
        )


def load_organisation(demo: DemoOrganisation) -> bool:
    """Create or update one demo organisation; True when something changed."""
    with transaction.atomic():
        organisation, created = Organisation.objects.get_or_create(
            slug=demo.slug, defaults={"name": demo.name, "kind": demo.kind}
        )
        changed = created or (organisation.name, organisation.kind) != (demo.name, demo.kind)
        if changed:
            organisation.name, organisation.kind = demo.name, demo.kind
            organisation.save()
            record(
                "accounts.demo_organisation_loaded",
                target=organisation,
                organisation=organisation,
                details={"created": created},
            )
    return changed


def load_user(demo: DemoUser) -> bool:
    """Create or update one demo account with its memberships and a confirmed authenticator app."""
    changed_fields: list[str] = []
    with transaction.atomic():
        user, created = User.objects.get_or_create(
            username=demo.username, defaults={"first_name": demo.first_name, "last_name": demo.last_name}
        )
        if (user.first_name, user.last_name) != (demo.first_name, demo.last_name):
            user.first_name, user.last_name = demo.first_name, demo.last_name
            changed_fields.append("name")
        # Checking first keeps a rerun from rehashing (argon2 is slow on purpose) and counting as a change.
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            changed_fields.append("password")
        if changed_fields:
            user.save()
        for slug, role in demo.memberships:
            organisation = Organisation.objects.get(slug=slug)
            membership, made = Membership.objects.get_or_create(
                user=user, organisation=organisation, defaults={"role": role}
            )
            if made or membership.role != role:
                membership.role = role
                membership.save()
                changed_fields.append(f"membership:{slug}")
        device, made = TOTPDevice.objects.get_or_create(
            user=user,
            defaults={"secret": DEMO_TOTP_SECRET, "confirmed": True, "confirmed_at": timezone.now()},
        )
        if made or device.secret != DEMO_TOTP_SECRET or not device.confirmed:
            device.secret, device.confirmed = DEMO_TOTP_SECRET, True
            device.confirmed_at = device.confirmed_at or timezone.now()
            device.last_used_step = None
            device.save()
            changed_fields.append("two_factor")
        if created or changed_fields:
            record(
                "accounts.demo_account_loaded",
                target=user,
                details={"created": created, "fields": ",".join(sorted(set(changed_fields)))},
            )
    return created or bool(changed_fields)


def load_demo(on_step: Callable[[str, bool], None] | None = None) -> int:
    """Load every demo organisation and account; returns how many were created or changed.

    `on_step(label, changed)` is called after each item, for progress display.
    """
    require_demo_mode()
    changes = 0
    for organisation in DEMO_ORGANISATIONS:
        changed = load_organisation(organisation)
        changes += changed
        if on_step is not None:
            on_step(organisation.name, changed)
    for user in DEMO_USERS:
        changed = load_user(user)
        changes += changed
        if on_step is not None:
            on_step(user.username, changed)
    return changes


def current_code(username: str) -> tuple[str, int]:
    """The current code of a demo account's authenticator app and the seconds it stays valid."""
    require_demo_mode()
    if username not in DEMO_USERNAMES:
        raise LookupError(
            f"{username!r} is not a demo account; demo accounts: {', '.join(sorted(DEMO_USERNAMES))}"
        )
    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
    if device is None:
        raise LookupError(f"{username!r} has no authenticator app yet: run `zorgveilig load_demo` first")
    totp = pyotp.TOTP(device.secret)
    now = timezone.now().timestamp()
    return totp.at(now), int(totp.interval - now % totp.interval)
