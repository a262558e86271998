"""The documented demo organisations and accounts (`zorgveilig load_demo`), for reviewers and `make run`.

Every demo account has the password DEMO_PASSWORD and an authenticator app with the secret DEMO_TOTP_SECRET:
add that key to an authenticator app, or print the current code with `zorgveilig demo_code demo-admin`.
Only ever loaded with ZORGVEILIG_DEMO=1: these credentials are public.

So that the case queue is not empty, the demo association receives every report (a routing rule), its
handlers get their key pairs up front (normally made at the first login, from the password) and a handful
of made-up reports in different states are sent through the same actions as real ones (DEMO_REPORTS).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pyotp
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import keys
from accounts.models import HandlerKey, Membership, Organisation, TOTPDevice, User
from accounts.roles import Permission, Role, role_grants
from audit.chain import record
from audit.models import Event

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

    `on_step(label, changed)` is called after each item, for progress display. The routing rule, the
    handlers' key pairs and the demo reports follow; they are not counted (the reports are loaded once).
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
    load_routing()
    load_key_pairs()
    load_reports()
    load_overlay()
    return changes


# The action framework: a published overlay for huisartsen ---------------------------------------------------

DEMO_OVERLAY_PROFESSION = "huisarts"
DEMO_OVERLAY_CHANGES: tuple[dict[str, Any], ...] = (
    {
        "replace": {
            "step": "tell_employer",
            "field": "title",
            "text": {
                "nl": "Vertel het je praktijkhouder of werkgever",
                "en": "Tell your practice holder or employer",
            },
        }
    },
    {
        "add": {
            "id": "huisarts_practice_agreements",
            "urgency": "this_week",
            "order": 15,
            "title": {
                "nl": "[DEMO] Spreek in de praktijk af wie contact houdt met de patiënt",
                "en": "[DEMO] Agree in the practice who stays in touch with the patient",
            },
            "what": {
                "nl": "Bespreek met je praktijkhouder en collega's wie de patiënt voortaan te woord staat, aan de "
                "balie en aan de telefoon, en leg de afspraken vast.",
                "en": "Discuss with your practice holder and colleagues who deals with the patient from now on, at "
                "the desk and on the phone, and write the agreements down.",
            },
            "why": {
                "nl": "Zo sta je er niet alleen voor, en weet iedereen in de praktijk wat te doen als het opnieuw "
                "gebeurt.",
                "en": "Then you do not face it alone, and everyone in the practice knows what to do if it happens "
                "again.",
            },
            "basis": [
                {
                    "claim": {
                        "nl": "De werkgever moet beleid voeren om psychosociale arbeidsbelasting te voorkomen of te "
                        "beperken. Agressie en geweld horen daarbij (Arbowet art. 3 lid 2 en art. 1 lid 3 sub e).",
                        "en": "The employer must have a policy to prevent or limit psychosocial workload, which "
                        "includes aggression and violence (Working Conditions Act, Arbowet, art. 3(2) and art. "
                        "1(3)(e)).",
                    },
                    "source": "arbowet_agressie",
                }
            ],
            "when": {"perpetrator": ["patient", "relative"]},
        }
    },
)


def load_overlay() -> bool:
    """A small published overlay for huisartsen, maintained by the demo association, so the overlay editor
    has a version to compare with and roll back to; True when it was made now (never when the profession
    already has an overlay)."""
    from guidance import overlays
    from guidance.models import Overlay

    if Overlay.objects.filter(profession=DEMO_OVERLAY_PROFESSION).exists():
        return False
    editor = User.objects.get(username="demo-profession-editor")
    with transaction.atomic():
        overlay = overlays.create_overlay(
            editor, Organisation.objects.get(slug=ASSOCIATION), DEMO_OVERLAY_PROFESSION
        )
        for change in DEMO_OVERLAY_CHANGES:
            overlays.save_change(editor, overlay, change)
        overlays.publish(editor, overlay, "[DEMO] Voorbeeld van een beroepslaag voor huisartsen")
    return True


# The meldpunt: routing, key pairs and reports ---------------------------------------------------------------


def load_routing() -> bool:
    """Every report goes to the demo association (a fallback rule); True when the rule was made now."""
    from meldpunt.models import RoutingRule

    organisation = Organisation.objects.get(slug=ASSOCIATION)
    with transaction.atomic():
        rule, created = RoutingRule.objects.get_or_create(organisation=organisation, profession="", sector="")
        if created:
            record("meldpunt.demo_routing_loaded", target=rule, organisation=organisation)
    return created


def load_key_pairs() -> int:
    """Key pairs for the demo accounts that handle cases, as their first login would make them.

    Reports are wrapped only for handlers who have a key pair when the report comes in; without this the
    demo reports below could not be read by anyone. Returns how many were made.
    """
    made = 0
    for demo in DEMO_USERS:
        if not any(role_grants(role, Permission.HANDLE_CASES) for _slug, role in demo.memberships):
            continue
        user = User.objects.get(username=demo.username)
        if not HandlerKey.objects.filter(user=user).exists():
            # The same step as a first login: the private key sealed under the (public) demo password.
            keys._private_key_from_password(user, DEMO_PASSWORD)
            made += 1
    return made


@dataclass(frozen=True)
class DemoReport:
    """A made-up report and what a handler has done with it so far."""

    answers: dict[str, Any]
    received_days_ago: int = 0
    phone_intake: bool = False
    assign: bool = False
    statuses: tuple[str, ...] = ()
    # (from, text): "reporter" or "handler", in order.
    messages: tuple[tuple[str, str], ...] = ()
    note: str = ""
    # (kind, vpt_code, status)
    referral: tuple[str, str, str] | None = None
    outcome: str = ""


def _answers(**answers: Any) -> dict[str, Any]:
    """The report form's cleaned data with the defaults of an anonymous, receipt-only report."""
    return {
        "kinds": [],
        "channel": "in_person",
        "channel_platform": "",
        "place": "practice",
        "perpetrator": "patient",
        "perpetrator_in_care": "unknown",
        "occurred_day": None,
        "frequency": "once",
        "province": "",
        "consequences": [],
        "steps_taken": [],
        "name": "",
        "employer": "",
        "role": "",
        "contact_preference": "receipt_only",
        "email": "",
        "phone": "",
        **answers,
    }


