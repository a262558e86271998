"""Failed logins are throttled per account and per client, in the database, without keeping names or addresses."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.hashers import check_password
from django.urls import reverse
from django.utils import timezone

from accounts import throttle
from accounts.models import ThrottleFailure
from accounts.roles import Role
from accounts.throttle import Throttle
from audit.models import Event
from tests.conftest import PERSONA_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]


@pytest.fixture
def member(make_member: Any) -> Any:
    return make_member(Role.VIEWER, username="anna", password=PERSONA_PASSWORD)


def post_login(client: Any, username: str, password: str, address: str = "192.0.2.1") -> Any:
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def fail_times(client: Any, count: int, username: str = "anna", address: str = "192.0.2.1") -> None:
    for _ in range(count):
        response = post_login(client, username, "wrong password", address)
        assert "do not match" in response.content.decode()


def test_correct_password_logs_in_and_goes_on_to_the_second_factor(client: Any, member: Any) -> None:
    response = post_login(client, "anna", PERSONA_PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(member.pk)
    assert Event.objects.filter(action="accounts.login", object_id=str(member.pk)).exists()


def test_wrong_password_is_refused_with_a_clear_message(client: Any, member: Any) -> None:
    response = post_login(client, "anna", "wrong password")
    assert response.status_code == 200
    assert "do not match" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sixth_failed_login_is_refused_without_checking_password(
    client: Any, member: Any, settings: Any, monkeypatch: Any
) -> None:
    settings.LOGIN_FAILURE_LIMIT = 5
    fail_times(client, 5)
    checked: list[str] = []
    monkeypatch.setattr(
        "django.contrib.auth.backends.ModelBackend.authenticate",
        lambda *args, **kwargs: checked.append("checked"),
    )
    response = post_login(client, "anna", PERSONA_PASSWORD)
    assert checked == []
    assert "_auth_user_id" not in client.session
    page = response.content.decode()
    assert "Too many failed attempts" in page
    assert "15 minutes" in page


def test_correct_password_is_refused_too_while_the_account_is_throttled(
    client: Any, member: Any, settings: Any
) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    fail_times(client, 3)
    response = post_login(client, "anna", PERSONA_PASSWORD)
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert Event.objects.filter(action="accounts.login_throttled", object_id=str(member.pk)).exists()


def test_account_throttle_holds_across_client_addresses(client: Any, member: Any, settings: Any) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    for index in range(3):
        fail_times(client, 1, address=f"192.0.2.{index + 10}")
    response = post_login(client, "anna", PERSONA_PASSWORD, address="198.51.100.7")
    assert "Too many failed attempts" in response.content.decode()


def test_account_throttle_ignores_case_of_the_user_name(client: Any, member: Any, settings: Any) -> None:
    settings.LOGIN_FAILURE_LIMIT = 2
    fail_times(client, 1, username="ANNA")
    fail_times(client, 1, username=" Anna ")
    response = post_login(client, "anna", PERSONA_PASSWORD)
    assert "Too many failed attempts" in response.content.decode()


def test_client_that_tries_many_accounts_is_throttled(client: Any, member: Any, settings: Any) -> None:
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_CLIENT_FAILURE_LIMIT = 4
    for index in range(4):
        fail_times(client, 1, username=f"someone-{index}", address="203.0.113.9")
    response = post_login(client, "anna", PERSONA_PASSWORD, address="203.0.113.9")
    assert "Too many failed attempts" in response.content.decode()
    # Another client may still log in to the same account.
    assert post_login(client, "anna", PERSONA_PASSWORD, address="203.0.113.10").status_code == 302


def test_unknown_accounts_are_throttled_like_existing_ones(client: Any, db: None, settings: Any) -> None:
    settings.LOGIN_FAILURE_LIMIT = 2
    fail_times(client, 2, username="nobody")
    response = post_login(client, "nobody", "anything")
    assert "Too many failed attempts" in response.content.decode()


def test_failures_leave_the_window_and_logging_in_works_again(member: Any, rf: Any, settings: Any) -> None:
    from accounts.authentication import attempt_login

    settings.LOGIN_FAILURE_LIMIT = 2
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 600
    start = timezone.now()
    request = _request(rf)
    attempt_login(request, "anna", "wrong", now=start)
    attempt_login(request, "anna", "wrong", now=start + timedelta(seconds=60))
    refused = attempt_login(_request(rf), "anna", PERSONA_PASSWORD, now=start + timedelta(seconds=120))
    assert refused.refusal is not None
    # The first failure leaves the window 600 s after it was made: 480 s after this attempt.
    assert refused.refusal.retry_after == 480
    still = attempt_login(_request(rf), "anna", PERSONA_PASSWORD, now=start + timedelta(seconds=599))
    assert still.refusal is not None
    # ModelBackend compares against the real clock: only pass `now` to the throttle.
    later = attempt_login(_request(rf), "anna", PERSONA_PASSWORD, now=start + timedelta(seconds=601))
    assert later.succeeded


def _request(rf: Any) -> Any:
    from django.contrib.sessions.backends.db import SessionStore

    request = rf.post("/", REMOTE_ADDR="192.0.2.1")
    request.session = SessionStore()
    return request


def test_backdated_failures_no_longer_count(client: Any, member: Any, settings: Any) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    fail_times(client, 3)
    ThrottleFailure.objects.update(created_at=timezone.now() - timedelta(seconds=15 * 60 + 1))
    assert post_login(client, "anna", PERSONA_PASSWORD).status_code == 302


def test_successful_login_clears_the_accounts_failures(client: Any, member: Any, settings: Any) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    fail_times(client, 2)
    assert post_login(client, "anna", PERSONA_PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"))
    fail_times(client, 2)
    assert post_login(client, "anna", PERSONA_PASSWORD).status_code == 302


def test_throttle_stores_neither_user_names_nor_addresses(client: Any, member: Any) -> None:
    fail_times(client, 1, address="192.0.2.77")
    hashes = set(ThrottleFailure.objects.values_list("key_hash", flat=True))
    assert len(hashes) == 2
    for value in hashes:
        assert "anna" not in value
        assert "192.0.2.77" not in value
        assert len(value) == 64
    assert hashes == {
        throttle.key_hash(throttle.LOGIN_ACCOUNT_SCOPE, "anna"),
        throttle.key_hash(throttle.LOGIN_CLIENT_SCOPE, "192.0.2.77"),
    }


def test_failed_login_of_unknown_account_is_audited_without_the_name(client: Any, db: None) -> None:
    post_login(client, "typed-name-xyz", "secret-typed-xyz")
    event = Event.objects.get(action="accounts.login_failed")
    assert event.actor_id is None
    assert event.object_id == ""
    serialised = f"{event.details} {event.object_type} {event.actor_label}"
    assert "typed-name-xyz" not in serialised
    assert "secret-typed-xyz" not in serialised


def test_failed_login_of_existing_account_is_audited_against_that_account(client: Any, member: Any) -> None:
    post_login(client, "anna", "wrong password")
    event = Event.objects.get(action="accounts.login_failed")
    assert event.actor_id is None
    assert event.object_id == str(member.pk)
    assert "wrong password" not in str(event.details)


def test_old_failures_are_pruned_when_new_ones_are_recorded(db: None) -> None:
    guard = Throttle("test.scope", limit=3, window_seconds=60)
    now = timezone.now()
    guard.fail("a", now=now - timedelta(seconds=120))
    guard.fail("b", now=now - timedelta(seconds=30))
    guard.fail("c", now=now)
    assert ThrottleFailure.objects.filter(scope="test.scope").count() == 2


def test_generic_throttle_counts_per_scope_and_key(db: None) -> None:
    receipts = Throttle("meldpunt.receipt", limit=2, window_seconds=60)
    logins = Throttle("login.account", limit=2, window_seconds=60)
    receipts.fail("key")
    receipts.fail("key")
    assert receipts.refusal("key") is not None
    assert receipts.refusal("other key") is None
    assert logins.refusal("key") is None
    receipts.reset("key")
    assert receipts.refusal("key") is None


def test_logout_needs_a_post(client: Any, member: Any) -> None:
    client.force_login(member)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert Event.objects.filter(action="accounts.logout").count() == 1


def test_persona_password_is_hashed_with_argon2(member: Any) -> None:
    assert member.password.startswith("argon2")
    assert check_password(PERSONA_PASSWORD, member.password)
