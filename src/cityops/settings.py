"""CityOps settings: one module, every value from the environment.

Nothing here is specific to one province. Production behaviour is the default whenever ``DEBUG`` is off:
the process refuses to start with the development secret, cookies are secure and HSTS is sent.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("CITYOPS_VAR_DIR", PROJECT_DIR / "var"))

DEVELOPMENT_SECRET_KEY = "cityops-development-secret-key-do-not-use-in-production"  # noqa: S105


def env_bool(name: str, default: bool = False) -> bool:
    """Read a yes/no switch; accepts 1/0, true/false, yes/no, on/off."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a yes/no value, got {raw!r}")


def env_int(name: str, default: int) -> int:
    """Read a whole number, failing loudly on anything else."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list, dropping blanks."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("CITYOPS_TESTING", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = DEVELOPMENT_SECRET_KEY
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY to a long random value, or DEBUG=1 for development."
        )
if not DEBUG and not TESTING and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured("Refusing to start with DEBUG off and the development SECRET_KEY.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # only for its vendored Swagger UI files: the API docs load nothing from a CDN
    "cityops.core",
    "cityops.datahub",
    "cityops.feedback",
    "cityops.directives",
    "cityops.schedule",
    "cityops.documents",
    "cityops.operations",
    "cityops.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "cityops.core.middleware.RequestContextMiddleware",
    "cityops.core.middleware.TwoFactorEnforcementMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cityops.urls"
ASGI_APPLICATION = "cityops.asgi.application"
WSGI_APPLICATION = "cityops.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "cityops.core.context_processors.navigation",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------------------
DEFAULT_SQLITE_PATH = VAR_DIR / "cityops.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE_PATH}")
DATABASES = {
    # Health checks: a connection kept between requests is tested before reuse, so a database restart costs
    # one reconnect instead of an error on the next request.
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0), conn_health_checks=True)
}
# PostgreSQL connection pool per process (psycopg_pool): without it every request opens a new connection.
# The server's threads share it (a thread waits up to 10 s for a free connection); each connection is checked
# as it is handed out, so a database restart costs a reconnect, not an error. Off in tests.
DB_POOL_SIZE = env_int("DB_POOL_SIZE", 0 if TESTING else 4)
if DB_POOL_SIZE > 0 and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django refuses persistent connections together with a pool
    # (the health checks set above make Django's pool check each connection as it hands it out)
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {"min_size": 1, "max_size": DB_POOL_SIZE, "timeout": 10}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and one writer work at once; the timeout rides out short write bursts.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Tests create many users; a fast hasher keeps the suite quick. Production always uses argon2.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:login"

AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("LOGIN_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/auth/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLED = env_bool("LOGIN_LOCKOUT_ENABLED", True)

OTP_TOTP_ISSUER = os.environ.get("OTP_ISSUER", "CityOps")

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Security -------------------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG and not TESTING:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies of ours stand in front of the app. The client address is read from
# X-Forwarded-For only when this is above 0, counting that many entries from the right (entries further left
# were written by the client and can be forged). Defaults to 1 behind a TLS proxy, else 0 (REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1 if env_bool("BEHIND_TLS_PROXY", False) else 0)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *env_list("MAP_TILE_ORIGINS", [])],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024


# --- Cache and rate limits -----------------------------------------------------------------------------
def cache_from_url(url: str) -> dict[str, Any]:
    """``CACHE_URL`` → a CACHES entry: db://table, redis://host:port/n, file:///dir, locmem://, dummy://."""
    parsed = urlparse(url)
    if parsed.scheme == "db":
        return {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": parsed.netloc or "cityops_cache"}
    if parsed.scheme in {"redis", "rediss"}:
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if parsed.scheme == "file":
        return {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": parsed.path}
    if parsed.scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": parsed.netloc or "cityops"}
    if parsed.scheme == "dummy":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    raise ImproperlyConfigured(f"CACHE_URL must be db://, redis://, file://, locmem:// or dummy://; got {url!r}")


# The cache holds the rate-limit counters, so it must be shared by every web process: the default is a table
# in the database (created by `cityops migrate`). Tests use memory.
CACHE_URL = os.environ.get("CACHE_URL", "locmem://" if TESTING else "db://cityops_cache")
CACHES = {"default": cache_from_url(CACHE_URL)}


def env_rate(name: str, default: str) -> tuple[int, int]:
    """Read a rate as "count/seconds" (e.g. "20/600"); "0/1" switches that limit off."""
    raw = os.environ.get(name) or default
    try:
        count, seconds = (int(part) for part in raw.split("/"))
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be count/seconds, e.g. 20/600; got {raw!r}") from exc
    if count < 0 or seconds <= 0:
        raise ImproperlyConfigured(f"{name} must be count/seconds with seconds above 0; got {raw!r}")
    return (count, seconds)


# Per client address. Sign-in also has django-axes' lockout per account (LOGIN_FAILURE_LIMIT).
RATE_LIMIT_ENABLED = env_bool("RATE_LIMIT_ENABLED", True)
RATE_LIMITS = {
    "login": env_rate("RATE_LIMIT_LOGIN", "30/600"),  # sign-in form posts
    "api_key": env_rate("RATE_LIMIT_API_KEY_FAILURES", "30/600"),  # wrong API keys presented
    "report": env_rate("RATE_LIMIT_REPORT", "20/600"),  # citizen report form posts
    "open311_post": env_rate("RATE_LIMIT_OPEN311_POST", "60/600"),  # Open311 POST requests
    "tracking": env_rate("RATE_LIMIT_TRACKING_MISSES", "30/600"),  # tracking-code lookups that find nothing
}

# --- i18n and time --------------------------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [Path(os.environ.get("CITYOPS_LOCALE_DIR") or BASE_DIR / "locale")]  # tests point it at a copy
LANGUAGE_COOKIE_NAME = "cityops_language"
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

# Working hours used for deadlines counted in hours (local time, morning and afternoon sessions).
WORKING_HOURS = env_list("WORKING_HOURS", ["07:30-11:30", "13:30-17:30"])

# --- Static and media files -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media-not-served/"  # files are served only through permission-checked views
WHITENOISE_USE_FINDERS = DEBUG or TESTING
if DEBUG or TESTING:
    # Development serves static files from the apps; an empty STATIC_ROOT keeps whitenoise from warning.
    try:
        STATIC_ROOT.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if (DEBUG or TESTING)
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
if os.environ.get("STORAGE_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["STORAGE_S3_BUCKET"],
            "endpoint_url": os.environ.get("STORAGE_S3_ENDPOINT") or None,
            "access_key": os.environ.get("STORAGE_S3_ACCESS_KEY"),
            "secret_key": os.environ.get("STORAGE_S3_SECRET_KEY"),
            "default_acl": "private",
            "querystring_auth": True,
        },
    }

ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 25 * 1024 * 1024)
# Office files and other zips: refuse archives that would expand beyond these (zip bombs).
ATTACHMENT_ZIP_MAX_ENTRIES = env_int("ATTACHMENT_ZIP_MAX_ENTRIES", 2_000)
ATTACHMENT_ZIP_MAX_UNCOMPRESSED_BYTES = env_int("ATTACHMENT_ZIP_MAX_UNCOMPRESSED_BYTES", 200 * 1024 * 1024)
ATTACHMENT_ZIP_MAX_RATIO = env_int("ATTACHMENT_ZIP_MAX_RATIO", 200)
# Dotted path of a callable(file) -> "clean" | "infected" | "error"; empty means files are not scanned.
ATTACHMENT_VIRUS_SCANNER = os.environ.get("ATTACHMENT_VIRUS_SCANNER", "")

