"""Settings for the oversight portal: one file, read from the environment.

With nothing set it runs embedded (SQLite and kombu's filesystem broker under ``var/``),
which is what ``make run`` uses on a laptop. Production and CI set ``DATABASE_URL``,
``CELERY_BROKER_URL`` and friends.
"""

import datetime
from pathlib import Path

import environ
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
# No key in the repository: outside DEBUG the portal refuses to serve without one (it signs the
# sessions and the unsubscribe links; config/wsgi.py), while tools that sign nothing
# (makemigrations, mypy's plugin) still load the settings. `make run` and `make test` give one.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "debug-only-key-never-used-without-DEBUG"  # nosec B105
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "bootstrap",
    "guardian",
    "import_export",
    "django_celery_beat",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oversight",
    "accounts",
    "assignments",
    "visits",
    "oversight.reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "oversight.middleware.VietnameseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "oversight.middleware.RefuseNulCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.OTPMiddleware",
    "accounts.middleware.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout into the locked-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.tenancy",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'oversight.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# A worker keeps its connection between requests (checked before reuse) instead of paying for
# a new PostgreSQL session on every one.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the embedded worker and beat write while the web server reads.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
# A streaming replica of PostgreSQL, when there is one: the reports and their exports read
# from it (oversight.replica); everything else, and every write, stays on the primary.
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["oversight.replica.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username from this address before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling: five failures for one username from one address lock that pair out for
# fifteen minutes (the API's token login counts too); a success resets the count.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0)
# Two-factor authentication (TOTP): required for administrators and office staff.
TWO_FACTOR_REQUIRED = env.bool("TWO_FACTOR_REQUIRED", default=True)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Cổng theo dõi cơ sở")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Guardian: no anonymous user row; per-object grants use the direct FK models in oversight.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# As in production by default (`make run` too): collected files with hashed names, compressed
# beside them, cached for good by browsers (WhiteNoise). A DEBUG run, and the tests, serve
# straight from the apps' folders instead.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=DEBUG)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

if env.str("EMAIL_URL", default=""):
    EMAIL_CONFIG = env.email_url("EMAIL_URL")
    vars().update(EMAIL_CONFIG)
else:
    # No mail server configured (make run, tests): emails land in the portal's own outbox.
    EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="visits.mail.OutboxBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="cong-theo-doi@localhost")

CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://"),
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "config.cache.RedisCache"  # its clients kept (config/cache.py)
# Template fragments that depend only on the language and a person's rights (the navigation),
# kept in each process: cheaper than rendering them, and than asking Redis for them.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
}

# Celery: an embedded filesystem broker by default so that `make run` needs no server.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
else:
    # Nothing is scheduled further ahead than this; see the Celery docs on Redis redelivery.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
REDIS_URL = env.str("REDIS_URL", default="")

# /health/ calls Celery failing when no worker has recorded beat's heartbeat for this long.
HEALTH_HEARTBEAT_MAX_AGE = env.int("HEALTH_HEARTBEAT_MAX_AGE", default=180)

# Tests that need a real service fail instead of skipping when this is set (CI sets it).
REQUIRE_SERVICES = env.bool("REQUIRE_SERVICES", default=False)

# Imports: a file larger than this, or with more rows, is refused before it is parsed.
UNIT_IMPORT_MAX_BYTES = env.int("UNIT_IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
UNIT_IMPORT_MAX_ROWS = env.int("UNIT_IMPORT_MAX_ROWS", default=200_000)
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"

# A session lasts a working day from sign-in, and ends when the browser closes.
# Sessions are read from the cache on every request (Redis in production), written through to
# the database so that a restart or a cache flush signs nobody out, and read from the database
# alone while the cache is unreachable (accounts/sessions.py).
SESSION_ENGINE = "accounts.sessions"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Secure by default: without DEBUG, cookies are Secure and HSTS and the redirect to HTTPS are on.
# SECURE_COOKIES=0 turns all three off for a closed network served over plain HTTP (and
# `check --deploy` then warns); `make run` and the tests use it on 127.0.0.1.
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=SESSION_COOKIE_SECURE)
SECURE_REDIRECT_EXEMPT = [r"^health/$"]  # the load balancer asks over plain HTTP
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 * SESSION_COOKIE_SECURE)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SESSION_COOKIE_SECURE
SECURE_HSTS_PRELOAD = SESSION_COOKIE_SECURE
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Everything the browser loads comes from the portal itself; no inline script or style, no
# other origin, no framing. (Bootstrap's icons are data: SVGs inside its stylesheet.)
SECURE_CSP: dict[str, list[str]] = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "config.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env.str("LOG_FORMAT", default="plain"),
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes logs every sign-in at INFO; lockouts (WARNING) are what operators act on, and
    # every attempt is kept in its table for the admin.
    "loggers": {"axes": {"level": "WARNING"}},
}

