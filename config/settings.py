"""Shopfront settings: one module, every behaviour switched by environment variables.

The defaults are the *embedded* mode (SQLite, a file cache, a filesystem Celery broker)
so that `make run` works on any machine; `DATABASE_URL` / `REDIS_URL` switch to the
production services. `DJANGO_ENV=production` makes the unsafe defaults fatal.
"""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.settings_parts import SPECTACULAR_SETTINGS as SPECTACULAR_SETTINGS
from config.settings_parts import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

env = environ.Env()
# Values already in the process environment win over the file (read_env uses setdefault).
environ.Env.read_env(os.environ.get("ENV_FILE", str(BASE_DIR / ".env")))

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
IS_PRODUCTION = DJANGO_ENV == "production"
DEBUG = env.bool("DEBUG", default=False)

if IS_PRODUCTION:
    if not env.str("SECRET_KEY", default=""):
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_ENV=production.")
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off when DJANGO_ENV=production.")
# Outside production a fixed key keeps tests and one-off commands working; `make run`
# writes a random one into .env before it serves anything.
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-development-only-key")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SHOP_NAME = env.str("SHOP_NAME", default="Shopfront")
# One shop currency: prices are stored as Decimal amounts in it.
SHOP_CURRENCY = env.str("SHOP_CURRENCY", default="EUR")
SHOP_CURRENCY_SYMBOL = env.str("SHOP_CURRENCY_SYMBOL", default="€")
# One tax rate; prices are entered including it (EU style) or excluding it (US style).
SHOP_TAX_RATE = Decimal(env.str("SHOP_TAX_RATE", default="0.20"))
SHOP_PRICES_INCLUDE_TAX = env.bool("SHOP_PRICES_INCLUDE_TAX", default=True)
CART_MAX_LINE_QUANTITY = env.int("CART_MAX_LINE_QUANTITY", default=10)
# Unpaid orders hold their stock this long before the expiry job cancels them.
ORDER_PAYMENT_TIMEOUT_MINUTES = env.int("ORDER_PAYMENT_TIMEOUT_MINUTES", default=30)
# Guests' e-mail links open their order in any browser for this long (signed, no table).
GUEST_ORDER_LINK_MAX_AGE_DAYS = env.int("GUEST_ORDER_LINK_MAX_AGE_DAYS", default=30)
PAYMENT_GATEWAY = env.str(
    "PAYMENT_GATEWAY", default="apps.payments.gateways.simulated.SimulatedCardGateway"
)
# Shared with the gateway; by default derived from SECRET_KEY so each install has its own.
PAYMENT_WEBHOOK_SECRET = env.str(
    "PAYMENT_WEBHOOK_SECRET",
    default=hashlib.sha256(f"{SECRET_KEY}:payment-webhooks".encode()).hexdigest(),
)
PAYMENT_WEBHOOK_URL = env.str("PAYMENT_WEBHOOK_URL", default=f"{SITE_URL}/api/v1/payments/webhook/")

INSTALLED_APPS = [
    "apps.accounts.apps.ShopAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "treebeard",
    "django_countries",
    "django_ratelimit",
    "csp",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "apps.core",
    "apps.pricing",
    "apps.waitingroom",
    "apps.sales",
    "apps.accounts",
    "apps.catalog",
    "apps.search",
    "apps.cart",
    "apps.checkout",
    "apps.orders",
    "apps.payments",
    "apps.vouchers",
    "apps.reports",
]

MIDDLEWARE = [
    "apps.metrics.middleware.RequestMetricsMiddleware",
    "apps.core.middleware.RequestLogMiddleware",
    "apps.core.middleware.RequestScopeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.context_processors.shop",
                "apps.cart.context_processors.cart",
            ],
        },
    },
]

# What makes a catalog page personal to one visitor (apps.core.visitor): a page's ETag
# covers every part, and a part answering None (a message waiting) makes it unreusable.
VISITOR_STATE = [
    "apps.core.visitor.pending_messages",
    "apps.core.visitor.signed_in_user",
    "apps.core.visitor.csrf_cookie",
    "apps.cart.http.cart_state",
]