# --- Email ----------------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_FILE_PATH = Path(os.environ.get("EMAIL_FILE_PATH", VAR_DIR / "mail"))  # for the file-based backend
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "CityOps <no-reply@localhost>")

# --- Background tasks -----------------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "TASKS_BACKEND",
            "django_tasks.backends.immediate.ImmediateBackend" if TESTING else "django_tasks_db.DatabaseBackend",
        )
    }
}

# A task still marked running after this long is taken to be abandoned by a dead worker and queued again
# (at once when that worker ran on the same host and its process is gone). Tasks run at least once.
TASKS_STALE_AFTER_SECONDS = env_int("TASKS_STALE_AFTER_SECONDS", 3600)

# --- MQTT -----------------------------------------------------------------------------------------------
MQTT_URL = os.environ.get("MQTT_URL", "mqtt://127.0.0.1:1883")
_mqtt = urlparse(MQTT_URL)
if _mqtt.scheme not in {"mqtt", "mqtts"}:
    raise ImproperlyConfigured(f"MQTT_URL must start with mqtt:// or mqtts://, got {MQTT_URL!r}")


# --- Data hub -------------------------------------------------------------------------------------------
# Scheduled HTTP pulls: addresses on loopback/private/link-local networks are refused unless this is on.
DATAHUB_PULL_ALLOW_PRIVATE = env_bool("DATAHUB_PULL_ALLOW_PRIVATE", False)
DATAHUB_PULL_MAX_BYTES = env_int("DATAHUB_PULL_MAX_BYTES", 20 * 1024 * 1024)
DATAHUB_PULL_TIMEOUT = env_int("DATAHUB_PULL_TIMEOUT", 20)  # seconds, for connecting and for each read
# A sensor with no observation for this long is flagged stale.
DATAHUB_STALE_MINUTES = env_int("DATAHUB_STALE_MINUTES", 60)


