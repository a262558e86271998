"""API tokens: made on the staff page with the key unlocked, shown once, stored as a hash and a sealed key,
revoked at once; refused when unknown, revoked, expired, of an inactive user or of a replaced key pair."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import api_tokens, keys
from accounts.models import ApiToken, ThrottleFailure, User
from accounts.roles import Role
from accounts.twofactor import VERIFIED_SESSION_KEY
from api.auth import FAILURE_SCOPE
from audit.models import Event
from tests.conftest import PERSONA_PASSWORD, login_verified
from tests.test_api_helpers import call, database_text, handler_with_token, token_row

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]


@pytest.fixture
def handler(make_member: Any) -> User:
    return make_member(Role.CASE_HANDLER, username="carla", password=PERSONA_PASSWORD)


@pytest.fixture
def staff(handler: User) -> Client:
    """Carla logged in with her password (so her key is unlocked) and past the second factor."""
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": "carla", "password": PERSONA_PASSWORD})
    assert response.status_code == 302
    session = client.session
    session[VERIFIED_SESSION_KEY] = True
    session.save()
    return client


def create(client: Client, name: str = "Rapportage-script", days: str = "90") -> Any:
    return client.post(reverse("accounts:api_token_create"), {"name": name, "expires_in_days": days})


def created_token(response: Any) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('id="api-token" translate="no">') + len('id="api-token" translate="no">')
    return html[start : html.index("<", start)]


# Making a token on the staff page ----------------------------------------------------------------------------


def test_token_is_shown_once_and_stored_only_as_hash_and_sealed_key(staff: Client, handler: User) -> None:
    page = staff.get(reverse("accounts:api_tokens"))
    assert page.status_code == 200
    assert 'name="expires_in_days"' in page.content.decode()
    assert 'value="90"' in page.content.decode()

    response = create(staff)
    token = created_token(response)
    assert token.startswith("zv_")
    assert len(token) >= 3 + 43  # 256 bits, url-safe base64
    assert "no-store" in response["Cache-Control"]

    row = ApiToken.objects.get()
    assert row.user == handler
    assert row.name == "Rapportage-script"
    assert (
        row.lookup_hash == hashlib.sha256(b"zorgveilig api token lookup v1\x00" + token.encode()).hexdigest()
    )
    assert row.prefix == token[:9]
    assert timedelta(days=89, hours=23) < row.expires_at - timezone.now() <= timedelta(days=90)
    assert row.revoked_at is None and row.last_used_at is None

    stored = database_text()
    assert token.encode() not in stored
    assert token[3:].encode() not in stored
    assert token[9:30].encode() not in stored

    listing = staff.get(reverse("accounts:api_tokens")).content.decode()
    assert token not in listing
    assert row.prefix in listing
    assert "Rapportage-script" in listing


def test_created_token_opens_the_cases_api(staff: Client) -> None:
    token = created_token(create(staff))
    response = call("get", "/cases", token)
    assert response.status_code == 200
    assert token_row(token).last_used_at is not None


def test_creation_is_audited_without_the_name(staff: Client, handler: User) -> None:
    create(staff, name="Geheim projectnaam")
    event = Event.objects.get(action="accounts.api_token_created")
    row = ApiToken.objects.get()
    assert event.actor_id == handler.pk
    assert event.details == {"token_id": row.pk, "days": 90}
    assert "Geheim" not in str(event.details)


def test_lifetime_is_checked(staff: Client) -> None:
    for days in ["0", "366", "many"]:
        response = create(staff, days=days)
        assert response.status_code == 400
        assert "expires_in_days" in response.context["form"].errors
    assert create(staff, name="").status_code == 400
    created_token(create(staff, days="365"))
    assert ApiToken.objects.count() == 1


def test_without_an_unlocked_key_no_token_is_made(client: Client, handler: User) -> None:
    login_verified(client, handler)  # logged in without a password: no key in this session
    page = client.get(reverse("accounts:api_tokens")).content.decode()
    assert 'name="expires_in_days"' not in page
    assert "Log out and log in again" in page
    response = create(client)
    assert response.status_code == 302
    assert not ApiToken.objects.exists()
    assert "not unlocked" in client.get(response["Location"]).content.decode()


def logged_in(make_member: Any, role: Role, username: str) -> tuple[User, Client]:
    user = make_member(role, username=username, password=PERSONA_PASSWORD)
    client = Client()
    client.post(reverse("accounts:login"), {"username": username, "password": PERSONA_PASSWORD})
    session = client.session
    session[VERIFIED_SESSION_KEY] = True
    session.save()
    return user, client


def test_viewers_and_profession_editors_get_no_tokens(make_member: Any) -> None:
    for role, username in [(Role.VIEWER, "vera"), (Role.PROFESSION_EDITOR, "pim")]:
        user, client = logged_in(make_member, role, username)
        assert client.get(reverse("accounts:api_tokens")).status_code == 403
        assert create(client).status_code == 403
        assert "API tokens" not in client.get(reverse("accounts:staff_home")).content.decode()
        private_key = keys._private_key_from_password(user, PERSONA_PASSWORD)
        with pytest.raises(ValidationError, match="field documenters and analysts"):
            api_tokens.create_token(user, private_key, name="x")
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("role", [Role.FIELD_DOCUMENTER, Role.ANALYST])
def test_documenters_and_analysts_get_tokens_for_their_part_of_the_api(make_member: Any, role: Role) -> None:
    """Their token opens field reports (and the other registry routers), not the cases API."""
    _user, client = logged_in(make_member, role, "dora")
    assert "API tokens" in client.get(reverse("accounts:staff_home")).content.decode()
    page = client.get(reverse("accounts:api_tokens")).content.decode()
    assert "field reports, evidence metadata, facilities and investigations" in page
    assert "write to reporters" not in page
    token = created_token(create(client, name="Veldapp"))
    assert call("get", "/field-reports", token).status_code == 200
    refused = call("get", "/cases", token)
    assert refused.status_code == 403
    assert "does not handle cases" in refused.json()["detail"]


# Revoking ---------------------------------------------------------------------------------------------------


def test_revoked_token_is_refused_at_once(staff: Client, handler: User) -> None:
    token = created_token(create(staff))
    assert call("get", "/cases", token).status_code == 200
    row = token_row(token)
    response = staff.post(reverse("accounts:api_token_revoke", kwargs={"token_id": row.pk}))
    assert response.status_code == 302
    assert "is revoked" in staff.get(response["Location"]).content.decode()
    refused = call("get", "/cases", token)
    assert refused.status_code == 401
    assert refused.json()["code"] == "revoked"
    assert "revoked" in refused.json()["detail"]
    event = Event.objects.get(action="accounts.api_token_revoked")
    assert event.actor_id == handler.pk
    assert event.details == {"token_id": row.pk, "user_id": handler.pk, "by_owner": True}


def test_someone_elses_token_cannot_be_revoked(staff: Client, make_member: Any) -> None:
    _other, token, _key = handler_with_token(make_member, Role.CASE_HANDLER)
    row = token_row(token)
    response = staff.post(reverse("accounts:api_token_revoke", kwargs={"token_id": row.pk}))
    assert response.status_code == 404
    assert token_row(token).revoked_at is None


# Refused tokens ---------------------------------------------------------------------------------------------


def test_expired_token_is_refused(make_member: Any) -> None:
    _user, token, _key = handler_with_token(make_member, Role.CASE_HANDLER)
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = call("get", "/cases", token)
    assert response.status_code == 401
    assert response.json()["code"] == "expired"


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Bearer zv_" + "A" * 43, "unknown"),
        ("Bearer not-a-token", "malformed"),
    ],
)
def test_unknown_and_malformed_tokens_are_refused(db: None, header: str, code: str) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/cases", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["code"] == code
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_request_without_a_token_is_told_how_to_send_one(db: None) -> None:
    response = call("get", "/cases")
    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["detail"]
    assert response["WWW-Authenticate"] == "Bearer"


def test_token_of_inactive_user_is_refused(make_member: Any) -> None:
    user, token, _key = handler_with_token(make_member, Role.CASE_HANDLER)
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = call("get", "/cases", token)
    assert response.status_code == 401
    assert response.json()["code"] == "inactive"


def test_token_stops_when_the_key_pair_is_replaced(staff: Client, handler: User) -> None:
    token = created_token(create(staff))
    # What a login does after an administrator set the password without the old one.
    keys._replace_key_pair(handler, PERSONA_PASSWORD, "test")
    response = call("get", "/cases", token)
    assert response.status_code == 401
    assert response.json()["code"] == "key_replaced"
    assert "create a new token" in response.json()["detail"]


def test_tampered_sealed_key_is_refused(make_member: Any) -> None:
    _user, token, _key = handler_with_token(make_member, Role.CASE_HANDLER)
    row = token_row(token)
    sealed = bytearray(bytes(row.sealed_private_key))
    sealed[-1] ^= 1
    ApiToken.objects.filter(pk=row.pk).update(sealed_private_key=bytes(sealed))
    assert call("get", "/cases", token).status_code == 401


def test_failed_tokens_are_throttled_per_network(settings: Any, make_member: Any) -> None:
    settings.LOGIN_CLIENT_FAILURE_LIMIT = 3
    _user, token, _key = handler_with_token(make_member, Role.CASE_HANDLER)
    for _attempt in range(3):
        assert call("get", "/cases", "zv_wrong").status_code == 401
    refused = call("get", "/cases", token)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many wrong API tokens" in refused.json()["detail"]
    assert ThrottleFailure.objects.filter(scope=FAILURE_SCOPE).count() == 3
    other_network = Client(REMOTE_ADDR="198.51.100.7").get(
        "/api/v1/cases", headers={"Authorization": f"Bearer {token}"}
    )
    assert other_network.status_code == 200


# The command line -------------------------------------------------------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command("api_token", *args, stdout=out)
    return out.getvalue()


def test_cli_lists_and_revokes_tokens(make_member: Any) -> None:
    user, token, _key = handler_with_token(make_member, Role.CASE_HANDLER)
    row = token_row(token)
    listing = run("list")
    assert row.prefix in listing
    assert user.username in listing
    assert token not in listing
    assert "Revoked 1 token(s)" in run("revoke", str(row.pk))
    assert call("get", "/cases", token).status_code == 401
    assert "No active tokens" in run("list")
    assert "revoked" in run("list", "--all")
    event = Event.objects.get(action="accounts.api_token_revoked")
    assert event.actor_id is None
    with pytest.raises(CommandError):
        run("revoke", "999999")
    with pytest.raises(CommandError):
        run("revoke")


def test_cli_creates_a_token_with_the_users_password(
    monkeypatch: pytest.MonkeyPatch, handler: User, staff: Client
) -> None:
    monkeypatch.setattr("getpass.getpass", lambda prompt="": PERSONA_PASSWORD)
    output = run("create", "--user", "carla", "--name", "Nachtelijke export", "--days", "30")
    token = next(word for word in output.split() if word.startswith("zv_"))
    assert call("get", "/cases", token).status_code == 200
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "wrong-password")
    with pytest.raises(CommandError, match="password is wrong"):
        run("create", "--user", "carla", "--name", "x")
