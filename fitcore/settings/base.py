"""Settings shared by every environment; read from the environment only.

The embedded default needs nothing set: no DATABASE_URL means a SQLite file,
no REDIS_URL means a local-memory cache and Celery tasks run eagerly in-process.
Every variable read here is listed and explained in .env.example.
"""

from datetime import timedelta
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

from fitcore.api.security_schemes import API_KEY_AUTH, JWT_AUTH

from .environment import BASE_DIR, load_env_file

env = environ.Env()
# A local .env is a developer convenience; real deployments set the environment.
# development/testing/production have already put their own defaults into the
# environment (see environment.py), so everything derived below agrees with them.
load_env_file()

# No default: a key that anyone can read would let anyone forge this instance's
# tokens. Development generates a private one into .env; deployments set their own.
SECRET_KEY: str = env("SECRET_KEY", default="")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set: set it in the environment (development settings generate one into .env)."
    )
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    # Jazzmin must come before django.contrib.admin to replace its templates.
    "jazzmin",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Full-text and trigram search lookups for foods (registered on PostgreSQL connections only).
    "django.contrib.postgres",
    "corsheaders",
    "django.contrib.sites",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "dj_rest_auth",
    "dj_rest_auth.registration",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.apple",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "channels",
    "fitcore.api",
    "users",
    "authapp",
    "notification",
    "payment",
    "meal",
    "workout",
    "health",
    "adminapp",
]

MIDDLEWARE = [
    # Outermost, so the request id and access log cover everything below.
    "fitcore.api.middleware.RequestIdMiddleware",
    "fitcore.api.middleware.RequestLimitsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # Sessions, session user and messages: for the admin only, skipped under /api/
    # (fitcore.api.middleware says why).
    "fitcore.api.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "fitcore.api.middleware.AuthenticationMiddleware",
    "fitcore.api.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last, as django-axes requires: it turns a lockout into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fitcore.urls"
WSGI_APPLICATION = "fitcore.wsgi.application"
ASGI_APPLICATION = "fitcore.asgi.application"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# Persistent connections matter more than anything else for throughput: without
# them every request pays a PostgreSQL connect (~10x slower on a one-query view).
if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DB_CONN_HEALTH_CHECKS", default=True)
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend with a health check that needs no SELECT 1 per request (see its docstring).
        DATABASES["default"]["ENGINE"] = "fitcore.db.postgresql"
        DATABASES["default"].setdefault("OPTIONS", {})
        DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5))
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3")),
            # Several gunicorn workers write to one file: a write transaction takes its lock when it
            # begins (a read that later wants to write cannot be refused half-way with "database is
            # locked"), waits up to 20 s for it, and WAL lets readers go on meanwhile.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Celery --------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="fitcore"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fitcore"}}

# Who is calling, cached (authapp.principal_cache): in each process for this long (the most
# another worker may lag a revocation), and in Redis, when configured, for the longer time.
PRINCIPAL_CACHE_LOCAL_SECONDS = env.float("PRINCIPAL_CACHE_LOCAL_SECONDS", default=1.0)
PRINCIPAL_CACHE_SECONDS = env.int("PRINCIPAL_CACHE_SECONDS", default=300)

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL or "cache+memory://")
# No broker configured: run tasks in-process so the embedded default needs no worker.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
# Eager tasks queued by fitcore.api.tasks.enqueue_after_commit run in a thread after the
# response rather than inside it (the test settings turn this off to assert their effects).
TASKS_EAGER_IN_BACKGROUND = env.bool("TASKS_EAGER_IN_BACKGROUND", default=True)
# Where tasks are sent and what a worker consumes. Instances sharing one Redis (two
# checkouts, a test run beside `make run`) each need their own, or one's worker runs
# the other's tasks against the wrong database.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Periodic tasks live in the database, so staff see and change them in the admin; the
# entries themselves are created by notification's migrations (notification/schedule.py).
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Publishing to a broker that is down gives up quickly: the request that queued the task
# has committed its outbox rows, and the periodic re-send delivers them later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}

