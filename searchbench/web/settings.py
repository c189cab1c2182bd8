"""Django settings, every value from the searchbench.env registry (never os.environ here)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from croniter import croniter
from django.core.exceptions import ImproperlyConfigured

from searchbench import env
from searchbench.web.database import DatabaseUrlError, parse_database_url, sqlite_config
from searchbench.web.email import EmailUrlError, parse_email_url
from searchbench.web.logging import build_logging_config
from searchbench.web.secretkey import persisted_secret_key

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = env.data_dir()

DEBUG: bool = env.get("SEARCHBENCH_DEBUG")


SECRET_KEY: str = env.get("SEARCHBENCH_SECRET_KEY")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = persisted_secret_key(DATA_DIR)
    else:
        raise ImproperlyConfigured(
            "SEARCHBENCH_SECRET_KEY is not set (or SEARCHBENCH_SECRET_KEY_FILE): it is required "
            "when SEARCHBENCH_DEBUG is off. Generate one with: python -c "
            "'import secrets; print(secrets.token_urlsafe(50))'. `searchbench demo` makes its own."
        )

ALLOWED_HOSTS: list[str] = env.get("SEARCHBENCH_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS: list[str] = env.get("SEARCHBENCH_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "searchbench.accounts",
    "searchbench.cases",
    "searchbench.explain",
    "searchbench.books",
    "searchbench.indexes",
    "django_q",
    "searchbench.jobs",
    "ninja",  # its templates and static files: the API docs page without a CDN
    "searchbench.api",
]

MIDDLEWARE = [
    "searchbench.web.middleware.RequestIdMiddleware",
    "searchbench.web.middleware.EngineRateLimitMiddleware",
    # Outside everything that can answer (whitenoise, redirects, errors): every response has it.
    "searchbench.web.csp.ContentSecurityPolicyMiddleware",
    # /api/ only: a body size limit, and the API's error shape on answers made outside ninja.
    "searchbench.api.errors.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out log-in into the lock page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "searchbench.web.urls"
WSGI_APPLICATION = "searchbench.web.wsgi.application"
ASGI_APPLICATION = "searchbench.web.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "searchbench.web.views.version_context",
                "searchbench.accounts.context.sign_in_options",
            ],
        },
    },
]

_database_url: str = env.get("DATABASE_URL")
try:
    DATABASES = {
        "default": parse_database_url(_database_url)
        if _database_url
        else sqlite_config(DATA_DIR / "searchbench.sqlite3")
    }
except DatabaseUrlError as exc:
    raise ImproperlyConfigured(str(exc)) from None

if DATABASES["default"]["ENGINE"].endswith("mysql"):
    import pymysql

    pymysql.install_as_MySQLdb()
    # Django checks the mysqlclient version; PyMySQL reports its own, so claim a supported one.
    pymysql.version_info = (2, 2, 1, "final", 0)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Log-in throttling (django-axes; docs/web.md): failures are counted per user name and, apart,
# per client address, in the database (shared by every web process); on the limit both
# /accounts/login/ and /admin/login/ answer 429 with one page for every user name, known or not.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out log-in before a check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT: int = env.get("SEARCHBENCH_LOGIN_FAILURE_LIMIT")
AXES_COOLOFF_TIME = timedelta(minutes=env.get("SEARCHBENCH_LOGIN_COOLOFF_MINUTES"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each one locks on its own
AXES_CLIENT_IP_CALLABLE = "searchbench.web.clientip.client_ip"
AXES_LOCKOUT_CALLABLE = "searchbench.accounts.throttle.lockout_response"
# A success must not wipe failures: it would clear an address's failures against other accounts.
AXES_RESET_ON_SUCCESS = False
AXES_DISABLE_ACCESS_LOG = True  # the access log already has every request; no second record
AXES_VERBOSE = False  # no start-up banner in every command's output (failures are still logged)
# How many reverse proxies append to X-Forwarded-For (searchbench.web.clientip).
SEARCHBENCH_PROXY_COUNT: int = env.get("SEARCHBENCH_PROXY_COUNT")

# Accounts (docs/sign-in.md): sign-up, e-mail for invitations and password resets, teams.
SEARCHBENCH_SIGNUP: bool = env.get("SEARCHBENCH_SIGNUP")
SEARCHBENCH_INVITATION_DAYS: int = env.get("SEARCHBENCH_INVITATION_DAYS")
try:
    globals().update(parse_email_url(env.get("SEARCHBENCH_EMAIL_URL")))
except EmailUrlError as exc:
    raise ImproperlyConfigured(str(exc)) from None
# Single sign-on (OpenID Connect, mozilla-django-oidc; accounts/oidc.py): off until an issuer and
# a client id are set. The backend is always listed; it does nothing while sign-on is off.
SEARCHBENCH_OIDC_ISSUER: str = env.get("SEARCHBENCH_OIDC_ISSUER")
SEARCHBENCH_OIDC_CLIENT_ID: str = env.get("SEARCHBENCH_OIDC_CLIENT_ID")
SEARCHBENCH_OIDC_CLIENT_SECRET: str = env.get("SEARCHBENCH_OIDC_CLIENT_SECRET")
SEARCHBENCH_OIDC_SCOPES: str = env.get("SEARCHBENCH_OIDC_SCOPES")
SEARCHBENCH_OIDC_SIGN_ALGO: str = env.get("SEARCHBENCH_OIDC_SIGN_ALGO")
SEARCHBENCH_OIDC_CREATE_USERS: bool = env.get("SEARCHBENCH_OIDC_CREATE_USERS")
SEARCHBENCH_OIDC_NAME: str = env.get("SEARCHBENCH_OIDC_NAME")
AUTHENTICATION_BACKENDS.append("searchbench.accounts.oidc.Backend")
DEFAULT_FROM_EMAIL: str = env.get("SEARCHBENCH_EMAIL_FROM")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # a reset link works for a day

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "cases:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.get("SEARCHBENCH_STATIC_ROOT")).resolve()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

if env.get("SEARCHBENCH_HTTPS"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Only behind a proxy that overwrites this header; the setting's help says so.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the rating buttons' fetch() reads the token from the form instead
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Django applies it with logging.config.dictConfig (the default LOGGING_CONFIG); structlog is
# configured by the same call, so both kinds of log line share one format.
LOGGING = build_logging_config()
# gunicorn loads this module in each worker (wsgi.py -> django.setup()), which re-applies LOGGING;
# RequestIdMiddleware already writes one access line per request, with its id, so gunicorn's own
# access lines stay off here too, not only in the server's config.
LOGGING["loggers"]["gunicorn.access"] = {"handlers": [], "level": "CRITICAL", "propagate": False}

SEARCHBENCH_ENGINE_TIMEOUT: int = env.get("SEARCHBENCH_ENGINE_TIMEOUT")
SEARCHBENCH_ENGINE_CONCURRENCY: int = env.get("SEARCHBENCH_ENGINE_CONCURRENCY")
# Score-history retention (cases/history.py: prune).
SEARCHBENCH_HISTORY_KEEP_RUNS: int = env.get("SEARCHBENCH_HISTORY_KEEP_RUNS")
SEARCHBENCH_HISTORY_KEEP_DAYS: int = env.get("SEARCHBENCH_HISTORY_KEEP_DAYS")
# Background jobs (docs/jobs.md): django-q2 with its queue in this database (the ORM broker).
SEARCHBENCH_JOB_CHUNK_SIZE: int = env.get("SEARCHBENCH_JOB_CHUNK_SIZE")
SEARCHBENCH_NIGHTLY_CRON: str = env.get("SEARCHBENCH_NIGHTLY_CRON")
SEARCHBENCH_JOBS_KEEP_DAYS: int = env.get("SEARCHBENCH_JOBS_KEEP_DAYS")  # jobs/retention.py
SEARCHBENCH_INDEX_UPLOAD_MAX_MB: int = env.get("SEARCHBENCH_INDEX_UPLOAD_MAX_MB")  # indexes/
if SEARCHBENCH_INDEX_UPLOAD_MAX_MB > 2000:  # a build's progress counts bytes in a 32-bit column
    raise ImproperlyConfigured(
        f"SEARCHBENCH_INDEX_UPLOAD_MAX_MB={SEARCHBENCH_INDEX_UPLOAD_MAX_MB}: at most 2000"
    )
if not croniter.is_valid(SEARCHBENCH_NIGHTLY_CRON):
    raise ImproperlyConfigured(
        f"SEARCHBENCH_NIGHTLY_CRON={SEARCHBENCH_NIGHTLY_CRON!r}: expected a cron expression "
        "(minute hour day-of-month month day-of-week), e.g. '0 2 * * *'"
    )
_job_timeout: int = env.get("SEARCHBENCH_JOB_TIMEOUT")
_job_retry: int = env.get("SEARCHBENCH_JOB_RETRY")
if _job_retry <= _job_timeout:
    # A task still running when its retry time comes would be handed to a second worker.
    raise ImproperlyConfigured(
        f"SEARCHBENCH_JOB_RETRY={_job_retry} must be more than "
        f"SEARCHBENCH_JOB_TIMEOUT={_job_timeout} (seconds)"
    )
_worker_processes: int = env.get("SEARCHBENCH_WORKER_PROCESSES")
Q_CLUSTER = {
    "name": "searchbench",
    "orm": "default",
    "workers": _worker_processes,
    # Take no more tasks than there are processes: a task waiting in one worker's memory is one
    # another machine could be running.
    "queue_limit": _worker_processes,
    "bulk": 1,
    "timeout": _job_timeout,
    "retry": _job_retry,
    "max_attempts": 5,  # a task that raises every time stops being delivered (the job fails)
    # Successful task records kept: saving one more deletes the oldest. django-q2 keeps every
    # failure; jobs/retention.py deletes those older than SEARCHBENCH_JOBS_KEEP_DAYS.
    "save_limit": 100,
    "catch_up": False,  # after downtime a missed nightly run starts once, not once per night
    "poll": 0.5,
    "label": "Background tasks",
}
# Without collectstatic (DEBUG) whitenoise serves straight from the apps' static dirs.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = WHITENOISE_USE_FINDERS
