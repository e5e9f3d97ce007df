"""Local development: debug on, text logs, console email, a private signing key kept in .env."""

import os

from .environment import ensure_secret_key, env_file, set_defaults

# Into the environment before base reads it, so that what base derives agrees with
# development: the refresh cookie is not Secure over plain http, and the JWT signing
# key is this instance's SECRET_KEY.
set_defaults(DEBUG="true", LOG_FORMAT="text")
if not os.environ.get("SECRET_KEY"):
    # Every process of the instance (manage.py, gunicorn, celery worker and beat)
    # reads or writes the same file, so they all sign with one private key.
    os.environ["SECRET_KEY"] = ensure_secret_key(env_file())

from .base import *  # noqa: E402, F403
from .base import env  # noqa: E402

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
# No collectstatic in development: whitenoise serves from the app finders.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
