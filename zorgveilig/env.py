"""Small strict parsers for settings read from the environment.

Each parser names the variable and what is wrong with its value, so a mistyped deployment stops at start-up
with a message an operator can act on instead of running with a silently different configuration.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured


class SettingsError(ImproperlyConfigured):
    """A setting read from the environment has a value that cannot be used."""

    def __init__(self, variable: str, problem: str) -> None:
        self.variable = variable
        self.problem = problem
        super().__init__(f"{variable}: {problem}")


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def parse_bool(variable: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(variable, f"expected one of 1/0, true/false, yes/no, on/off, got {raw!r}")


def parse_hosts(variable: str, raw: str) -> list[str]:
    hosts = [part.strip() for part in raw.split(",")]
    if not raw.strip() or any(not host for host in hosts):
        raise SettingsError(
            variable, f"expected a comma-separated list of host names with no empty entries, got {raw!r}"
        )
    for host in hosts:
        if any(char.isspace() for char in host) or "/" in host:
            raise SettingsError(variable, f"{host!r} is not a host name (no scheme, path or spaces)")
    return hosts


MIN_SECRET_KEY_LENGTH = 50


def check_secret_key(variable: str, raw: str) -> str:
    if len(raw) < MIN_SECRET_KEY_LENGTH:
        raise SettingsError(
            variable, f"too short: {len(raw)} characters, at least {MIN_SECRET_KEY_LENGTH} are needed"
        )
    if len(set(raw)) < 5:
        raise SettingsError(variable, "too little variety: use a random value")
    return raw


@dataclass(frozen=True)
class Database:
    """The parts of DATABASE_URL that Django needs."""

    engine: str
    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""


def parse_database_url(variable: str, raw: str, base_dir: Path) -> Database:
    """Accept sqlite:///relative/path, sqlite:////absolute/path and postgres[ql]://user:pass@host:port/name."""
    url = urlsplit(raw.strip())
    if url.scheme == "sqlite":
        if url.netloc:
            raise SettingsError(
                variable,
                f"a SQLite URL has no host: use sqlite:///relative.db or sqlite:////abs.db, got {raw!r}",
            )
        path = unquote(url.path[1:]) if url.path.startswith("/") else unquote(url.path)
        if not path:
            raise SettingsError(variable, f"a SQLite URL needs a file path, got {raw!r}")
        file = Path(path)
        return Database(
            engine="django.db.backends.sqlite3", name=str(file if file.is_absolute() else base_dir / file)
        )
    if url.scheme in {"postgres", "postgresql"}:
        name = unquote(url.path.lstrip("/"))
        if not name or "/" in name:
            raise SettingsError(
                variable, f"a PostgreSQL URL needs a database name after the host, got {raw!r}"
            )
        try:
            port = url.port
        except ValueError:
            raise SettingsError(
                variable, f"the port is not a number between 0 and 65535 in {raw!r}"
            ) from None
        return Database(
            engine="django.db.backends.postgresql",
            name=name,
            user=unquote(url.username or ""),
            password=unquote(url.password or ""),
            host=url.hostname or "",
            port=str(port or ""),
        )
    scheme = url.scheme or "(none)"
    raise SettingsError(
        variable, f"unsupported scheme {scheme!r}: use sqlite:///path or postgres://user@host:port/name"
    )


def parse_directory(variable: str, raw: str, base_dir: Path) -> Path:
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = base_dir / path
    if path.exists() and not path.is_dir():
        raise SettingsError(variable, f"{path} exists but is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SettingsError(variable, f"cannot create directory {path}: {error.strerror}") from None
    if not os.access(path, os.W_OK):
        raise SettingsError(variable, f"directory {path} is not writable")
    return path


def secret_key_from_file(path: Path) -> str:
    """Read the key generated on first run, or generate it, readable by the owner only."""
    variable = f"SECRET_KEY (from {path})"
    if path.exists():
        try:
            key = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            raise SettingsError(variable, f"cannot read the key file: {error}") from None
        return check_secret_key(variable, key)
    # Several processes may start at once on a fresh data directory (the server, the worker, a command):
    # the key is written whole to a private file first and then linked into place, which fails if another
    # process got there first; that process's key is then read, so all of them use the same one.
    key = secrets.token_urlsafe(64)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(key + "\n")
            file.flush()
            os.fsync(file.fileno())
        os.link(draft, path)
    except FileExistsError:
        return secret_key_from_file(path)
    finally:
        draft.unlink(missing_ok=True)
    return key


def parse_site_url(variable: str, raw: str) -> str:
    """The public address of the site, used in emails: http(s)://host[:port][/path], without a trailing /."""
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(variable, f"expected an address like https://zorgveilig.example.nl, got {raw!r}")
    if parts.query or parts.fragment:
        raise SettingsError(variable, f"the address must not have a query or fragment, got {raw!r}")
    return raw.strip().rstrip("/")


def parse_tile_url(variable: str, raw: str) -> str:
    """A map tile address template such as https://tiles.example.org/{z}/{x}/{y}.png (Leaflet's form)."""
    value = raw.strip()
    parts = urlsplit(value.replace("{", "").replace("}", ""))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(
            variable, f"expected an address like https://tiles.example.org/{{z}}/{{x}}/{{y}}.png, got {raw!r}"
        )
    missing = [name for name in ("{z}", "{x}", "{y}") if name not in value]
    if missing:
        raise SettingsError(variable, f"the address must hold {', '.join(missing)}, got {raw!r}")
    return value


def tile_origin(url: str) -> str:
    """scheme://host[:port] of a tile address template, for the CSP (a {s} subdomain becomes *.)."""
    parts = urlsplit(url.replace("{s}.", "placeholder-subdomain."))
    host = parts.netloc.replace("placeholder-subdomain.", "*.")
    return f"{parts.scheme}://{host}"


def parse_email_address(variable: str, raw: str) -> str:
    value = raw.strip()
    name, _, address = value.rpartition("<")
    address = address.rstrip(">") if name or value.startswith("<") else value
    local, at, domain = address.partition("@")
    if not (local and at and "." in domain) or any(char.isspace() for char in address):
        raise SettingsError(variable, f"expected an email address such as meldpunt@example.nl, got {raw!r}")
    return value


class Environment:
    """Reads variables from a mapping (os.environ by default) through the parsers above."""

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self.values = os.environ if values is None else values

    def get(self, variable: str) -> str | None:
        value = self.values.get(variable)
        return value if value is not None and value != "" else None

    def bool(self, variable: str, default: bool) -> bool:
        raw = self.get(variable)
        return default if raw is None else parse_bool(variable, raw)

    def choice(self, variable: str, default: str, choices: tuple[str, ...]) -> str:
        raw = self.get(variable)
        if raw is None:
            return default
        value = raw.strip().lower()
        if value not in choices:
            raise SettingsError(variable, f"expected one of {', '.join(choices)}, got {raw!r}")
        return value

    def int(self, variable: str, default: int, minimum: int, maximum: int) -> int:
        raw = self.get(variable)
        if raw is None:
            return default
        try:
            value = int(raw.strip())
        except ValueError:
            raise SettingsError(variable, f"expected a whole number, got {raw!r}") from None
        if not minimum <= value <= maximum:
            raise SettingsError(variable, f"expected a number from {minimum} to {maximum}, got {value}")
        return value
