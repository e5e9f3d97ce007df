"""The environment every settings module reads, prepared before base.py reads it.

A settings module for one environment (development, testing, production) states its
defaults and fixed values *in the environment* before importing base, instead of
reassigning settings afterwards: base derives settings from other settings (the
refresh cookie's Secure flag from DEBUG, the JWT signing key from SECRET_KEY), and a
value reassigned after the import would leave everything derived from it behind.

Not a settings module itself: DJANGO_SETTINGS_MODULE never names it.
"""

import contextlib
import fcntl
import os
import re
import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# `SECRET_KEY=value` or `export SECRET_KEY=value`, one pair of quotes optional, as django-environ reads it.
_SECRET_KEY_LINE = re.compile(r"""^(?:export )?SECRET_KEY=(?:'(.*)'|"(.*)"|(.*))$""")
_GENERATED_NOTE = "# Generated on first run: signs this instance's sessions and tokens. Keep it private.\n"


def env_file() -> Path:
    """The local .env file: BASE_DIR/.env unless FITCORE_ENV_FILE names another (tests use temp files)."""
    return Path(os.environ.get("FITCORE_ENV_FILE") or BASE_DIR / ".env")


def load_env_file() -> None:
    """Read the local .env into os.environ; variables already set win. Repeating it changes nothing."""
    environ.Env.read_env(env_file(), overwrite=False)


def set_defaults(**values: str) -> None:
    """Defaults of one settings module; the real environment and .env still win over them."""
    load_env_file()
    for name, value in values.items():
        os.environ.setdefault(name, value)


def set_fixed(**values: str) -> None:
    """Values one settings module insists on, whatever the environment or .env says."""
    os.environ.update(values)


def secret_key_in(text: str) -> str:
    """The SECRET_KEY a .env text sets (the last assignment wins, as in django-environ), or ""."""
    found = ""
    for line in text.splitlines():
        match = _SECRET_KEY_LINE.match(line)
        if match:
            found = next(group for group in match.groups() if group is not None)
    return found


def ensure_secret_key(path: Path) -> str:
    """The SECRET_KEY stored in ``path``; generates and appends one first if there is none.

    An existing key is never replaced. The file is created with mode 0600, and a
    key is only added under an exclusive lock on the file after re-reading it, so
    processes starting at the same moment (manage.py, gunicorn, celery) all end
    up with the one key that was written first.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    except OSError as exc:
        raise ImproperlyConfigured(
            f"SECRET_KEY is not set and {path} cannot be opened to keep a generated one: {exc}"
        ) from exc
    with os.fdopen(fd, "r+", encoding="utf-8") as file:
        fcntl.flock(file, fcntl.LOCK_EX)  # released when the file is closed
        content = file.read()
        key = secret_key_in(content)
        if key:
            return key
        key = secrets.token_urlsafe(50)  # 67 characters of [A-Za-z0-9_-]: no quoting, no "$"
        separator = "" if not content or content.endswith("\n") else "\n"
        file.write(f"{separator}{_GENERATED_NOTE}SECRET_KEY={key}\n")
        file.flush()
        os.fsync(file.fileno())
        # The file now holds a secret, whatever mode it was created with.
        with contextlib.suppress(PermissionError):
            os.fchmod(file.fileno(), 0o600)
        return key
