"""ZorgVeilig settings: one file, every deployment-specific value read from the environment.

Variables (see README, "Configuration"): DATABASE_URL, SECRET_KEY, ALLOWED_HOSTS, DEBUG, ZORGVEILIG_DATA_DIR,
ZORGVEILIG_DEMO, ZORGVEILIG_HTTPS, ZORGVEILIG_SQLITE_BUSY_TIMEOUT, ZORGVEILIG_SITE_URL, ZORGVEILIG_EMAIL_FROM,
ZORGVEILIG_SMTP_HOST, ZORGVEILIG_SMTP_PORT, ZORGVEILIG_SMTP_USER, ZORGVEILIG_SMTP_PASSWORD,
ZORGVEILIG_KDF_MEMORY_KIB, ZORGVEILIG_KDF_ITERATIONS, ZORGVEILIG_LOGIN_FAILURE_LIMIT,
ZORGVEILIG_REPORT_RATE_LIMIT, ZORGVEILIG_REPORT_GLOBAL_RATE_LIMIT, ZORGVEILIG_REMINDER_INTERVAL_MINUTES,
ZORGVEILIG_RETENTION_INTERVAL_MINUTES, ZORGVEILIG_PDF_RATE_LIMIT.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from zorgveilig.env import (
    Environment,
    check_secret_key,
    parse_database_url,
    parse_directory,
    parse_email_address,
    parse_hosts,
    parse_site_url,
    parse_tile_url,
    secret_key_from_file,
    tile_origin,
)

BASE_DIR = Path(__file__).resolve().parent.parent
env = Environment()

DATA_DIR = parse_directory("ZORGVEILIG_DATA_DIR", env.get("ZORGVEILIG_DATA_DIR") or "var", BASE_DIR)

DEBUG = env.bool("DEBUG", default=False)
# Demo mode allows the documented demo accounts (make run); never set it on a server with real reports.
DEMO_MODE = env.bool("ZORGVEILIG_DEMO", default=False)
# Behind TLS: secure cookies, HSTS and redirects. On by default except for local debugging and the demo.
HTTPS = env.bool("ZORGVEILIG_HTTPS", default=not (DEBUG or DEMO_MODE))

_secret = env.get("SECRET_KEY")
SECRET_KEY = (
    check_secret_key("SECRET_KEY", _secret) if _secret else secret_key_from_file(DATA_DIR / "secret_key")
)

_hosts = env.get("ALLOWED_HOSTS")
ALLOWED_HOSTS = parse_hosts("ALLOWED_HOSTS", _hosts) if _hosts else ["127.0.0.1", "localhost", "[::1]"]

_database = parse_database_url(
    "DATABASE_URL", env.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'zorgveilig.sqlite3'}", BASE_DIR
)
_busy_timeout = env.int("ZORGVEILIG_SQLITE_BUSY_TIMEOUT", default=20, minimum=1, maximum=600)
DATABASES: dict[str, dict[str, Any]]
if _database.engine.endswith("sqlite3"):
    DATABASES = {
        "default": {
            "ENGINE": _database.engine,
            "NAME": _database.name,
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so concurrent writers wait (busy timeout)
                # instead of failing half-way with "database is locked"; WAL lets readers go on.
                "transaction_mode": "IMMEDIATE",
                "timeout": _busy_timeout,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON; "
                    f"PRAGMA busy_timeout={_busy_timeout * 1000};"
                ),
            },
            "TEST": {"NAME": None},
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": _database.engine,
            "NAME": _database.name,
            "USER": _database.user,
            "PASSWORD": _database.password,
            "HOST": _database.host,
            "PORT": _database.port,
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "accountability",
    "accounts",
    "api",
    "audit",
    "evidence",
    "facilities",
    "guidance",
    "jobs",
    "insights",
    "linkage",
    "meldpunt",
    "registry",
    "sources",
    "zorgveilig",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks_db",
    # django-ninja's templates and static files: the API docs page then uses the bundled Swagger UI, not a CDN.
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "zorgveilig.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "zorgveilig.urls"
WSGI_APPLICATION = "zorgveilig.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "zorgveilig.context_processors.site",
            ],
        },
    },
]

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:staff_home"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Failed logins: after this many failures for one account (or one client) within the window, further
# attempts are refused until the window has passed.
LOGIN_FAILURE_LIMIT = env.int("ZORGVEILIG_LOGIN_FAILURE_LIMIT", default=5, minimum=1, maximum=1000)
LOGIN_CLIENT_FAILURE_LIMIT = 4 * LOGIN_FAILURE_LIMIT
LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60

# Cost of Argon2id when a key is derived from a password or a receipt code (zorgveilig/crypto.py). Higher is
# slower for an attacker with a stolen database and for every login; 64 MiB and 3 passes follow RFC 9106's
# second recommended option. Changing them after keys exist makes those keys underivable: set them once.
KDF_MEMORY_KIB = env.int("ZORGVEILIG_KDF_MEMORY_KIB", default=65536, minimum=8192, maximum=4194304)
KDF_ITERATIONS = env.int("ZORGVEILIG_KDF_ITERATIONS", default=3, minimum=1, maximum=100)
KDF_LANES = 4

# How often the scheduler in `zorgveilig serve` enqueues the acknowledgement reminders and the retention
# task (meldpunt/scheduler.py); without `serve`, run `zorgveilig meldpunt_housekeeping --enqueue` from cron.
MELDPUNT_REMINDER_INTERVAL_MINUTES = env.int(
    "ZORGVEILIG_REMINDER_INTERVAL_MINUTES", default=15, minimum=1, maximum=24 * 60
)
MELDPUNT_RETENTION_INTERVAL_MINUTES = env.int(
    "ZORGVEILIG_RETENTION_INTERVAL_MINUTES", default=24 * 60, minimum=5, maximum=7 * 24 * 60
)

# New reports per hour, from one network (/24 or /48) and from everyone together (meldpunt/intake_throttle.py).
MELDPUNT_REPORT_RATE_LIMIT = env.int("ZORGVEILIG_REPORT_RATE_LIMIT", default=10, minimum=1, maximum=1_000_000)
MELDPUNT_REPORT_GLOBAL_RATE_LIMIT = env.int(
    "ZORGVEILIG_REPORT_GLOBAL_RATE_LIMIT", default=1000, minimum=1, maximum=10_000_000
)
# Plans as PDF per hour from one network (guidance/pdf.py), counted in each server process's cache.
# Dataset files uploaded in the web UI wait in DATA_DIR/imports until the import task has read them.
SOURCES_IMPORT_MAX_MB = env.int("ZORGVEILIG_IMPORT_MAX_MB", default=512, minimum=1, maximum=100_000)
# The analytics mirror (insights.mirror): one Parquet file per release, queried with DuckDB.
ANALYTICS_DIR = parse_directory(
    "ZORGVEILIG_ANALYTICS_DIR", env.get("ZORGVEILIG_ANALYTICS_DIR") or str(DATA_DIR / "analytics"), BASE_DIR
)
# Record linkage (linkage app): Splink on DuckDB, or on Spark for data that outgrows one machine (docs/linkage.md);
# windows, thresholds and the review band are in linkage/linkage.yaml (or the file named here).
LINKAGE_BACKEND = env.choice("ZORGVEILIG_LINKAGE_BACKEND", default="duckdb", choices=("duckdb", "spark"))
LINKAGE_CONFIG = env.get("ZORGVEILIG_LINKAGE_CONFIG") or str(BASE_DIR / "linkage" / "linkage.yaml")
# The map (insights): an offline world of country outlines by default; a tile server's address template
# (https://host/{z}/{x}/{y}.png) adds its tiles under the outlines, with the attribution it requires.
# Datasets the demo imports (insights.demo): auto = the sample files beside the repository if present, else
# the project's own small fixture files; or samples, fixtures, none.
DEMO_DATASETS = env.choice(
    "ZORGVEILIG_DEMO_DATASETS", default="auto", choices=("auto", "samples", "fixtures", "none")
)
_tiles = env.get("ZORGVEILIG_MAP_TILE_URL")
MAP_TILE_URL = parse_tile_url("ZORGVEILIG_MAP_TILE_URL", _tiles) if _tiles else ""
MAP_TILE_ATTRIBUTION = env.get("ZORGVEILIG_MAP_TILE_ATTRIBUTION") or ""
# Evidence (evidence app): the largest file taken, and the master key that seals stored files and the
# organisations' signing keys (made on first use, mode 0600; keep it on another volume and back it up).
EVIDENCE_MAX_FILE_MB = env.int("ZORGVEILIG_EVIDENCE_MAX_MB", default=500, minimum=1, maximum=100_000)
# Unset: <data dir>/evidence.key and <data dir>/evidence/.
EVIDENCE_KEY_FILE = env.get("ZORGVEILIG_EVIDENCE_KEY_FILE") or None
EVIDENCE_DIR: str | None = None
# Incidents this close to a registered medical facility are linked to it (facilities.proximity).
FACILITY_PROXIMITY_METRES = env.int(
    "ZORGVEILIG_FACILITY_PROXIMITY_METRES", default=1000, minimum=1, maximum=100_000
)
# Public exports (insights) per hour from one network, counted in the cache; analysts are not counted.
INSIGHTS_EXPORT_RATE_LIMIT = env.int("ZORGVEILIG_EXPORT_RATE_LIMIT", default=60, minimum=1, maximum=1_000_000)
GUIDANCE_PDF_RATE_LIMIT = env.int("ZORGVEILIG_PDF_RATE_LIMIT", default=30, minimum=1, maximum=1_000_000)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No inline scripts or styles anywhere, and nothing from another origin: every asset is served by us.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, *([tile_origin(MAP_TILE_URL)] if MAP_TILE_URL else [])],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = HTTPS
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DATA_DIR / "media"},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Emails to staff (new reports, replies, deadlines) say only that something needs attention, with a link;
# never what a report says. Without an SMTP host they are written to the console (development, demo).
SITE_URL = parse_site_url("ZORGVEILIG_SITE_URL", env.get("ZORGVEILIG_SITE_URL") or "http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = parse_email_address(
    "ZORGVEILIG_EMAIL_FROM", env.get("ZORGVEILIG_EMAIL_FROM") or "ZorgVeilig <meldpunt@zorgveilig.invalid>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_SUBJECT_PREFIX = "[ZorgVeilig] "
_smtp_host = env.get("ZORGVEILIG_SMTP_HOST")
if _smtp_host:
    _smtp_port = env.int("ZORGVEILIG_SMTP_PORT", default=587, minimum=1, maximum=65535)
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _smtp_host,
                "port": _smtp_port,
                "username": env.get("ZORGVEILIG_SMTP_USER") or "",
                "password": env.get("ZORGVEILIG_SMTP_PASSWORD") or "",
                "use_tls": _smtp_port != 465,
                "use_ssl": _smtp_port == 465,
                "timeout": 20,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        # The development server logs every request line with the client address; anonymous reporters'
        # addresses must not end up in any log, so request lines are not logged at all.
        "django.server": {"handlers": [], "level": "ERROR", "propagate": False},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # WeasyPrint reports every font and stylesheet it uses at INFO level.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