# --- Notifications (notification/) ---------------------------------------------
# What each type sends where until the user says otherwise (GET/PUT /notifications/preferences/).
# Security mail (account/email) cannot be switched off whatever this says.
NOTIFICATION_DEFAULTS: dict[str, dict[str, bool]] = {
    "system": {"in_app": True, "email": True, "push": True},
    "account": {"in_app": True, "email": True, "push": False},
    "workout_reminder": {"in_app": True, "email": False, "push": True},
    "meal_plan_ready": {"in_app": True, "email": False, "push": True},
    "import_finished": {"in_app": True, "email": False, "push": True},
    "payment_succeeded": {"in_app": True, "email": True, "push": False},
    "payment_failed": {"in_app": True, "email": True, "push": True},
    "subscription_ending": {"in_app": True, "email": True, "push": True},
    "achievement_unlocked": {"in_app": True, "email": False, "push": True},
    "weekly_report": {"in_app": True, "email": True, "push": False},
    "partner": {"in_app": True, "email": False, "push": True},
}
# Attempts per delivery (email or one device) before it is marked failed; retries back off
# exponentially from NOTIFICATION_RETRY_BACKOFF seconds, capped at NOTIFICATION_RETRY_BACKOFF_MAX.
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=6)
NOTIFICATION_RETRY_BACKOFF = env.int("NOTIFICATION_RETRY_BACKOFF", default=10)
NOTIFICATION_RETRY_BACKOFF_MAX = env.int("NOTIFICATION_RETRY_BACKOFF_MAX", default=900)
# An outbox row queued this long ago and still pending is queued again by the periodic re-send.
NOTIFICATION_REQUEUE_AFTER_SECONDS = env.int("NOTIFICATION_REQUEUE_AFTER_SECONDS", default=60)
# The daily digest goes out at this local hour (0-23) of each user who asked for it.
NOTIFICATION_DIGEST_HOUR = env.int("NOTIFICATION_DIGEST_HOUR", default=8)

# Push providers: FCM HTTP v1 (Android, web, and iOS when APNs is not set) and APNs (iOS).
# Neither configured: pushes are logged, not sent.
FCM_PROJECT_ID = env("FCM_PROJECT_ID", default="")
# The service account's JSON key: inline JSON, or a path to the file.
FCM_SERVICE_ACCOUNT = env("FCM_SERVICE_ACCOUNT", default="")
APNS_TEAM_ID = env("APNS_TEAM_ID", default="")
APNS_KEY_ID = env("APNS_KEY_ID", default="")
# The .p8 signing key: its PEM text, or a path to the file.
APNS_PRIVATE_KEY = env("APNS_PRIVATE_KEY", default="")
APNS_TOPIC = env("APNS_TOPIC", default="")  # the app's bundle id
APNS_USE_SANDBOX = env.bool("APNS_USE_SANDBOX", default=False)
PUSH_TIMEOUT_SECONDS = env.float("PUSH_TIMEOUT_SECONDS", default=10.0)

# --- Payments (Stripe) ---------------------------------------------------------
# No secret key: checkout, portal, cancel and resume answer 503 `payments_not_configured`.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
# The endpoint's signing secrets (whsec_...), comma-separated: during a rotation both the old and
# the new one verify. None: the webhook answers 503 so Stripe keeps retrying until it is set.
STRIPE_WEBHOOK_SECRETS: list[str] = [
    s.strip() for s in env("STRIPE_WEBHOOK_SECRET", default="").split(",") if s.strip()
]
# Pinned: payloads are parsed for this version's shapes (the library's own by default).
STRIPE_API_VERSION = env("STRIPE_API_VERSION", default="2026-10-28.endive")
# Where Stripe sends the user after checkout; {CHECKOUT_SESSION_ID} is filled in by Stripe.
STRIPE_SUCCESS_URL = env(
    "STRIPE_SUCCESS_URL", default="http://localhost:8000/payments/success?session_id={CHECKOUT_SESSION_ID}"
)
STRIPE_CANCEL_URL = env("STRIPE_CANCEL_URL", default="http://localhost:8000/payments/cancelled")
# The customer portal's "back" link.
STRIPE_PORTAL_RETURN_URL = env("STRIPE_PORTAL_RETURN_URL", default="http://localhost:8000/account")
# Another API host (stripe-mock, or the local stub `make bench` and `make fuzz` start); empty = Stripe's.
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
# Seconds one Stripe API call may take, and retries of idempotent failures (network, 409, 5xx).
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=20.0)
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
# A signature older than this is refused (replay protection); Stripe's own default.
STRIPE_WEBHOOK_TOLERANCE_SECONDS = env.int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", default=300)
# Days before a period ends (with cancel_at_period_end set) that the user is told it is ending.
SUBSCRIPTION_ENDING_NOTICE_DAYS = env.int("SUBSCRIPTION_ENDING_NOTICE_DAYS", default=3)

