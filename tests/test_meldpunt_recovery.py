"""After a forgotten password: the recovery key gives the handler access to the organisation's reports again."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from accounts import keys
from accounts.models import Organisation
from accounts.roles import Role
from audit.models import Event
from meldpunt import actions, cases, sealing
from meldpunt.models import ReportKey
from tests.conftest import PERSONA_PASSWORD, MakeMember
from tests.meldpunt_helpers import NARRATIVE, cleaned_report_data, route_everything_to

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "een-nieuw-wachtwoord-9931"


@pytest.fixture
def setting(organisation: Organisation, make_member: MakeMember) -> dict[str, Any]:
    route_everything_to(organisation)
    printed, _fingerprint = keys.create_recovery_key(organisation)
    handler = make_member(
        Role.CASE_HANDLER, organisation, username="vergeetachtig", password=PERSONA_PASSWORD
    )
    keys._private_key_from_password(handler, PERSONA_PASSWORD)  # first login: the key pair
    report, _code = actions.submit_report(cleaned_report_data())
    # The password is forgotten; an administrator sets a new one, and the next login replaces the key pair.
    handler.set_password(NEW_PASSWORD)
    handler.save()
    new_private = keys._private_key_from_password(handler, NEW_PASSWORD)
    return {"printed": printed, "handler": handler, "report": report, "private": new_private}


def _run(organisation: Organisation, username: str, typed: str) -> str:
    out = io.StringIO()
    call_command(
        "recover_access",
        organisation.slug,
        username,
        stdin=io.StringIO(typed + "\n"),
        stdout=out,
        stderr=io.StringIO(),
    )
    return out.getvalue()


def test_recovery_key_gives_access_again(setting: dict[str, Any], organisation: Organisation) -> None:
    handler, report = setting["handler"], setting["report"]
    with pytest.raises(cases.NoKey):
        cases.report_key_for(handler, setting["private"], report)

    output = _run(organisation, handler.username, setting["printed"])

    assert "can read 1 more report" in output
    key = cases.report_key_for(handler, setting["private"], report)
    assert sealing.open_report(key, report).narrative == NARRATIVE
    assert ReportKey.objects.filter(report=report, kind="handler", user=handler).count() == 1
    event = Event.objects.get(action="meldpunt.access_recovered")
    assert event.details == {"already_readable": 0, "rewrapped": 1, "without_recovery_copy": 0}
    # Again: nothing more to do.
    assert "can read 0 more report(s)" in _run(organisation, handler.username, setting["printed"])


def test_mistyped_or_foreign_recovery_key_is_refused(
    setting: dict[str, Any], organisation: Organisation, other_organisation: Organisation
) -> None:
    mistyped = setting["printed"][:-2] + ("AA" if not setting["printed"].endswith("AA") else "BB")
    with pytest.raises(CommandError, match="mistyped"):
        _run(organisation, setting["handler"].username, mistyped)
    foreign, _fingerprint = keys.create_recovery_key(other_organisation)
    with pytest.raises(CommandError, match="not the recovery key of"):
        _run(organisation, setting["handler"].username, foreign)
    with pytest.raises(CommandError, match="no user named"):
        _run(organisation, "nobody-here", setting["printed"])
    assert not Event.objects.filter(action="meldpunt.access_recovered").exists()