DEMO_REPORTS = (
    DemoReport(
        _answers(
            kinds=["verbal_threat", "intimidation"],
            profession="huisarts",
            sector="general_practice",
            province="UT",
            frequency="once",
            narrative=(
                "[DEMO — verzonnen voorbeeld] Een patiënt werd boos aan de balie omdat er geen herhaalrecept "
                "klaarlag. Hij sloeg op de balie en riep dat hij 'wel terug zou komen' als het morgen weer "
                "niet goed was."
            ),
        ),
        received_days_ago=0,
    ),
    DemoReport(
        _answers(
            kinds=["physical_violence"],
            place="hospital",
            perpetrator="relative",
            profession="seh_arts",
            sector="hospital",
            province="ZH",
            consequences=["fear", "sick_leave"],
            narrative=(
                "[DEMO — verzonnen voorbeeld] Tijdens een drukke avonddienst op de SEH duwde de zoon van een "
                "patiënt mij tegen de muur omdat het te lang duurde. Beveiliging kwam er na een paar minuten bij."
            ),
            name="Demo Melder",
            employer="Demo Ziekenhuis",
            contact_preference="email",
            email="demo.melder@example.org",
        ),
        received_days_ago=8,
    ),
    DemoReport(
        _answers(
            kinds=["written_threat", "doxing"],
            channel="social_media",
            channel_platform="Voorbeeldnet (demo)",
            place="online",
            perpetrator="online_account",
            frequency="ongoing",
            profession="verpleegkundige",
            sector="elderly_care",
            consequences=["fear", "stopped_public_role"],
            narrative=(
                "[DEMO — verzonnen voorbeeld] Na een interview over de zorg in verpleeghuizen plaatst een "
                "anoniem account foto's van mijn huis en schrijft dat 'iemand eens langs moet gaan'."
            ),
        ),
        received_days_ago=3,
        assign=True,
        statuses=("in_triage",),
        messages=(
            (
                "handler",
                "Dank voor uw melding. Heeft u de berichten bewaard (schermafbeeldingen met datum)? Dan kunnen "
                "wij u helpen met een melding bij het platform.",
            ),
            ("reporter", "Ja, ik heb schermafbeeldingen van alle berichten. Hoe stuur ik die mee?"),
        ),
    ),
    DemoReport(
        _answers(
            kinds=["intimidation", "property_damage"],
            place="ambulance",
            perpetrator="citizen",
            profession="ambulance",
            sector="ambulance",
            province="NH",
            steps_taken=["police_complaint"],
            narrative=(
                "[DEMO — verzonnen voorbeeld] Omstanders blokkeerden de ambulance bij een inzet en trapten een "
                "spiegel kapot. Mijn collega en ik voelden ons bedreigd."
            ),
        ),
        received_days_ago=12,
        assign=True,
        statuses=("in_progress", "referred"),
        messages=(("handler", "Wij hebben contact gehad met de politie over uw aangifte."),),
        note="Demo-notitie: aangifte is gedaan, VPT-code is gevraagd. Over twee weken navragen.",
        referral=("police_aangifte", "asked", "done"),
    ),
    DemoReport(
        _answers(
            kinds=["stalking"],
            place="home_address",
            perpetrator="patient",
            perpetrator_in_care="no",
            frequency="repeated",
            profession="psychiater",
            sector="mental_health",
            narrative=(
                "[DEMO — verzonnen voorbeeld] Een oud-patiënt wacht sinds een maand geregeld bij mijn huis en "
                "stuurt brieven naar mijn privéadres."
            ),
        ),
        received_days_ago=6,
        statuses=("in_triage", "in_progress"),
        messages=(("handler", "Wij nemen uw melding in behandeling en bellen u niet zonder afspraak."),),
        note="Demo-notitie: werkgever is op de hoogte; advies over een contactverbod voorbereiden.",
    ),
    DemoReport(
        _answers(
            kinds=["discrimination"],
            perpetrator="visitor",
            profession="apotheker",
            sector="pharmacy",
            narrative=(
                "[DEMO — verzonnen voorbeeld] Een klant maakte aan de toonbank discriminerende opmerkingen "
                "over mijn afkomst en weigerde door mij geholpen te worden."
            ),
        ),
        received_days_ago=30,
        statuses=("in_triage",),
        messages=(
            ("handler", "Wij hebben u advies gestuurd over het huisregelbeleid van uw apotheek."),
            ("reporter", "Dank u wel, daar kan ik mee verder."),
        ),
        outcome="advice_given",
    ),
    DemoReport(
        _answers(
            kinds=["smear"],
            channel="review_site",
            channel_platform="Zorgrecensie (demo)",
            place="online",
            perpetrator="online_account",
            profession="jeugdarts",
            sector="youth_care",
            narrative=(
                "[DEMO — verzonnen voorbeeld, telefonisch aangenomen] De beller vertelt dat een ouder op een "
                "recensiesite valse beschuldigingen over haar schrijft, met haar volledige naam."
            ),
        ),
        received_days_ago=1,
        phone_intake=True,
    ),
)