# Real-time delivery (WebSocket /ws/notifications/, served by the ASGI app fitcore.asgi).
CHANNEL_LAYERS: dict[str, dict[str, Any]] = (
    {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env("CHANNELS_PREFIX", default="fitcore")},
        }
    }
    if REDIS_URL
    else {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
)

# --- Generated plans: the optional LLM (fitcore.llm, meal.planning, workout.planning) ---
# Empty key: the optimizer and the rule-based generator work alone (the default).
OPENAI_API_KEY = env("OPENAI_API_KEY", default="")
OPENAI_MODEL = env("OPENAI_MODEL", default="gpt-5.4-mini")
OPENAI_TIMEOUT_SECONDS = env.float("OPENAI_TIMEOUT_SECONDS", default=20.0)

# --- Auth -----------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out user+IP is refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "authapp.backends.TenantEmailBackend",
]
SILENCED_SYSTEM_CHECKS = [
    # USERNAME_FIELD (email) is unique per tenant, not globally: TenantEmailBackend
    # resolves it together with the tenant, and a DB constraint enforces it.
    "auth.W004",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SITE_ID = 1

# --- Accounts: allauth (accounts, social), dj-rest-auth + simplejwt (tokens) ---
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_UNIQUE_EMAIL = False  # unique per tenant, enforced by a constraint on users.User
# "mandatory": login refused until the address is confirmed; "optional": a link is sent; "none".
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="optional")
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_ADAPTER = "authapp.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "authapp.adapters.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
# Where links in emails send people: the app's (or web client's) screens, which call the API.
FRONTEND_URL = env("FRONTEND_URL", default="http://localhost:3000")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="FitCore <no-reply@fitcore.invalid>")
# Seconds a mail server may take to answer: a hung one fails the send (retried) instead of a worker.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)

# Client ids that id_tokens must be issued for (the "aud" claim); comma-separated,
# since iOS, Android and web apps each have their own.
GOOGLE_CLIENT_IDS: list[str] = env.list("GOOGLE_CLIENT_IDS", default=[])
APPLE_CLIENT_IDS: list[str] = env.list("APPLE_CLIENT_IDS", default=[])
# How long Google's/Apple's signing keys (JWKS) stay cached; an unknown key id refetches early.
SOCIAL_JWKS_CACHE_SECONDS = 3600
REST_AUTH = {
    "USE_JWT": True,
    "TOKEN_MODEL": None,  # JWT only; no DRF authtoken table
    "JWT_AUTH_HTTPONLY": False,  # the refresh token is returned in the body; the cookie is opt-in
    "JWT_AUTH_COOKIE": None,
    "JWT_AUTH_REFRESH_COOKIE": env("JWT_REFRESH_COOKIE", default="fitcore-refresh"),
    "JWT_AUTH_REFRESH_COOKIE_PATH": "/api/v1/auth/",
    "JWT_AUTH_SECURE": env.bool("JWT_COOKIE_SECURE", default=not DEBUG),
    "JWT_AUTH_SAMESITE": "Lax",
    "JWT_TOKEN_CLAIMS_SERIALIZER": "authapp.tokens.TenantTokenObtainSerializer",
    "SESSION_LOGIN": False,
    "REGISTER_SERIALIZER": "authapp.serializers.RegisterSerializer",
    "LOGIN_SERIALIZER": "authapp.serializers.LoginSerializer",
    "USER_DETAILS_SERIALIZER": "users.serializers.UserSerializer",
    "PASSWORD_RESET_SERIALIZER": "authapp.serializers.PasswordResetSerializer",
    "PASSWORD_RESET_CONFIRM_SERIALIZER": "authapp.serializers.PasswordResetConfirmSerializer",
    "OLD_PASSWORD_FIELD_ENABLED": True,
    "LOGOUT_ON_PASSWORD_CHANGE": False,
}

