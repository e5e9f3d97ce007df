"""pytest settings: fast hashing, in-memory email, eager tasks, isolated cache keys."""

import os
import secrets
import tempfile

from .environment import set_fixed

# Into the environment before base reads it (see environment.py). Unless the
# environment names a key, tests sign with a random one of this run: nothing a test
# signs is valid anywhere else, and no literal key lives in the repository.
set_fixed(DEBUG="false")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

from .base import *  # noqa: E402, F403
from .base import CACHES, REDIS_URL, REST_FRAMEWORK, env  # noqa: E402

# A user-owned table that exists only in tests, to exercise the tenancy layer with.
INSTALLED_APPS = [*INSTALLED_APPS, "fitcore.api.tests.scopeapp"]  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# Serve static files from the finders: tests never run collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Uploaded files of a test run never land in the working tree.
MEDIA_ROOT = env("MEDIA_ROOT", default=tempfile.mkdtemp(prefix="fitcore-test-media-"))

# Tasks run in-process in tests; the Celery end-to-end test switches to the real
# broker and an embedded worker on its own when REDIS_URL is set.
CELERY_TASK_ALWAYS_EAGER = True
# ...and inline, so a test sees their effects (mail sent, image stored) when the request returns.
TASKS_EAGER_IN_BACKGROUND = False

# Parallel pytest-xdist workers share one Redis: give each its own key space so
# throttles and cached values of one worker never leak into another.
if REDIS_URL:
    # A test's server subprocess is told the test's own key space, to share it.
    CACHES["default"]["KEY_PREFIX"] = os.environ.get("TEST_SERVER_CACHE_KEY_PREFIX") or (
        f"fitcore-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}"
    )

# Throttles are exercised by their own tests with explicit low rates.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = dict.fromkeys(REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "100000/min")

LOG_LEVEL = "WARNING"
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
LOGGING["loggers"]["fitcore.access"]["level"] = "WARNING"  # noqa: F405

# The real-time channel layer's groups, per test worker too (they share one Redis).
if REDIS_URL:
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = CACHES["default"]["KEY_PREFIX"]  # noqa: F405