# --- Database -----------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections with health checks: ~2,000 req/s for a one-row page here,
    # against ~1,700 with psycopg's pool on sync gunicorn workers.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int(
        "DB_CONNECT_TIMEOUT", default=3
    )
    # Typo tolerance of catalog search: word similarity 0.5 lets "kettel" find "Kettle"
    # (0.57) where the default 0.6 would not. Set at connect, so it costs no query.
    DATABASES["default"]["OPTIONS"]["options"] = "-c pg_trgm.word_similarity_threshold=0.5"
    # Server-side parameters, prepared after DB_PREPARE_THRESHOLD runs on a connection (0:
    # never; a transaction-pooling PgBouncer before 1.21): planned once, not per query.
    _options = DATABASES["default"]["OPTIONS"]
    _options["server_side_binding"] = True
    _options["prepare_threshold"] = env.int("DB_PREPARE_THRESHOLD", default=5) or None
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web workers and the Celery worker share the file: WAL lets readers run beside a
    # writer, IMMEDIATE takes the write lock up front instead of failing mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# --- Cache and sessions -----------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CACHE_KEY_PREFIX = env.str("CACHE_KEY_PREFIX", default="shopfront")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {
                # A hung Redis must cost a request half a second, not a worker.
                "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_CONNECT_TIMEOUT", default=0.5),
                "SOCKET_TIMEOUT": env.float("REDIS_TIMEOUT", default=0.5),
                # Redis down: reads miss and writes are dropped (logged), so pages are
                # served from the database instead of failing. See docs/ARCHITECTURE.md.
                "IGNORE_EXCEPTIONS": True,
                # Every command (scripts and pipelines too) passes the server's circuit
                # breaker, so a hung Redis costs a few timeouts per process, not one per call.
                "REDIS_CLIENT_CLASS": "apps.core.breaker.BreakerRedis",
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    # Sessions are written through to the database and read from Redis: Redis here keeps
    # nothing on disk, and a restart must not log every shopper out.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # A file cache is shared by every gunicorn worker and the Celery worker on one machine,
    # so invalidation and rate limits hold across processes (locmem would not).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
    # The file cache increments counters with a read and a write, so two workers can
    # lose a count under a burst. The embedded mode accepts that for a one-machine demo;
    # with REDIS_URL set this check is live again.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

# After this many failures in a row a Redis server is asked nothing for this long, then
# probed with one command (apps/core/breaker.py). A hung Redis then costs a process three
# timeouts, and one more per probe; a Redis back from a restart is used within seconds.
REDIS_BREAKER_FAILURES = env.int("REDIS_BREAKER_FAILURES", default=3)
REDIS_BREAKER_RESET_SECONDS = env.float("REDIS_BREAKER_RESET_SECONDS", default=5)

# --- Auth --------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:profile"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60 * 24)

# Failed sign-ins allowed per window, counted per account and per client address.
LOGIN_RATE_PER_ACCOUNT = env.str("LOGIN_RATE_PER_ACCOUNT", default="5/15m")
LOGIN_RATE_PER_IP = env.str("LOGIN_RATE_PER_IP", default="20/15m")
RATELIMIT_IP_META_KEY = "apps.core.http.ratelimit_ip"
# Without the cache, sign-in stays possible (counted again once it is back): an outage
# must not lock every customer out, and password hashing still slows guessing down.
RATELIMIT_FAIL_OPEN = True
VOUCHER_ATTEMPTS_PER_IP = env.str("VOUCHER_ATTEMPTS_PER_IP", default="20/m")
# Number of reverse proxies in front of gunicorn that append to X-Forwarded-For.
# 0 trusts REMOTE_ADDR only (nothing a client sends can choose its own address).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- Internationalisation ----------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media --------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Uploads and their renditions stay on this host's disk unless MEDIA_STORAGE_URL names an
# S3-compatible bucket (s3://bucket?endpoint_url=..., see config/media_storage.py): with
# several app hosts, a file on one host's disk is a broken image on all the others.
MEDIA_STORAGE_URL = env.str("MEDIA_STORAGE_URL", default="")
MEDIA_ORIGINS: list[str] = []
if MEDIA_STORAGE_URL:
    from config.media_storage import media_storage_from_url

    _media = media_storage_from_url(MEDIA_STORAGE_URL)
    _media_storage = _media.storage
    # Pages link to the bucket's public address; the CSP's img-src below allows it.
    MEDIA_URL = _media.base_url
    MEDIA_ORIGINS.append(_media.origin)