# --- Brute-force protection (django-axes) ---------------------------------
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "email"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "authapp.lockout.lockout_response"
# The same client address the throttles use (NUM_PROXIES rule).
AXES_CLIENT_IP_CALLABLE = "fitcore.api.client.client_address"
# Case-folds the email, so "Alice@x" and "alice@x" share one failure counter.
AXES_USERNAME_CALLABLE = "authapp.lockout.client_username"
# Axes' success log keys rows by a Django session, which it would create (a row and a
# cookie) on every JWT login; failures are still recorded and drive the lockout.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

# --- I18N, static, media --------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
MEDIA_URL = "/media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Request limits -------------------------------------------------------
# Non-file request bodies (JSON, forms). Larger ones answer 413 before parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
# Whole multipart bodies (uploads: profile images, health exports).
API_MAX_UPLOAD_SIZE = env.int("API_MAX_UPLOAD_SIZE", default=52_428_800)
# Path plus query string of an API request, in bytes; longer answers a 414 problem. Under
# gunicorn's own request-line limit (gunicorn.conf.py), so clients get our problem, not its page.
API_MAX_URL_LENGTH = env.int("API_MAX_URL_LENGTH", default=4096)

# --- Workout videos (workout.media, workout.streaming) --------------------
# Largest video file accepted. Videos arrive as multipart uploads, so API_MAX_UPLOAD_SIZE
# bounds them too: raising this alone does not let larger files through.
WORKOUT_VIDEO_MAX_BYTES = env.int("WORKOUT_VIDEO_MAX_BYTES", default=API_MAX_UPLOAD_SIZE)
# Seconds a signed video URL stays valid (our streaming endpoint's token, or an S3 presigned URL).
WORKOUT_VIDEO_URL_TTL = env.int("WORKOUT_VIDEO_URL_TTL", default=3600)
# Box (width, height) a video's thumbnail is shrunk to fit, keeping its aspect ratio.
WORKOUT_THUMBNAIL_SIZE = (640, 360)
# Largest activity file (GPX, TCX, FIT), as uploaded and once decompressed (a gzip bomb stops
# here). A watch's FIT file of a long ride is 1-3 MB; FIT decodes at 150-400 KB/s on 2 cores,
# so 16 MB stays within the import task's time limit.
WORKOUT_IMPORT_MAX_BYTES = env.int("WORKOUT_IMPORT_MAX_BYTES", default=16 * 1024 * 1024)

# --- Health data (health.ingest, health.importers) --------------------------
# Largest JSON body of POST /api/v1/health/data/batch/: 10,000 samples with ids and device
# names are about 3 MB; other JSON bodies keep DATA_UPLOAD_MAX_MEMORY_SIZE.
HEALTH_BATCH_MAX_BYTES = env.int("HEALTH_BATCH_MAX_BYTES", default=8 * 1024 * 1024)
# Largest uploaded export (multipart body of POST /api/v1/health/imports/), as uploaded: a
# few years of an iPhone and a watch zip to 50-300 MB. Larger is a 413.
HEALTH_IMPORT_MAX_BYTES = env.int("HEALTH_IMPORT_MAX_BYTES", default=512 * 1024 * 1024)
# A zip's export.xml is read as it inflates: at most this many bytes, and at most this
# compression ratio per member (Apple's XML compresses about 15-25x; a zip bomb, 1000x).
HEALTH_IMPORT_MAX_UNCOMPRESSED_BYTES = env.int("HEALTH_IMPORT_MAX_UNCOMPRESSED_BYTES", default=8 * 1024**3)
HEALTH_IMPORT_MAX_RATIO = env.int("HEALTH_IMPORT_MAX_RATIO", default=100)
# GET /health/sync/ serves a change once it is this old, so a write stamped before a cursor was
# handed out but committed after it (a long batch or range delete) is not skipped.
HEALTH_SYNC_SETTLE_SECONDS = env.int("HEALTH_SYNC_SETTLE_SECONDS", default=10)
# Deleted samples are reported to sync clients for this long.
HEALTH_TOMBSTONE_DAYS = env.int("HEALTH_TOMBSTONE_DAYS", default=90)

