"""The environment every settings module reads, prepared before base.py reads it.

A settings module for one environment (development, testing, production) states its
defaults and fixed values *in the environment* before importing base, instead of
reassigning settings afterwards: base derives settings from other settings (the
refresh cookie's Secure flag from DEBUG, the JWT signing key from SECRET_KEY), and a
value reassigned after the import would leave everything derived from it behind.

Not a settings module itself: DJANGO_SETTINGS_MODULE never names it.
"""

import os
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent


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
