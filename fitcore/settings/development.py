"""Local development: debug on, text logs, console email, everything else from base."""

from .environment import set_defaults

# Into the environment before base reads it, so that what base derives agrees with
# development: the refresh cookie is not Secure over plain http.
set_defaults(DEBUG="true", LOG_FORMAT="text")

from .base import *  # noqa: E402, F403
from .base import env  # noqa: E402

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
# No collectstatic in development: whitenoise serves from the app finders.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