# --- CORS -----------------------------------------------------------------
CORS_ALLOWED_ORIGINS: list[str] = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "user-agent",
    "x-api-key",
    "x-request-id",
    "x-tenant",
    "idempotency-key",
)
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Retry-After"]

# --- Django REST framework ------------------------------------------------
REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "authapp.authentication.TenantJWTAuthentication",
        "authapp.authentication.ApiKeyAuthentication",
    ],
    # Authenticated, and API keys only where a view names its scope area: new endpoints fail closed.
    "DEFAULT_PERMISSION_CLASSES": ["fitcore.api.permissions.ScopedAccess"],
    # orjson: the same bytes as DRF's JSONRenderer, faster (fitcore/api/renderers.py).
    "DEFAULT_RENDERER_CLASSES": ["fitcore.api.renderers.JSONRenderer"],
    # JSON only; upload endpoints opt into multipart themselves, so nobody can push a
    # 50 MB multipart body at an endpoint that never takes files.
    "DEFAULT_PARSER_CLASSES": ["fitcore.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "fitcore.api.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "fitcore.api.filters.DjangoFilterBackend",
        "fitcore.api.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "fitcore.api.throttling.UserRateThrottle",
        "fitcore.api.throttling.ApiKeyRateThrottle",
        "rest_framework.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("THROTTLE_RATE_ANON", default="60/min"),
        "user": env("THROTTLE_RATE_USER", default="600/min"),
        "auth": env("THROTTLE_RATE_AUTH", default="10/min"),
        "password_reset": env("THROTTLE_RATE_PASSWORD_RESET", default="5/hour"),
        "api_key": env("THROTTLE_RATE_API_KEY", default="3000/min"),
        # Partner messages (POST /notifications/send/), per API key or tenant admin.
        "notification_send": env("THROTTLE_RATE_NOTIFICATION_SEND", default="120/min"),
        "payments": env("THROTTLE_RATE_PAYMENTS", default="30/min"),
        # Generated meal plans and workout programs (an optimization, maybe an LLM call each):
        # the quota per user, and per API key for all the users it generates for.
        "generation": env("THROTTLE_RATE_GENERATION", default="30/hour"),
        "generation_api_key": env("THROTTLE_RATE_GENERATION_API_KEY", default="2000/day"),
    },
    "DEFAULT_SCHEMA_CLASS": "fitcore.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "fitcore.api.exceptions.problem_exception_handler",
    # Proxies in front of gunicorn whose X-Forwarded-For we trust (0: use REMOTE_ADDR).
    # Throttles and the login lockout identify clients by this; never trust more than you run.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # UNAUTHENTICATED_USER stays AnonymousUser; auth is never read from the session.
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=30),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "SIGNING_KEY": env("JWT_SIGNING_KEY", default=SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    # Tokens carry a hash of the password hash: changing the password signs out every device.
    "CHECK_REVOKE_TOKEN": True,  # a write per login is fine; per refresh is not
    "TOKEN_OBTAIN_SERIALIZER": "authapp.tokens.TenantTokenObtainSerializer",
    # Our access token class refuses missing or malformed claims (authapp.claims).
    "AUTH_TOKEN_CLASSES": ("authapp.tokens.FitcoreAccessToken",),
    "TOKEN_REFRESH_SERIALIZER": "authapp.tokens.TenantTokenRefreshSerializer",
}

SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "FitCore API",
    "DESCRIPTION": (
        "Backend for fitness products: accounts, nutrition, workouts, health data, "
        "subscriptions and notifications.\n\n"
        "Mobile and web apps authenticate with a JWT (`Authorization: Bearer …`); "
        "B2B partners with an API key (`X-API-Key: fc_…`). Every error is an RFC 9457 "
        "problem document (`application/problem+json`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ImageErrorCodeEnum": "users.images.ImageErrorCode",
        # email_status and push_status: one enum for a delivery's state.
        "DeliveryStatusEnum": "notification.models.DeliveryStatus",
        # Two "status" fields in payments: a subscription's and a ledger line's.
        "SubscriptionStatusEnum": "payment.models.SubscriptionStatus",
        "TransactionStatusEnum": "payment.models.Transaction.Status",
        # Nutrition: foods', plans' and diary entries' sources and plans' states, with the
        # subsets clients may send.
        "FoodSourceEnum": "meal.models.Food.Source",
        "MealPlanSourceEnum": "meal.models.MealPlan.Source",
        "DiaryEntrySourceEnum": "meal.models.FoodLogEntry.Source",
        "DiaryInputSourceEnum": [("manual", "Manual"), ("barcode", "Barcode scan"), ("partner", "Partner API")],
        "MealPlanStatusEnum": "meal.models.MealPlan.Status",
        "MealPlanInputStatusEnum": [("draft", "Draft"), ("archived", "Archived")],
        "FitnessGoalEnum": "users.models.Profile.FitnessGoal",
        # Workouts: one enum per code list, whichever fields use it (difficulty and level,
        # primary and secondary muscles), and the sources of sessions and programs.
        "LevelEnum": "workout.models.Level",
        "MuscleEnum": "workout.models.Muscle",
        "EquipmentEnum": "workout.models.Equipment",
        "WorkoutGoalEnum": "workout.models.Workout.Goal",
        "SessionSourceEnum": "workout.models.SessionSource",
        "SessionInputSourceEnum": [("manual", "Logged by hand"), ("partner", "Pushed by a partner")],
        "ProgramSourceEnum": "workout.models.Program.Source",
        # Health: a sample's source, a metric's kind, and the units of the weight and measurement forms.
        "HealthSourceEnum": "health.models.Source",
        "MetricKindEnum": [
            ("cumulative", "cumulative"),
            ("discrete", "discrete"),
            ("interval", "interval"),
            ("category", "category"),
        ],
        "WeightUnitEnum": [("kg", "kg"), ("lb", "lb"), ("st", "st")],
        "LengthUnitEnum": [("cm", "cm"), ("in", "in")],
        # Nutrition's micronutrient units keep the name they had before health's units came.
        "UnitEnum": [("mg", "mg"), ("ug", "µg"), ("g", "g")],
        # /readyz and its checks.
        "StatusEnum": [("ok", "ok"), ("unavailable", "unavailable")],
    },
    # After drf-spectacular's own enum hook: names for enum members that generated clients can use.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "fitcore.api.schema.name_enum_members",
    ],
    # Declared once here; views reference them through their authentication classes.
    "APPEND_COMPONENTS": {"securitySchemes": {"jwtAuth": JWT_AUTH, "apiKeyAuth": API_KEY_AUTH}},
}

# --- Logging --------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FORMAT = env("LOG_FORMAT", default="json")  # json | text
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "fitcore.api.logging.RequestContextFilter"}},
    "formatters": {
        "json": {"()": "fitcore.api.logging.JsonFormatter"},
        "text": {
            "()": "fitcore.api.logging.TextFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_context"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Our access log replaces these; Django's would log 4xx/5xx a second time.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "fitcore.access": {
            "handlers": ["console"],
            "level": env("ACCESS_LOG_LEVEL", default="INFO"),
            "propagate": False,
        },
        # httpx logs every request's URL at INFO, and an APNs URL holds the device token.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

# --- Sentry ---------------------------------------------------------------
SENTRY_DSN = env("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", default="development")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
    )

# --- Admin (Jazzmin) ------------------------------------------------------
JAZZMIN_SETTINGS = {
    "site_title": "FitCore admin",
    "site_header": "FitCore",
    "site_brand": "FitCore",
    "welcome_sign": "FitCore staff administration",
    "copyright": "FitCore",
    "show_ui_builder": False,
    "navigation_expanded": True,
    "order_with_respect_to": ["users", "authapp"],
    "icons": {
        "auth.Group": "fas fa-users",
        "users.Tenant": "fas fa-building",
        "users.User": "fas fa-user",
        "users.Profile": "fas fa-id-card",
        "authapp.ApiKey": "fas fa-key",
    },
}
