"""Shared personas: organisations, members with a role, and staff clients past the second factor.

def test_something(client, make_member, organisation):
    handler = make_member(Role.CASE_HANDLER)            # member of `organisation`
    login_verified(client, handler)                     # logged in, session two-factor verified
    ...
    other_client = verified_client(make_member(Role.ADMIN, other_organisation))
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from accounts.models import Membership, Organisation, TOTPDevice, User
from accounts.roles import Role
from accounts.twofactor import VERIFIED_SESSION_KEY

PERSONA_PASSWORD = "persona-password-for-tests"


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    # LocaleMiddleware activates the language of each request in the thread and never deactivates it, so
    # without this a test that opened an English page would leave the next test reversing English URLs.
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _plain_http(settings: Any) -> None:
    # Tests run with the production defaults (ZORGVEILIG_HTTPS on), and the test client speaks plain HTTP:
    # without this every request would be redirected to https.
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture(scope="session")
def _session_analytics_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("analytics")


@pytest.fixture(autouse=True)
def _analytics_dir(settings: Any, _session_analytics_dir: Path) -> None:
    # Every import writes the analytics mirror (insights.mirror); tests keep it out of the data directory.
    # A test of the mirror itself sets its own directory.
    settings.ANALYTICS_DIR = _session_analytics_dir


@pytest.fixture(autouse=True)
def _evidence_store(settings: Any, _session_analytics_dir: Path) -> None:
    # Evidence files and the key that seals them stay out of the data directory; a test of the store itself
    # sets its own folder (tests/test_evidence_helpers.py).
    settings.EVIDENCE_DIR = _session_analytics_dir.parent / "evidence-store"
    settings.EVIDENCE_KEY_FILE = _session_analytics_dir.parent / "evidence.key"


@pytest.fixture(autouse=True)
def _no_demo_datasets(settings: Any) -> None:
    # `load_demo` imports and links datasets for the dashboard (insights.demo); that is tested on its own.
    settings.DEMO_DATASETS = "none"


@pytest.fixture(autouse=True)
def _fast_kdf(request: pytest.FixtureRequest, settings: Any) -> None:
    # Argon2id at the production cost (64 MiB, 3 passes) takes a noticeable fraction of a second per login
    # or receipt code; tests use a cost far below what the settings accept. A test marked `slow_kdf` keeps the
    # configured cost.
    if request.node.get_closest_marker("slow_kdf") is None:
        settings.KDF_MEMORY_KIB = 1024
        settings.KDF_ITERATIONS = 1


@pytest.fixture
def organisation(db: None) -> Organisation:
    return Organisation.objects.create(
        name="Test Beroepsvereniging",
        slug="test-beroepsvereniging",
        kind=Organisation.Kind.PROFESSIONAL_ASSOCIATION,
    )


@pytest.fixture
def other_organisation(db: None) -> Organisation:
    return Organisation.objects.create(
        name="Test Ziekenhuis", slug="test-ziekenhuis", kind=Organisation.Kind.HOSPITAL
    )


MakeMember = Callable[..., User]


@pytest.fixture
def make_member(db: None, organisation: Organisation) -> MakeMember:
    """make_member(role, organisation=None, *, username=None, password=None) -> User.

    The user is a member of `organisation` (the fixture) unless another is given. Without `password` the
    account has an unusable password (fast: no argon2); pass PERSONA_PASSWORD to log in through the form.
    """
    counter = iter(range(1, 10_000))

    def make(
        role: Role | str,
        organisation_: Organisation | None = None,
        *,
        username: str | None = None,
        password: str | None = None,
    ) -> User:
        role = Role(role)
        username = username or f"{role.value.replace('_', '-')}-{next(counter)}"
        user = User(username=username, first_name=role.label.title(), last_name="Persona")
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save()
        Membership.objects.create(user=user, organisation=organisation_ or organisation, role=role)
        return user

    return make


def login_verified(client: Client, user: Any) -> Client:
    """Log `user` in on `client` with a two-factor verified session (see accounts.twofactor)."""
    client.force_login(user)
    session = client.session
    session[VERIFIED_SESSION_KEY] = True
    session.save()
    return client


def verified_client(user: Any) -> Client:
    """A new test client logged in as `user`, past the second factor."""
    return login_verified(Client(), user)


def give_device(user: Any, *, confirmed: bool = True) -> pyotp.TOTP:
    """Give `user` an authenticator app; returns a TOTP to compute its codes (`.now()`, `.at(time)`)."""
    secret = pyotp.random_base32()
    TOTPDevice.objects.update_or_create(user=user, defaults={"secret": secret, "confirmed": confirmed})
    return pyotp.TOTP(secret)


@pytest.fixture
def english_pages() -> Iterator[None]:
    """For tests that read English messages: the pages in English (Dutch is the default).

    Use with `pytestmark = pytest.mark.usefixtures("english_pages")`."""
    with translation.override("en"):
        yield


@pytest.fixture
def media_dir(settings: Any, tmp_path: Path) -> Path:
    """Uploaded files go to a directory of this test's own, returned."""
    media = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": media}},
    }
    return media


@pytest.fixture
def restore_signals() -> Iterator[None]:
    """db_worker installs its own SIGINT/SIGTERM handlers; give pytest its own back afterwards."""
    saved = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


def run_worker() -> None:
    """Run every queued task in the real database worker, in this process (use with restore_signals)."""
    call_command("db_worker", batch=True, interval=0, startup_delay=False, reload=False, verbosity=0)
