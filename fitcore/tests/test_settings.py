"""Production settings harden the deployment and refuse to boot half-configured."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import ROOT, settings_in_subprocess

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "fitcore.settings.production",
    "SECRET_KEY": "p" * 20 + "-a-long-random-production-secret-value-0123456789",
    "ALLOWED_HOSTS": "api.fitcore.example",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    dropped = {"SECRET_KEY", "JWT_SIGNING_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE", "DEBUG"}
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    # Never a developer's .env (make run writes one with a SECRET_KEY): only what the test sets.
    base["FITCORE_ENV_FILE"] = os.devnull
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_check_deploy_reports_no_warnings() -> None:
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without(missing: str) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_production_rejects_the_development_secret() -> None:
    result = run_manage("check", env={**PRODUCTION_ENV, "SECRET_KEY": "insecure-development-key-change-me"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_argon2_hashes_passwords_outside_tests() -> None:
    from fitcore.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_env_example_documents_every_variable_the_code_reads() -> None:
    import re

    sources = [*ROOT.joinpath("fitcore", "settings").glob("*.py"), ROOT / "gunicorn.conf.py"]
    pattern = re.compile(r"""(?:env(?:\.\w+)?|environ\.get)\(\s*["']([A-Z][A-Z0-9_]+)["']""")
    read = {name for path in sources for name in pattern.findall(path.read_text())}
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", ROOT.joinpath(".env.example").read_text(), re.M))
    assert read, "the pattern found no variables at all"
    set_by_tools = {"PYTEST_XDIST_WORKER", "TEST_SERVER_CACHE_KEY_PREFIX"}  # by pytest, by our tests
    assert read - documented - set_by_tools == set()


# --- values derived in base follow each settings module's own -----------------------------

PRODUCTION_SETTINGS = "fitcore.settings.production"


def test_development_refresh_cookie_is_not_secure_over_plain_http(tmp_path: Path) -> None:
    dev = settings_in_subprocess("fitcore.settings.development", FITCORE_ENV_FILE=str(tmp_path / ".env"))
    assert dev["DEBUG"] is True
    assert dev["JWT_AUTH_SECURE"] is False  # .env.example: JWT_COOKIE_SECURE defaults to `not DEBUG`
    assert dev["LOG_FORMAT"] == "text"


def test_development_honours_explicit_cookie_and_debug_settings(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=false\n")  # a .env value wins over development's default
    dev = settings_in_subprocess("fitcore.settings.development", FITCORE_ENV_FILE=str(env_file))
    assert dev["DEBUG"] is False and dev["JWT_AUTH_SECURE"] is True
    dev = settings_in_subprocess(
        "fitcore.settings.development", FITCORE_ENV_FILE=str(env_file), JWT_COOKIE_SECURE="true", DEBUG="true"
    )
    assert dev["DEBUG"] is True and dev["JWT_AUTH_SECURE"] is True


@pytest.mark.parametrize("debug_in_environment", [None, "true"])
def test_production_refresh_cookie_is_always_secure(debug_in_environment: str | None) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SETTINGS_MODULE"}
    if debug_in_environment:
        env["DEBUG"] = debug_in_environment
    prod = settings_in_subprocess(PRODUCTION_SETTINGS, FITCORE_ENV_FILE=os.devnull, **env)
    assert prod["DEBUG"] is False
    assert prod["JWT_AUTH_SECURE"] is True
    assert prod["JWT_SIGNING_KEY"] == prod["SECRET_KEY"] == PRODUCTION_ENV["SECRET_KEY"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SECRET_KEY", "dev-only-compose-secret-key-do-not-use-in-any-real-deployment"),
        ("JWT_SIGNING_KEY", "short-jwt-key"),
    ],
)
def test_production_rejects_published_or_short_signing_keys(name: str, value: str) -> None:
    result = run_manage("check", env={**PRODUCTION_ENV, name: value})
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {name}" in result.stderr
