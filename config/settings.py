"""Settings for the Tasks API, read from the environment (12-factor).

Every variable is listed in README.md and .env.example. With nothing set and
DEBUG=1 the project runs on an embedded SQLite file; production sets
SECRET_KEY and DATABASE_URL and leaves DEBUG off.
"""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

from config.database_pool import connection_options, pool_options
from config.version import VERSION

BASE_DIR = Path(__file__).resolve().parent.parent

# Development settings in `.env` (written by `make run`) reach a plain `manage.py` too.
# Variables already in the environment win, and production, which has no such file,
# still refuses to start without SECRET_KEY. ENV_FILE= (empty) reads no file.
ENV_FILE = os.environ.get("ENV_FILE", str(BASE_DIR / ".env"))
if ENV_FILE:
    load_dotenv(ENV_FILE, override=False)


def env_bool(name: str, default: bool) -> bool:
    """Parse a boolean strictly: a typo such as DEBUG=yes must not pass silently."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw in {"1", "true", "True"}:
        return True
    if raw in {"0", "false", "False"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0, not {raw!r}")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    # Only for local development: a key that changes every start is safer than a fixed one.
    SECRET_KEY = "insecure-development-only-" + os.urandom(24).hex()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "tasks",
    # The job queue on PostgreSQL (its tables; the worker: events.jobs).
    "procrastinate.contrib.django",
    "events",
]

MIDDLEWARE = [
    "config.middleware.request_id.RequestIdMiddleware",
    # Outermost after the request id: it times and logs every answer, refusals included.
    "config.middleware.access_log.AccessLogMiddleware",
    # /healthz and /readyz, answered whatever the Host (a platform probes internal addresses).
    "config.middleware.health_probes.HealthProbeMiddleware",
    # A database outage or a statement over the timeout: a JSON 503, for every view.
    "config.middleware.outages.DatabaseUnavailableMiddleware",
    # Django's own (HTML) error pages under /api/ become JSON, whatever DEBUG says.
    "config.middleware.api_json_errors.ApiJsonErrorsMiddleware",
    # A signed-in caller's JSON is never stored by a cache: private, no-store.
    "config.middleware.cache_control.PrivateCacheControlMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # Checks the Host against ALLOWED_HOSTS (a 400 otherwise), for every request.
    "config.middleware.append_slash.CommonMiddlewareOutsideApi",
    # From here to BrowserOnlyEnd: what only a browser needs. API calls with a bearer
    # token go past it (config.middleware.browser_only); the admin, /api-auth/, the
    # browsable API and session-authenticated calls go through it.
    "config.middleware.browser_only.BrowserOnlyStart",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A login form's sign-in refused for want of a turn to check its password
    # (tasks.identity.sign_in_turns): a 429, as POST /api/auth/token gives.
    "tasks.identity.sign_in_turns.SignInBusyMiddleware",
    # Answers a locked-out sign-in (tasks.identity.login_lockout) with a 429; last, as axes asks.
    "axes.middleware.AxesMiddleware",
    "config.middleware.browser_only.BrowserOnlyEnd",
]

# --- Metrics for operators (config.metrics): off unless METRICS_TOKEN is set ------------
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
if METRICS_TOKEN:
    # prometheus-client's multiprocess mode: the server's workers write their figures to
    # one directory, which a scrape reads whole. One directory per server run (the
    # workers' parent process), so a restart starts from zero.
    os.environ.setdefault(
        "PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), f"tasks-metrics-{os.getppid()}")
    )
    # Right after the request id: it times everything else.
    MIDDLEWARE.insert(1, "config.metrics.MetricsMiddleware")
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

# The admin's messages live in the session it already has. The default storage tries a
# signed cookie first and builds its signer on every request, API calls included.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
# `/admin` and `/api-auth/login` redirect to their slashed paths, as Django's do by
# default. The API's paths never redirect (config.middleware.append_slash): they have no trailing
# slash (the earlier clients call them that way), and a redirected POST loses its body.
APPEND_SLASH = True

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
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASES = {
    # A blank DATABASE_URL (as `DATABASE_URL=` in a .env) is unset: SQLite.
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        # A round trip to test each connection before a request uses it. Off by default:
        # with the pool, a connection that the database or a pooler dropped is found
        # without one (config.connection_checks); on, every request pays a round trip.
        conn_health_checks=env_bool("CONN_HEALTH_CHECKS", default=False),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, with a pool that hands out only live connections and fails fast
    # while the database is down (config/postgresql/).
    DATABASES["default"]["ENGINE"] = "config.postgresql"
    # Bounded connect, keepalives and unacknowledged-data timeouts: a dead link is a 503
    # within seconds, never a hung request. Options in DATABASE_URL's query string win.
    DATABASES["default"]["OPTIONS"] = {
        **connection_options(os.environ),
        **DATABASES["default"].get("OPTIONS", {}),
    }
    # PgBouncer in transaction mode (Neon's pooled endpoint) cannot keep server-side
    # cursors across transactions. Prepared statements are no concern: Django's
    # psycopg backend binds parameters on the client by default.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool(
        "DISABLE_SERVER_SIDE_CURSORS", default=True
    )
    # A pool per worker process, one connection per server thread (config/database_pool.py),
    # so a request waiting for the database does not hold up its worker's other requests.
    # Django refuses persistent connections with a pool: CONN_MAX_AGE is for DB_POOL=0.
    if env_bool("DB_POOL", default=True):
        if os.environ.get("CONN_MAX_AGE", "0") != "0":
            raise ImproperlyConfigured("CONN_MAX_AGE applies only with DB_POOL=0: unset one of them")
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"]["OPTIONS"]["pool"] = pool_options(os.environ)

elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # Writers take the lock up front and wait for it, rather than failing midway
        # with "database is locked"; incremental sync relies on writers taking turns.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Statement timeout ----------------------------------------------------------
# No statement may hold the database for long (PostgreSQL's units: "500ms", "5s",
# "1min"; "0" turns it off). Applied as the role's default in this database by every
# `migrate` (tasks.data.statement_timeout), so it holds behind a transaction-mode pooler
# (Neon's pooled endpoint), which passes no startup options.
DB_STATEMENT_TIMEOUT = os.environ.get("DB_STATEMENT_TIMEOUT", "5s")

# --- Cache: shared by every process when REDIS_URL is set ---------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's, with a counter in one round trip for the throttles.
            "BACKEND": "config.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "tasks"),
            # Throttle counters only: a Redis that is down or blackholed must cost a
            # request a fraction of a second, not hang it (throttling then fails open).
            "OPTIONS": {
                "socket_connect_timeout": float(os.environ.get("REDIS_TIMEOUT", "0.25")),
                "socket_timeout": float(os.environ.get("REDIS_TIMEOUT", "0.25")),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# After a call to it failed, the throttle counters' cache is skipped (a circuit breaker,
# tasks.api.throttling) for this many seconds, then tried by a single request.
REDIS_RETRY_SECONDS = float(os.environ.get("REDIS_RETRY_SECONDS", "5"))

# --- Auth ---------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A locked-out username and address pair is refused before its password is hashed; any
# other password check waits for a turn (tasks.identity.sign_in_turns).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "tasks.identity.sign_in_turns.TurnTakingModelBackend",
]
# Password checks (PBKDF2, ~0.3 s of CPU each) per server process: SIGN_IN_HASHES_AT_ONCE run,
# SIGN_IN_QUEUE more wait up to SIGN_IN_WAIT_SECONDS for a turn (one more with no flood
# lately); any other, or a wait that ran out, is a 429 with Retry-After before hashing. A
# username that signed in from an address before has a lane of its own, bounded alike.
SIGN_IN_HASHES_AT_ONCE = int(os.environ.get("SIGN_IN_HASHES_AT_ONCE", "1"))
SIGN_IN_QUEUE = int(os.environ.get("SIGN_IN_QUEUE", "2"))
SIGN_IN_WAIT_SECONDS = float(os.environ.get("SIGN_IN_WAIT_SECONDS", "3"))
# Sign-in lockout (tasks.identity.login_lockout): LOGIN_FAILURE_LIMIT wrong passwords for one
# username from one address lock that pair out for LOGIN_LOCKOUT_MINUTES.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts during a lockout are refused without a write, and do not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "tasks.identity.login_lockout.client_ip"
AXES_USERNAME_CALLABLE = "tasks.identity.login_lockout.attempted_username"
AXES_LOCKOUT_CALLABLE = "tasks.identity.login_lockout.lockout_response"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_VERBOSE = False
LOGIN_URL = "rest_framework:login"
LOGIN_REDIRECT_URL = "/api/me/tasks"

# Tokens from an external identity provider (Better Auth, Auth0, ...).
AUTH_JWT_SECRET = os.environ.get("AUTH_JWT_SECRET", "")
AUTH_JWKS_URL = os.environ.get("AUTH_JWKS_URL", "")
AUTH_JWT_ISSUER = os.environ.get("AUTH_JWT_ISSUER", "")
AUTH_JWT_AUDIENCE = os.environ.get("AUTH_JWT_AUDIENCE", "")
AUTH_JWT_USER_CLAIM = os.environ.get("AUTH_JWT_USER_CLAIM", "sub")
# The OAuth authorization server where MCP connectors sign users in, named by the protected
# resource metadata (/.well-known/oauth-protected-resource); by default the token issuer.
AUTH_AUTHORIZATION_SERVER = os.environ.get("AUTH_AUTHORIZATION_SERVER", "") or AUTH_JWT_ISSUER

# Tokens this service issues (POST /api/auth/token).
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=int(os.environ.get("ACCESS_TOKEN_MINUTES", "15"))),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=int(os.environ.get("REFRESH_TOKEN_DAYS", "7"))),
    "ALGORITHM": "HS256",
    "SIGNING_KEY": SECRET_KEY,
    "ISSUER": "tasks-api",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "UPDATE_LAST_LOGIN": False,
    # simplejwt's, clearing failed sign-ins once the password is right (tasks.identity.login_lockout).
    "TOKEN_OBTAIN_SERIALIZER": "tasks.identity.login_lockout.TokenObtainPairSerializer",
}

# --- REST framework -----------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so that an anonymous request gets 401 with WWW-Authenticate: Bearer.
        "tasks.identity.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "tasks.api.json_format.FastJSONRenderer",
        # DRF's browsable API, with links between tasks and a complete button.
        "tasks.api.browsable.TaskBrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "tasks.api.json_format.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["tasks.api.filters.TaskFilterBackend"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "tasks.api.negotiation.LenientFormatNegotiation",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tasks.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        # DRF's, per principal id, failing open when the cache that holds the counters
        # is unreachable.
        "tasks.api.throttling.UserRateThrottle",
        "tasks.api.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": os.environ.get("THROTTLE_USER_RATE", "6000/min"),
        "anon": os.environ.get("THROTTLE_ANON_RATE", "120/min"),
    },
    # How many proxies in front append to X-Forwarded-For. Left unset (None), DRF would
    # take the whole header as the client's identity, so a client could forge a fresh
    # anonymous budget with every request; 0 means the socket's peer address.
    "NUM_PROXIES": int(os.environ.get("NUM_PROXIES") or 0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Tasks API",
    "DESCRIPTION": (
        "A multi-user task (to-do) backend. Every `/api/{user_id}/...` path needs a bearer "
        "token (issued by `POST /api/auth/token` or by an external identity provider) or a "
        "session; `me` stands for the caller's own user id. Errors carry a `detail` string, "
        "and validation errors add `errors` per field."
    ),
    "VERSION": VERSION,
    # Operations are tagged (and generated clients' modules named) by the segment after
    # /api/; said outright, as /mcp would otherwise shorten the common prefix to /.
    "SCHEMA_PATH_PREFIX": r"/api/",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "tasks.api.schema.document_paths_without_trailing_slash",
        "tasks.api.schema.require_fields_always_present",
        "tasks.api.schema.declare_request_id_header",
    ],
    # The API takes JSON bodies only; the form parsers serve the browsable API's HTML
    # forms and must not be offered to generated clients (they would send multipart).
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
}

# --- CORS ---------------------------------------------------------------------
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
# What a front end's script may read, including MCP's session id and the 401's challenge
# (an MCP client in a browser finds the OAuth metadata through it).
CORS_EXPOSE_HEADERS = [
    *("ETag", "Link", "Retry-After", "X-Request-ID", "Idempotent-Replayed"),
    *("Mcp-Session-Id", "WWW-Authenticate"),
]
CORS_ALLOW_HEADERS = [
    "accept",
    "authorization",
    "content-type",
    "idempotency-key",
    "if-match",
    "if-none-match",
    "x-request-id",
    # MCP's Streamable HTTP transport (/mcp): the official SDKs send these after initialize.
    "mcp-protocol-version",
    "mcp-session-id",
    "last-event-id",
]

# --- Security (production defaults; DEBUG relaxes them for local HTTP) ---------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers probe health over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Bodies larger than this are refused with 413 before they are parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("MAX_BODY_BYTES", str(256 * 1024)))

# --- I18N / time ----------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files (WhiteNoise) -------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Files served at the site's root by WhiteNoise: /favicon.ico, which browsers ask for.
WHITENOISE_ROOT = BASE_DIR / "config" / "root_files"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Logging: one JSON object per line, each with the request id ---------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.middleware.request_id.RequestIdLogFilter"}},
    "formatters": {"json": {"()": "config.middleware.request_id.JsonLogFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django logs every 4xx as a warning; the client's mistakes are not ours.
        "django.request": {"level": "ERROR"},
        # The MCP SDK logs each stateless exchange's start and end, and each tool refusal,
        # at INFO; the access log already has one line per request.
        "mcp": {"level": "WARNING"},
        # Each failed sign-in and each lockout is a warning; its INFO lines repeat them.
        "axes": {"level": "WARNING"},
        # Whatever LOG_LEVEL says: ACCESS_LOG is its switch.
        "tasks.access": {"level": "INFO"},
        # The job queue logs every job's start and end (the relay's, every second).
        "procrastinate": {"level": os.environ.get("WORKER_LOG_LEVEL", "WARNING")},
    },
}
# One JSON line per request (config.middleware.access_log): method, path, status, duration,
# request id and principal; never the query string, headers or body.
ACCESS_LOG = env_bool("ACCESS_LOG", default=True)

# Task events (events/): the outbox, webhooks and the worker.
EVENT_RETENTION_DAYS = int(os.environ.get("EVENT_RETENTION_DAYS", "30"))
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", default=False)
WEBHOOK_MAX_SUBSCRIPTIONS = int(os.environ.get("WEBHOOK_MAX_SUBSCRIPTIONS", "10"))
WEBHOOK_TIMEOUT = float(os.environ.get("WEBHOOK_TIMEOUT", "10"))
# The first retry's wait (doubling after each failure) and how long a worker may hold a
# delivery before another takes it over; the tests shorten both.
WEBHOOK_RETRY_BASE_SECONDS = float(os.environ.get("WEBHOOK_RETRY_BASE_SECONDS", "5"))
WEBHOOK_LEASE_SECONDS = float(os.environ.get("WEBHOOK_LEASE_SECONDS", "60"))
# The live stream (GET /api/{user_id}/events): a comment at least this often, and the
# database connections each stream process reads events with.
EVENT_STREAM_HEARTBEAT = float(os.environ.get("EVENT_STREAM_HEARTBEAT", "15"))
EVENT_STREAM_DB_CONNECTIONS = int(os.environ.get("EVENT_STREAM_DB_CONNECTIONS", "4"))
# NATS JetStream (events.publisher): unset, nothing is published.
EVENTS_NATS_URL = os.environ.get("EVENTS_NATS_URL", "")
EVENTS_NATS_STREAM = os.environ.get("EVENTS_NATS_STREAM", "TASK_EVENTS")
EVENTS_NATS_SUBJECT_PREFIX = os.environ.get("EVENTS_NATS_SUBJECT_PREFIX", "tasks")
# The queue's tables exist on PostgreSQL only; on SQLite the worker keeps its jobs in
# memory (events.worker).
DATABASE_ROUTERS = ["events.routers.JobQueueOnPostgresql"]
PROCRASTINATE_AUTODISCOVER_MODULE_NAME = "jobs"