else:
    _media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    MEDIA_URL = env.str("MEDIA_URL", default="/media/")
# Embedded mode serves uploads from Django; production hands them to the web server/CDN,
# and a bucket serves its own.
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=not IS_PRODUCTION and not MEDIA_STORAGE_URL)
STORAGES = {
    "default": _media_storage,
    "staticfiles": {
        # Hashed names + gzip/brotli variants made at collectstatic time.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}
WHITENOISE_MAX_AGE = 60 * 60 * 24 * 365

# --- E-mail ------------------------------------------------------------------------------
_email = env.email_url("EMAIL_URL", default="filemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
# django-environ drops the leading slash of a filemail:// path: relative paths are taken
# from the project root, and the default is var/mail, where a user can open the files.
_email_path = _email.get("EMAIL_FILE_PATH") or ""
EMAIL_FILE_PATH = str(BASE_DIR / _email_path) if _email_path else str(VAR_DIR / "mail")
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Shopfront <shop@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security ----------------------------------------------------------------------------
SECURE = env.bool("SECURE", default=False)
SECURE_SSL_REDIRECT = SECURE
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_HSTS_SECONDS = env.int("HSTS_SECONDS", default=60 * 60 * 24 * 365) if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE and env.bool("HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = SECURE and env.bool("HSTS_PRELOAD", default=True)
# Behind a load balancer that terminates TLS, e.g. "HTTP_X_FORWARDED_PROTO,https".
_proxy_ssl_header = env.tuple("SECURE_PROXY_SSL_HEADER", default=())
SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header) if _proxy_ssl_header else None
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
# Its short page (apps.core.views) also renders for a request refused before the middleware.
CSRF_FAILURE_VIEW = "apps.core.views.csrf_failure"

# No inline script anywhere. NONCE puts a nonce in script-src only on a response that
# rendered `request.csp_nonce` (the product page's JSON-LD data block, see
# apps/catalog/structured_data.py); every other response keeps `script-src 'self'`.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *MEDIA_ORIGINS],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

# --- Celery ------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL) or "filesystem://"
if CELERY_BROKER_URL == "filesystem://":
    # Embedded broker: a real worker and beat read messages from a folder, so the demo
    # runs background and scheduled jobs exactly as production does, with no server.
    _broker_dir = VAR_DIR / "broker"
    # Every process that publishes or consumes needs the folders; creating them here
    # means no start-up order (web before worker, or a fresh VAR_DIR) can lose a task.
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # kombu's default is ./control, a folder in whatever directory a process starts in.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A message whose worker died (SIGKILL, a lost host) is redelivered once this has
        # passed since its delivery, at the next restore sweep (when a worker starts, then
        # every ~100 s): this bounds how late such an e-mail goes out. It must exceed the
        # longest a live worker holds a message, or a second worker gets it too: the longest
        # retry countdown (300 s, deliver_simulated_webhook) plus the hard time limit (300 s).
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=11 * 60),
        "socket_connect_timeout": 1,
        "socket_timeout": 2,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing from a request gives up fast: the caller logs it instead of hanging.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.3,
}
# Publishing from a request stops after this many failures in a row, for this long
# (apps/core/queue.py): a publish to a hung broker costs seconds, not half of one, so
# fewer tries and longer pauses. Order e-mails skipped meanwhile wait in the outbox.
BROKER_BREAKER_FAILURES = env.int("BROKER_BREAKER_FAILURES", default=2)
BROKER_BREAKER_RESET_SECONDS = env.float("BROKER_BREAKER_RESET_SECONDS", default=15)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# The purges do housekeeping that requests used to do on every call (deleting
# Idempotency-Key records past retention, expired API tokens); hourly is plenty, as a
# request ignores what has expired whether or not it was deleted yet.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    name: {"task": task, "schedule": seconds}
    for name, task, seconds in (
        ("expire-unpaid-orders", "apps.orders.tasks.expire_unpaid_orders", 60.0),
        ("sweep-notifications", "apps.orders.tasks.sweep_notifications", 60.0),
        ("purge-idempotency-records", "apps.core.tasks.purge_idempotency_records", 3600.0),
        ("purge-expired-tokens", "apps.accounts.tasks.purge_expired_tokens", 3600.0),
        ("refresh-search-terms", "apps.search.tasks.refresh_search_terms", 300.0),
        ("flush-search-misses", "apps.search.tasks.flush_search_misses", 60.0),
    )
}
CELERY_TIMEZONE = TIME_ZONE

