"""`zorgveilig load_demo` and `zorgveilig demo_code`: documented demo accounts, only in demo mode."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pyotp
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from accounts import demo
from accounts.models import Membership, Organisation, TOTPDevice, User
from accounts.roles import Role
from audit.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_mode(settings: Any) -> None:
    settings.DEMO_MODE = True


def load() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_load_demo_is_refused_outside_demo_mode(settings: Any) -> None:
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="ZORGVEILIG_DEMO=1"):
        call_command("load_demo", stdout=StringIO())
    assert not User.objects.exists()


def test_load_demo_creates_three_organisations_and_one_account_per_role(demo_mode: None) -> None:
    output = load()
    assert "Demo data loaded" in output
    kinds = set(Organisation.objects.values_list("kind", flat=True))
    assert kinds == {
        Organisation.Kind.PROFESSIONAL_ASSOCIATION,
        Organisation.Kind.HOSPITAL,
        Organisation.Kind.NGO,
    }
    assert all(name.startswith("Demo ") for name in Organisation.objects.values_list("name", flat=True))
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == set(Role.values)
    for role in Role:
        username = f"demo-{role.value.replace('_', '-')}"
        user = User.objects.get(username=username)
        assert Membership.objects.filter(user=user, role=role).exists()
        assert user.password.startswith("argon2")
        assert user.check_password(demo.DEMO_PASSWORD)
        device = TOTPDevice.objects.get(user=user)
        assert device.confirmed
        assert device.secret == demo.DEMO_TOTP_SECRET


def test_load_demo_twice_changes_nothing(demo_mode: None) -> None:
    load()
    counts = (User.objects.count(), Organisation.objects.count(), Membership.objects.count())
    events = Event.objects.count()
    output = load()
    assert (User.objects.count(), Organisation.objects.count(), Membership.objects.count()) == counts
    assert Event.objects.count() == events
    assert "0 of 9 created or updated" in output


def test_load_demo_restores_a_changed_demo_account(demo_mode: None) -> None:
    load()
    analyst = User.objects.get(username="demo-analyst")
    analyst.set_password("something else entirely")
    analyst.save()
    Membership.objects.filter(user=analyst).update(role=Role.VIEWER)
    load()
    analyst.refresh_from_db()
    assert analyst.check_password(demo.DEMO_PASSWORD)
    assert Membership.objects.get(user=analyst).role == Role.ANALYST


def test_demo_code_prints_the_current_code(demo_mode: None) -> None:
    load()
    out = StringIO()
    call_command("demo_code", "demo-admin", stdout=out)
    assert out.getvalue().strip() == pyotp.TOTP(demo.DEMO_TOTP_SECRET).now()


def test_demo_code_is_refused_outside_demo_mode(demo_mode: None, settings: Any) -> None:
    load()
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="ZORGVEILIG_DEMO=1"):
        call_command("demo_code", "demo-admin", stdout=StringIO())


def test_demo_code_is_refused_for_accounts_that_are_not_demo_accounts(demo_mode: None) -> None:
    User.objects.create_user("real-person")
    with pytest.raises(CommandError, match="not a demo account"):
        call_command("demo_code", "real-person", stdout=StringIO())


def test_demo_admin_logs_in_with_the_documented_password_and_code(demo_mode: None) -> None:
    load()
    client = Client()
    login = client.post(reverse("accounts:login"), {"username": "demo-admin", "password": demo.DEMO_PASSWORD})
    assert login.status_code == 302
    code = StringIO()
    call_command("demo_code", "demo-admin", stdout=code)
    verify = client.post(reverse("accounts:two_factor_verify"), {"code": code.getvalue().strip()})
    assert verify.status_code == 302
    page = client.get(reverse("accounts:staff_home")).content.decode()
    assert "Demo Beroepsvereniging Artsen" in page
    assert "Demo Ziekenhuis Zuiderhaven" in page


def test_commands_explain_themselves_in_help(capsys: Any) -> None:
    for command, needles in [
        ("load_demo", ["ZORGVEILIG_DEMO=1", demo.DEMO_PASSWORD, demo.DEMO_TOTP_SECRET, "demo-admin"]),
        ("demo_code", ["USERNAME", "demo-field-documenter", "ZORGVEILIG_DEMO=1"]),
    ]:
        with pytest.raises(SystemExit):
            call_command(command, "--help")
        # argparse prints the help to sys.stdout and wraps lines (also at hyphens): compare without spaces.
        text = "".join(capsys.readouterr().out.split())
        for needle in needles:
            assert needle.replace(" ", "") in text, (command, needle)


@pytest.mark.django_db(transaction=True)
def test_load_demo_imports_links_and_builds_the_dashboards_data(
    demo_mode: None, settings: Any, tmp_path: Any
) -> None:
    from insights import analytics_db
    from registry.models import Incident
    from sources.models import Release

    settings.DEMO_DATASETS = "fixtures"
    settings.ANALYTICS_DIR = tmp_path / "analytics"
    output = load()

    assert "Demo datasets" in output and "5 files imported" in output
    assert sorted(Release.objects.values_list("product__source__slug", flat=True)) == [
        "acled",
        "awsd",
        "insecurity-insight",
        "shcc",
        "who-ssa",
    ]
    incidents = Incident.objects.filter(status=Incident.Status.ACTIVE).count()
    assert incidents > 0
    counted = (
        analytics_db.connection().execute("SELECT count(*) FROM facts WHERE unit = 'incident'").fetchone()
    )
    assert counted == (incidents,)
    # A second run imports nothing more: the demo never adds to data that is there.
    assert "Demo datasets" not in load()
    assert Release.objects.count() == 5
