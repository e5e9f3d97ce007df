"""Production settings harden the deployment and refuse to boot half-configured."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "fitcore.settings.production",
    "SECRET_KEY": "p" * 20 + "-a-long-random-production-secret-value-0123456789",
    "ALLOWED_HOSTS": "api.fitcore.example",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE"}}
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
    set_by_tools = {"PYTEST_XDIST_WORKER"}
    assert read - documented - set_by_tools == set()