# --- REST framework ----------------------------------------------------------------------
REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "apps.core.api.exception_handler",
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_SCHEMA_CLASS": "apps.core.api.ShopAutoSchema",
    # Programs use knox tokens (hashed at rest, expiring, revocable one by one); the
    # browser's own pages may call the API with their session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Fixed-window counters in the default cache (Redis when configured), so they hold
    # across workers; one INCR per request (apps/core/throttling.py). The client address
    # comes from NUM_PROXIES, the same trusted-proxy count as above.
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.core.throttling.AnonRateThrottle",
        "apps.core.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="300/min"),
        "user": env.str("API_THROTTLE_USER", default="600/min"),
        "auth": env.str("API_THROTTLE_AUTH", default="10/min"),
        "checkout": env.str("API_THROTTLE_CHECKOUT", default="30/min"),
        "voucher": env.str("API_THROTTLE_VOUCHER", default="20/min"),
    },
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's defaults, with a JSON parser that answers any body it cannot take with a 400.
    "DEFAULT_PARSER_CLASSES": [
        "apps.core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=30)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
# Tokens a user may hold; a sign-in past it revokes the oldest (apps.accounts.services
# token_create). knox's own TOKEN_LIMIT_PER_USER stays unset: it refuses the sign-in instead.
API_TOKEN_LIMIT_PER_USER = env.int("API_TOKEN_LIMIT_PER_USER", default=10)

# --- Logging -----------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_JSON = env.bool("LOG_JSON", default=not DEBUG)
LOGGING = logging_config(level=LOG_LEVEL, json_lines=LOG_JSON)

SHOP_DEMO_STAFF_EMAIL = env.str("DEMO_STAFF_EMAIL", default="staff@shopfront.local")

# Catalog pages and API reads served from the cache (versioned keys, see apps/core/cache.py).
CATALOG_CACHE = env.bool("CATALOG_CACHE", default=True)
CATALOG_CACHE_TIMEOUT = env.int("CATALOG_CACHE_TIMEOUT", default=60 * 60)

# /metrics (apps.metrics): these addresses or networks, or this bearer token; 404 otherwise.
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Each role writes its processes' counts to a folder under it (web/, worker/; see
# docs/DEPLOYMENT.md); business figures are read from the database once per interval.
METRICS_DIR = Path(env.str("METRICS_DIR", default=str(VAR_DIR / "metrics")))
METRICS_BUSINESS_SECONDS = env.int("METRICS_BUSINESS_SECONDS", default=30)
# The largest CSV file staff may import (refused at upload); 50 MB is ~500,000 rows.
CATALOG_IMPORT_MAX_BYTES = env.int("CATALOG_IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
CATALOG_IMPORT_MAX_IMAGE_BYTES = env.int(
    "CATALOG_IMPORT_MAX_IMAGE_BYTES", default=500 * 1024 * 1024
)