DEMO_REPORTS_LOADED = "meldpunt.demo_reports_loaded"


def load_reports() -> int:
    """Send the demo reports and play out what the demo case handler did with them; only once.

    The marker is an audit event: after the first load, reports may be closed, erased or deleted in the demo
    and must not come back. All in one transaction, so an interrupted load leaves no half set behind to be
    doubled by the next. Returns how many reports were made.
    """
    organisation = Organisation.objects.get(slug=ASSOCIATION)
    if Event.objects.filter(action=DEMO_REPORTS_LOADED, organisation_id=organisation.pk).exists():
        return 0
    with transaction.atomic():
        _send_reports(organisation)
        record(
            DEMO_REPORTS_LOADED,
            target=organisation,
            organisation=organisation,
            details={"reports": len(DEMO_REPORTS)},
        )
    return len(DEMO_REPORTS)


def _send_reports(organisation: Organisation) -> None:
    # Imported here: accounts does not depend on meldpunt, only this demo step does.
    from meldpunt import actions, cases, sealing, workdays
    from meldpunt.models import OrganisationPolicy, Party, Report

    handler = User.objects.get(username="demo-case-handler")
    policy = OrganisationPolicy.for_organisation(organisation)
    today = timezone.localdate()
    for demo in DEMO_REPORTS:
        received = timezone.now() - timedelta(days=demo.received_days_ago, hours=2)
        occurred = timezone.localtime(received).date() - timedelta(days=2)
        answers = {**demo.answers, "occurred_month": occurred.month, "occurred_year": occurred.year}
        report, code = actions.submit_report(
            answers,
            source=Report.Source.PHONE if demo.phone_intake else Report.Source.WEB,
            entered_by=handler if demo.phone_intake else None,
        )
        # As if it came in `received_days_ago` days ago, with the deadline that follows from that.
        Report.objects.filter(pk=report.pk).update(
            created_at=received,
            acknowledge_by=workdays.deadline_after(received, policy.acknowledge_within_working_days),
        )
        report.refresh_from_db()
        data_key = sealing.unlock_with_receipt(report, code)
        if data_key is None:  # cannot happen: the code was made for this report a moment ago
            raise RuntimeError(f"demo report {report.pk} does not open with its own receipt code")
        if demo.assign:
            cases.assign(report, handler, handler, expected_version=report.version, data_key=data_key)
        for status in demo.statuses:
            cases.change_status(report, handler, status, expected_version=report.version)
        for party, text in demo.messages:
            if party == "handler":
                cases.reply(report, handler, data_key, text)
            else:
                actions.add_message(report, data_key, text, author_kind=Party.REPORTER)
        if demo.note:
            cases.add_note(report, handler, data_key, demo.note)
        if demo.referral is not None:
            kind, vpt_code, status = demo.referral
            cases.add_referral(
                report,
                handler,
                data_key,
                kind=kind,
                referred_on=today - timedelta(days=2),
                status=status,
                vpt_code=vpt_code,
            )
        if demo.outcome:
            cases.close(report, handler, outcome=demo.outcome, expected_version=report.version)
        # Acknowledged the day it came in, rather than now.
        Report.objects.filter(pk=report.pk, acknowledged_at__isnull=False).update(
            acknowledged_at=received + timedelta(hours=3)
        )


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
