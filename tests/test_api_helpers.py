"""Shared by the tests/test_api_*.py files (no tests here): a handler with a key and a token, API calls,
and a search of every table for a string."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import connection
from django.test import Client
from django.utils import translation

from accounts import api_tokens
from accounts.models import ApiToken, Membership, Organisation, User
from meldpunt import actions
from meldpunt.models import Report
from tests.meldpunt_helpers import REMOTE_ADDR, cleaned_report_data, give_key_pair, route_everything_to

API = "/api/v1"


def use_media_in(settings: Any, tmp_path: Path) -> Path:
    """Store attachments under `tmp_path` for this test (call from a fixture); returns the folder."""
    location = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location},
        },
    }
    return location


def api_client() -> Client:
    """A machine calling the API: English messages (Dutch is the default), from the test network."""
    return Client(REMOTE_ADDR=REMOTE_ADDR, HTTP_ACCEPT_LANGUAGE="en")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def call(method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
    headers = bearer(token) if token else {}
    if method != "get" and "data" in kwargs and "content_type" not in kwargs:
        kwargs["content_type"] = "application/json"
    # The site's LocaleMiddleware activates Dutch for /api/ addresses and leaves it active in this thread;
    # keep the test's own language for what it reverses afterwards.
    with translation.override(translation.get_language()):
        return getattr(api_client(), method)(f"{API}{path}", headers=headers, **kwargs)


def handler_with_token(
    make_member: Any, role: str, organisation: Organisation | None = None
) -> tuple[User, str, bytes]:
    """A member with a key pair (as after a first login) and an API token: (user, token, private key)."""
    user = make_member(role, organisation)
    private_key = give_key_pair(user)
    _row, token = api_tokens.create_token(user, private_key, name="script")
    return user, token, private_key


def member_with_token(
    make_member: Any, role: str, organisation: Organisation | None = None
) -> tuple[User, str]:
    """A member with `role` and an API token: (user, token). A role that may not have tokens (a viewer, a
    profession editor: accounts.api_tokens.may_hold_tokens) gets one as a case handler first and the role
    afterwards, to test what an API does with a valid token of someone it does not serve."""
    user = make_member(role, organisation)
    if not api_tokens.may_hold_tokens(user):
        Membership.objects.filter(user=user).update(role="case_handler")
    _row, token = api_tokens.create_token(user, give_key_pair(user), name="script")
    Membership.objects.filter(user=user).update(role=role)
    return user, token


def report_for(organisation: Organisation, **overrides: Any) -> tuple[Report, str]:
    """A report routed to `organisation`, wrapped for its handlers with a key pair: (report, receipt code)."""
    if not organisation.routing_rules.exists():
        route_everything_to(organisation)
    return actions.submit_report(cleaned_report_data(**overrides))


def database_text() -> bytes:
    """Every value of every row of every table, as stored."""
    chunks: list[bytes] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (table names)
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        chunks.append(bytes(value))
                    elif value is not None:
                        chunks.append(str(value).encode())
    return b"\n".join(chunks)


def token_row(token: str) -> ApiToken:
    return ApiToken.objects.get(lookup_hash=api_tokens.lookup_hash(token))
