"""Handler key pairs: made at the first login, split between session and cookie, kept across a password change;
and the organisation recovery key, printed once and stored only as its public half."""

from __future__ import annotations

import base64
from io import StringIO
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts import keys
from accounts.models import HandlerKey, OrganisationRecoveryKey, User
from accounts.roles import Role
from accounts.twofactor import VERIFIED_SESSION_KEY
from audit.models import Event
from tests.conftest import PERSONA_PASSWORD
from zorgveilig import crypto

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-password-9137"


@pytest.fixture
def handler(make_member: Any) -> User:
    return make_member(Role.CASE_HANDLER, username="carla", password=PERSONA_PASSWORD)


def log_in(client: Client, username: str = "carla", password: str = PERSONA_PASSWORD) -> Any:
    response = client.post(reverse("accounts:login"), {"username": username, "password": password})
    assert response.status_code == 302
    # Past the second factor, as tests/test_two_factor.py checks on its own.
    session = client.session
    session[VERIFIED_SESSION_KEY] = True
    session.save()
    return response


def request_from(client: Client, user: User) -> Any:
    """A request carrying the client's session and cookies, as a view would see it."""
    request = RequestFactory().get("/")
    request.session = client.session
    request.COOKIES = {name: morsel.value for name, morsel in client.cookies.items()}
    request.user = user
    return request


def forms_of(secret: bytes) -> list[bytes]:
    """The ways a key could show up if stored in the clear: raw, hex and base64 in both alphabets."""
    return [
        secret,
        secret.hex().encode(),
        base64.b64encode(secret).rstrip(b"="),
        base64.urlsafe_b64encode(secret).rstrip(b"="),
        base64.b32encode(secret).rstrip(b"="),
    ]