# Visits: an attached photo or scan of the minutes may be at most this large.
VISIT_ATTACHMENT_MAX_BYTES = env.int("VISIT_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)

# Compliance: a month closes on this day of the following month; a visit accepted later is late.
COMPLIANCE_CLOSING_DAY = env.int("COMPLIANCE_CLOSING_DAY", default=5)
# A changed closing day carries its date of force, "2027-01-01=10[,…]": the months from that one
# on close on the new day, the months before keep the day they closed on.
COMPLIANCE_CLOSING_DAY_CHANGES = sorted(
    (datetime.date.fromisoformat(since.strip()), int(day))
    for since, _, day in (
        item.partition("=")
        for item in env.str("COMPLIANCE_CLOSING_DAY_CHANGES", default="").split(",")
        if item.strip()
    )
)

# Spreadsheet imports (people, assignments, meeting days): refused above these sizes.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=20_000)
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

# Reminders: how far ahead, how long a claim lasts before another worker may re-send it.
REMINDER_DAYS_BEFORE_MEETING = env.int("REMINDER_DAYS_BEFORE_MEETING", default=2)
REMINDER_DAYS_BEFORE_CLOSING = env.int("REMINDER_DAYS_BEFORE_CLOSING", default=3)
REMINDER_DAYS_BEFORE_TASK_DEADLINE = env.int("REMINDER_DAYS_BEFORE_TASK_DEADLINE", default=14)
REMINDER_WEEKS_WITHOUT_PROGRESS = env.int("REMINDER_WEEKS_WITHOUT_PROGRESS", default=6)
REMINDER_CLAIM_SECONDS = env.int("REMINDER_CLAIM_SECONDS", default=600)
REMINDER_BATCH = env.int("REMINDER_BATCH", default=200)
# A policy change re-judging more assignments than this is recounted by a task, not in the
# request that saved it (a default row re-judges the whole country: ~30 s on the national data).
TALLY_REFRESH_IN_REQUEST = env.int("TALLY_REFRESH_IN_REQUEST", default=2000)
# An unsubscribe link in a reminder works for this many days after the email was sent.
UNSUBSCRIBE_LINK_DAYS = env.int("UNSUBSCRIBE_LINK_DAYS", default=365)
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# The API (/api/v1/): session for the browser, tokens for programs; the same scoping gate.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous request answers 401 with a WWW-Authenticate header.
        "oversight.api_defaults.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "oversight.api_defaults.ActionPermission",
    ],
    "DEFAULT_PAGINATION_CLASS": "oversight.api_defaults.PortalPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "oversight.api.PortalAutoSchema",
    "EXCEPTION_HANDLER": "oversight.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"login": env.str("API_LOGIN_THROTTLE", default="10/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Cổng theo dõi cơ sở — API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RatingEnum": "visits.models.Rating.choices",
        "VisitStatusEnum": "visits.models.VisitStatus.choices",
        "MeetingStatusEnum": "visits.models.MeetingStatus.choices",
        "TaskStatusEnum": "assignments.models.TaskStatus.choices",
        "ExtensionStatusEnum": "assignments.models.ExtensionStatus.choices",
        "ComplianceStatusEnum": ["red", "amber", "green", "none"],
    },
}