# --- Citizen feedback -----------------------------------------------------------------------------------
def env_bbox(name: str, default: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """Read "south,west,north,east" in degrees."""
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        south, west, north, east = (float(part) for part in raw.split(","))
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be four numbers: south,west,north,east; got {raw!r}") from exc
    if not (-90 <= south < north <= 90 and -180 <= west < east <= 180):
        raise ImproperlyConfigured(f"{name} is not a valid box: {raw!r}")
    return (south, west, north, east)


# The area citizen reports may come from. The default is the whole of Viet Nam (islands included); each
# deployment sets its own province's box.
FEEDBACK_JURISDICTION_BBOX = env_bbox("FEEDBACK_JURISDICTION_BBOX", (8.18, 102.14, 23.40, 117.84))
# Code of the organisation acting as the IOC desk that receives reports; empty means the root organisation.
FEEDBACK_DESK_ORGANIZATION = os.environ.get("FEEDBACK_DESK_ORGANIZATION", "")
# Flood control on intake: at most N reports per client address (web) or per API key (Open311) per window.
FEEDBACK_RATE_WINDOW_SECONDS = env_int("FEEDBACK_RATE_WINDOW_SECONDS", 600)
FEEDBACK_RATE_LIMIT_PER_ADDRESS = env_int("FEEDBACK_RATE_LIMIT_PER_ADDRESS", 10)
FEEDBACK_RATE_LIMIT_PER_KEY = env_int("FEEDBACK_RATE_LIMIT_PER_KEY", 1000)
# One video per report (MP4, WebM or QuickTime): its size (never above ATTACHMENT_MAX_BYTES) and, when the
# container tells it cheaply (MP4/MOV), its duration.
FEEDBACK_VIDEO_MAX_BYTES = env_int("FEEDBACK_VIDEO_MAX_BYTES", 20 * 1024 * 1024)
FEEDBACK_VIDEO_MAX_SECONDS = env_int("FEEDBACK_VIDEO_MAX_SECONDS", 120)
# Seconds the scoped report counts (statistics page, dashboard queue tile, report markers) are kept in the cache.
# Any new report, workflow step or rating starts a new version at once; this bounds what only time changes
# (a report passing its deadline). 0 switches the cache off.
FEEDBACK_CACHE_SECONDS = env_int("FEEDBACK_CACHE_SECONDS", 60)
# Open311 discovery: the jurisdiction id (default: the host of SITE_URL) and the contact shown to clients.
OPEN311_JURISDICTION_ID = os.environ.get("OPEN311_JURISDICTION_ID", "")
OPEN311_CONTACT = os.environ.get("OPEN311_CONTACT", "")
# Multi-jurisdiction mode: every Open311 call must name the jurisdiction_id (400 when missing, 404 when unknown).
OPEN311_REQUIRE_JURISDICTION = env_bool("OPEN311_REQUIRE_JURISDICTION", False)
# Seconds a web process keeps a public answer that every caller gets alike (the Open311 lists), so a busy
# public API is served from memory; 0 turns it off (as in tests, which check it by turning it on).
PUBLIC_CACHE_SECONDS = env_int("PUBLIC_CACHE_SECONDS", 0 if TESTING else 5)
# Map tiles: a tile URL template ({z}/{x}/{y}); empty draws outlines and markers on a plain background.
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
# Seconds one Server-Sent Events connection of the dashboard stays open before the browser reconnects.
DASHBOARD_SSE_LIFETIME = env_int("DASHBOARD_SSE_LIFETIME", 55)

# --- Directives and documents -----------------------------------------------------------------------------
DIRECTIVES_DUE_SOON_WORKING_DAYS = env_int("DIRECTIVES_DUE_SOON_WORKING_DAYS", 3)
# Secret documents (Mật and above) keep content and files only on a deployment declared air-gapped.
DOCUMENTS_AIR_GAPPED = env_bool("DOCUMENTS_AIR_GAPPED", False)
DOCUMENTS_EDXML_MAX_BYTES = env_int("DOCUMENTS_EDXML_MAX_BYTES", 50 * 1024 * 1024)
# edXML exchange transport: "outbox" (files in DOCUMENTS_EXCHANGE_OUTBOX), "http" (POST to the exchange
# platform at DOCUMENTS_EXCHANGE_URL; refused when air-gapped) or "" (nothing leaves: messages are held).
DOCUMENTS_EXCHANGE_TRANSPORT = os.environ.get("DOCUMENTS_EXCHANGE_TRANSPORT", "outbox")
DOCUMENTS_EXCHANGE_OUTBOX = Path(os.environ.get("DOCUMENTS_EXCHANGE_OUTBOX", VAR_DIR / "edxml-outbox"))
DOCUMENTS_EXCHANGE_URL = os.environ.get("DOCUMENTS_EXCHANGE_URL", "")
DOCUMENTS_EXCHANGE_TIMEOUT = env_int("DOCUMENTS_EXCHANGE_TIMEOUT", 20)
DOCUMENTS_EXCHANGE_MAX_ATTEMPTS = env_int("DOCUMENTS_EXCHANGE_MAX_ATTEMPTS", 6)

# --- Monitoring and incidents -----------------------------------------------------------------------------
# Dotted path of the SMS/Zalo gateway class (see cityops.operations.gateways); the default only records messages.
OPERATIONS_SMS_GATEWAY = os.environ.get("OPERATIONS_SMS_GATEWAY", "cityops.operations.gateways.RecordingGateway")

# --- API ------------------------------------------------------------------------------------------------
API_MAX_PAGE_SIZE = env_int("API_MAX_PAGE_SIZE", 100)
API_DEFAULT_PAGE_SIZE = env_int("API_DEFAULT_PAGE_SIZE", 20)
NINJA_PAGINATION_MAX_LIMIT = API_MAX_PAGE_SIZE

# --- Logging --------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