def raw_rows(table: str) -> bytes:
    """Every column of every row of `table`, as the database stores it (no model, no decoding)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (fixed names)
        rows = cursor.fetchall()
    return b"\n".join(
        bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
        for row in rows
        for value in row
    )


def test_first_login_creates_a_key_pair_and_sets_the_cookie(client: Client, handler: User) -> None:
    assert not HandlerKey.objects.filter(user=handler).exists()
    response = log_in(client)

    stored = HandlerKey.objects.get(user=handler)
    assert len(bytes(stored.public_key)) == 32
    assert stored.rotated_at is None
    assert Event.objects.filter(action="accounts.handler_key_created", object_id=str(handler.pk)).exists()
    cookie = response.cookies[keys.KEY_COOKIE]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/"
    assert keys.SESSION_KEY in client.session

    private = keys.private_key(request_from(client, handler))
    assert private is not None
    assert crypto.public_key_of(private) == bytes(stored.public_key)


def test_second_login_opens_the_same_key(client: Client, handler: User) -> None:
    log_in(client)
    first = keys.private_key(request_from(client, handler))
    other = Client()
    log_in(other)
    assert keys.private_key(request_from(other, handler)) == first
    assert HandlerKey.objects.filter(user=handler).count() == 1


def test_the_cookie_is_secure_behind_https(client: Client, handler: User, settings: Any) -> None:
    settings.SESSION_COOKIE_SECURE = True
    assert log_in(client).cookies[keys.KEY_COOKIE]["secure"]


def test_the_session_alone_does_not_yield_the_private_key(client: Client, handler: User) -> None:
    log_in(client)
    del client.cookies[keys.KEY_COOKIE]
    assert keys.session_has_key(request_from(client, handler))
    assert keys.private_key(request_from(client, handler)) is None


def test_a_cookie_from_another_session_does_not_fit(client: Client, handler: User) -> None:
    log_in(client)
    other = Client()
    log_in(other)
    client.cookies[keys.KEY_COOKIE] = other.cookies[keys.KEY_COOKIE].value
    assert keys.private_key(request_from(client, handler)) is None


def test_a_garbled_cookie_gives_no_key(client: Client, handler: User) -> None:
    log_in(client)
    client.cookies[keys.KEY_COOKIE] = "not base64 at all!"
    assert keys.private_key(request_from(client, handler)) is None


def test_no_private_key_before_the_second_factor(client: Client, handler: User) -> None:
    client.post(reverse("accounts:login"), {"username": "carla", "password": PERSONA_PASSWORD})
    assert keys.session_has_key(request_from(client, handler))
    assert keys.private_key(request_from(client, handler)) is None


def test_a_report_key_wrapped_for_the_handler_opens_in_their_session(client: Client, handler: User) -> None:
    log_in(client)
    data_key = crypto.new_data_key()
    public = keys.public_keys_for([handler])[handler.pk]
    wrapped = crypto.wrap_key(public, data_key, context="report:1:handler-key:1")
    private = keys.private_key(request_from(client, handler))
    assert private is not None
    assert crypto.unwrap_key(private, wrapped, context="report:1:handler-key:1") == data_key


def test_database_rows_never_hold_the_private_or_session_key(client: Client, handler: User) -> None:
    log_in(client)
    private = keys.private_key(request_from(client, handler))
    assert private is not None
    session_half = base64.urlsafe_b64decode(client.cookies[keys.KEY_COOKIE].value)
    stored = raw_rows(HandlerKey._meta.db_table) + raw_rows(Session._meta.db_table)
    # The session's row is there, with the sealed copy in it...
    assert Session.objects.filter(session_key=client.session.session_key).exists()
    for secret in (private, session_half):
        for form in forms_of(secret):
            assert form not in stored
    # ...and however the session is decoded, the key is not in it.
    decoded = str(client.session.load()).encode()
    for secret in (private, session_half):
        for form in forms_of(secret):
            assert form not in decoded


def test_password_change_keeps_the_key_and_the_old_password_no_longer_opens_it(
    client: Client, handler: User
) -> None:
    log_in(client)
    private = keys.private_key(request_from(client, handler))
    before = HandlerKey.objects.get(user=handler)

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PERSONA_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302

    after = HandlerKey.objects.get(user=handler)
    assert bytes(after.public_key) == bytes(before.public_key)
    assert bytes(after.sealed_private_key) != bytes(before.sealed_private_key)
    assert bytes(after.salt) != bytes(before.salt)
    # This session keeps working...
    handler.refresh_from_db()
    assert keys.private_key(request_from(client, handler)) == private
    # ...the old password opens nothing, the new one opens the same key.
    assert keys._open_with_password(after, PERSONA_PASSWORD) is None
    assert keys._open_with_password(after, NEW_PASSWORD) == private
    fresh = Client()
    log_in(fresh, password=NEW_PASSWORD)
    assert keys.private_key(request_from(fresh, handler)) == private
    assert HandlerKey.objects.get(user=handler).rotated_at is None


def test_password_change_without_the_cookie_uses_the_old_password(client: Client, handler: User) -> None:
    log_in(client)
    private = keys.private_key(request_from(client, handler))
    del client.cookies[keys.KEY_COOKIE]
    client.post(
        reverse("accounts:password_change"),
        {"old_password": PERSONA_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert keys._open_with_password(HandlerKey.objects.get(user=handler), NEW_PASSWORD) == private


def test_password_set_by_an_administrator_gives_a_new_key_pair_at_login(
    client: Client, handler: User
) -> None:
    log_in(client)
    old_public = bytes(HandlerKey.objects.get(user=handler).public_key)
    handler.set_password(NEW_PASSWORD)  # as the admin or `changepassword` would: the old one is not known
    handler.save()

    fresh = Client()
    log_in(fresh, password=NEW_PASSWORD)
    replaced = HandlerKey.objects.get(user=handler)
    assert bytes(replaced.public_key) != old_public
    assert replaced.rotated_at is not None
    assert Event.objects.filter(action="accounts.handler_key_replaced", object_id=str(handler.pk)).exists()
    private = keys.private_key(request_from(fresh, handler))
    assert private is not None
    assert crypto.public_key_of(private) == bytes(replaced.public_key)


def test_a_session_unlocked_before_the_key_was_replaced_gives_no_key(client: Client, handler: User) -> None:
    log_in(client)
    keys._replace_key_pair(handler, PERSONA_PASSWORD, "test")
    assert keys.private_key(request_from(client, handler)) is None


def test_a_changed_kdf_cost_is_applied_at_the_next_login(
    client: Client, handler: User, settings: Any
) -> None:
    log_in(client)
    private = keys.private_key(request_from(client, handler))
    assert HandlerKey.objects.get(user=handler).kdf_memory_kib == 1024
    settings.KDF_MEMORY_KIB = 2048
    fresh = Client()
    log_in(fresh)
    stored = HandlerKey.objects.get(user=handler)
    assert (stored.kdf_memory_kib, stored.kdf_iterations) == (2048, 1)
    assert keys.private_key(request_from(fresh, handler)) == private


def test_logout_deletes_the_cookie_and_the_session_copy(client: Client, handler: User) -> None:
    log_in(client)
    response = client.post(reverse("accounts:logout"))
    assert response.cookies[keys.KEY_COOKIE].value == ""
    assert response.cookies[keys.KEY_COOKIE]["max-age"] == 0
    assert keys.SESSION_KEY not in client.session


def test_public_keys_for_lists_only_users_with_a_key(client: Client, handler: User, make_member: Any) -> None:
    never_logged_in = make_member(Role.CASE_HANDLER)
    log_in(client)
    found = keys.public_keys_for([handler, never_logged_in.pk])
    assert set(found) == {handler.pk}
    assert found[handler.pk] == bytes(HandlerKey.objects.get(user=handler).public_key)


# Organisation recovery keys ---------------------------------------------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command("recovery_key", *args, stdout=out)
    return out.getvalue()


def printed_key(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip().startswith(keys.RECOVERY_PREFIX)]
    assert len(lines) == 1, output
    return lines[0]


def test_recovery_key_is_printed_once_and_only_the_public_half_is_stored(organisation: Any) -> None:
    assert keys.recovery_public_key(organisation) is None
    output = run("create", organisation.slug)
    text = printed_key(output)
    private = keys.parse_recovery_private_key(text)

    stored = OrganisationRecoveryKey.objects.get(organisation=organisation)
    assert keys.recovery_public_key(organisation) == crypto.public_key_of(private)
    assert stored.fingerprint in output
    everything = raw_rows(OrganisationRecoveryKey._meta.db_table) + raw_rows(Event._meta.db_table)
    for form in [*forms_of(private), text.encode()]:
        assert form not in everything
    assert Event.objects.filter(action="accounts.recovery_key_created").count() == 1

    # A report key wrapped for the organisation opens with the key on paper.
    data_key = crypto.new_data_key()
    wrapped = crypto.wrap_key(bytes(stored.public_key), data_key, context="report:1:recovery-key")
    assert crypto.unwrap_key(private, wrapped, context="report:1:recovery-key") == data_key

    # `show` gives the fingerprint, never the key.
    shown = run("show", organisation.slug)
    assert stored.fingerprint in shown
    assert keys.RECOVERY_PREFIX not in shown


def test_recovery_key_is_not_replaced_without_asking(organisation: Any) -> None:
    run("create", organisation.slug)
    first = keys.recovery_public_key(organisation)
    with pytest.raises(CommandError, match="--replace"):
        run("create", organisation.slug)
    assert keys.recovery_public_key(organisation) == first
    run("create", organisation.slug, "--replace")
    assert keys.recovery_public_key(organisation) != first
    assert OrganisationRecoveryKey.objects.count() == 1


def test_recovery_key_command_refuses_an_unknown_organisation(db: None) -> None:
    with pytest.raises(CommandError, match="no organisation"):
        run("create", "nobody")
    with pytest.raises(CommandError, match="no organisation"):
        run("show", "nobody")


def test_show_without_a_recovery_key_says_how_to_make_one(organisation: Any) -> None:
    with pytest.raises(CommandError, match="recovery_key create"):
        run("show", organisation.slug)


def test_printed_recovery_key_survives_retyping_and_catches_typos() -> None:
    private, _public = crypto.generate_keypair()
    text = keys.format_recovery_private_key(private)
    assert keys.parse_recovery_private_key(text) == private
    assert keys.parse_recovery_private_key(text.lower().replace("-", " ")) == private
    body = text.replace("-", "")
    position = len(keys.RECOVERY_PREFIX) + 10
    typo = body[:position] + ("A" if body[position] != "A" else "B") + body[position + 1 :]
    with pytest.raises(ValueError, match="checksum"):
        keys.parse_recovery_private_key(typo)
    with pytest.raises(ValueError):
        keys.parse_recovery_private_key("ZVRK1-1111")
    with pytest.raises(ValueError, match="starts with"):
        keys.parse_recovery_private_key(body[len(keys.RECOVERY_PREFIX) :])
