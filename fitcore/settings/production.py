"""Production: hardening only. Secrets have no default, so a missing one fails at boot."""

from django.core.exceptions import ImproperlyConfigured

from .environment import set_fixed

# Never DEBUG, whatever the environment says; fixed before base derives anything from
# it (the refresh cookie's Secure flag).
set_fixed(DEBUG="false")

from .base import *  # noqa: E402, F403
from .base import SECRET_KEY, SIMPLE_JWT, env  # noqa: E402

# Keys this repository once shipped as defaults: public, so anyone could sign with them.
_PUBLISHED_KEYS = frozenset(
    {
        "insecure-development-key-change-me",
        "dev-only-compose-secret-key-do-not-use-in-any-real-deployment",
        "build-only-collectstatic-key-never-used-to-sign-anything-0000",
    }
)
# base already refused a missing SECRET_KEY; here both signing keys must also be strong.
for _name, _key in (("SECRET_KEY", SECRET_KEY), ("JWT_SIGNING_KEY", SIMPLE_JWT["SIGNING_KEY"])):
    if _key.startswith("insecure-") or len(_key) < 50 or _key in _PUBLISHED_KEYS:
        raise ImproperlyConfigured(f"{_name} must be a private random value of at least 50 characters.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the hosts this deployment serves.")
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# TLS usually ends at the load balancer: trust its X-Forwarded-Proto only when told to.
if env.bool("USE_X_FORWARDED_PROTO", default=True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# The load balancer probes over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="FitCore <no-reply@fitcore.invalid>")
