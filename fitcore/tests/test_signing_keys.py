"""No instance signs with a key anyone can read: generated per instance in development, required elsewhere."""

import ast
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from fitcore.settings.environment import ensure_secret_key, secret_key_in

from .helpers import ROOT, clean_env, settings_in_subprocess

# Literals this repository used to ship as signing keys.
PUBLISHED_KEYS = {
    "insecure-development-key-change-me",
    "dev-only-compose-secret-key-do-not-use-in-any-real-deployment",
    "build-only-collectstatic-key-never-used-to-sign-anything-0000",
    "test-secret-key-not-for-production",
}
KEY_NAMES = {"SECRET_KEY", "JWT_SIGNING_KEY", "SIGNING_KEY"}


# --- the generator ---------------------------------------------------------------------


def test_generated_key_file_is_private_and_the_key_stable(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    key = ensure_secret_key(path)
    assert len(key) >= 50
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ensure_secret_key(path) == key
    assert secret_key_in(path.read_text()) == key
    assert path.read_text().count("SECRET_KEY=") == 1


def test_existing_key_and_other_lines_are_kept(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    original = "DEBUG=true\nexport SECRET_KEY='a-key-of-my-own'\nLOG_FORMAT=json"
    path.write_text(original)
    assert ensure_secret_key(path) == "a-key-of-my-own"
    assert path.read_text() == original


def test_key_is_appended_to_an_env_file_without_one(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("DEBUG=true\nSECRET_KEY=\nLOG_FORMAT=json")  # no newline at the end, an empty key
    path.chmod(0o644)
    key = ensure_secret_key(path)
    lines = path.read_text().splitlines()
    assert lines[:3] == ["DEBUG=true", "SECRET_KEY=", "LOG_FORMAT=json"]
    assert lines[-1] == f"SECRET_KEY={key}"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


_RACE = """
import secrets, sys, time
from pathlib import Path
from fitcore.settings.environment import ensure_secret_key
env_file, ready, go = (Path(arg) for arg in sys.argv[1:4])
generate = secrets.token_urlsafe
# Widen the gap between reading the file and writing a key, so that an unlocked
# version would let every process write a key of its own.
secrets.token_urlsafe = lambda n: (time.sleep(0.3), generate(n))[1]
ready.touch()
while not go.exists():
    time.sleep(0.001)
print(ensure_secret_key(env_file))
"""


def test_concurrent_first_runs_agree_on_one_key(tmp_path: Path) -> None:
    path, go = tmp_path / ".env", tmp_path / "go"
    ready = [tmp_path / f"ready-{n}" for n in range(4)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _RACE, str(path), str(flag), str(go)],
            cwd=ROOT,
            env=clean_env(),
            stdout=subprocess.PIPE,
            text=True,
        )
        for flag in ready
    ]
    deadline = time.monotonic() + 60
    while not all(flag.exists() for flag in ready) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()  # all four are imported and spinning: they open the file together
    keys = {proc.communicate(timeout=60)[0].strip() for proc in procs}
    assert all(proc.returncode == 0 for proc in procs)
    assert len(keys) == 1 and len(keys.pop()) >= 50
    assert path.read_text().count("SECRET_KEY=") == 1


# --- settings modules ------------------------------------------------------------------


def test_development_signs_with_a_generated_private_key(tmp_path: Path) -> None:
    env_file = tmp_path / "dev.env"
    first = settings_in_subprocess("fitcore.settings.development", FITCORE_ENV_FILE=str(env_file))
    assert first["SECRET_KEY"] not in PUBLISHED_KEYS and len(first["SECRET_KEY"]) >= 50
    assert first["JWT_SIGNING_KEY"] == first["SECRET_KEY"]
    assert secret_key_in(env_file.read_text()) == first["SECRET_KEY"]
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    # A later process of the same instance (gunicorn, celery, manage.py) signs with the same key.
    again = settings_in_subprocess("fitcore.settings.development", FITCORE_ENV_FILE=str(env_file))
    assert again["SECRET_KEY"] == first["SECRET_KEY"]
    # Another instance gets a key of its own.
    other = settings_in_subprocess("fitcore.settings.development", FITCORE_ENV_FILE=str(tmp_path / "other.env"))
    assert other["SECRET_KEY"] != first["SECRET_KEY"]


def test_development_prefers_a_key_from_the_environment(tmp_path: Path) -> None:
    env_file = tmp_path / "dev.env"
    key = "k" * 60
    dev = settings_in_subprocess("fitcore.settings.development", FITCORE_ENV_FILE=str(env_file), SECRET_KEY=key)
    assert dev["SECRET_KEY"] == dev["JWT_SIGNING_KEY"] == key
    assert not env_file.exists()


def test_tests_sign_with_a_key_of_their_own() -> None:
    assert settings.SECRET_KEY not in PUBLISHED_KEYS and len(settings.SECRET_KEY) >= 50
    assert settings.SIMPLE_JWT["SIGNING_KEY"] == settings.SECRET_KEY


@pytest.mark.parametrize("module", ["fitcore.settings.base", "fitcore.settings.production"])
def test_no_key_no_start(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; settings.SECRET_KEY"],
        cwd=ROOT,
        env=clean_env(DJANGO_SETTINGS_MODULE=module, ALLOWED_HOSTS="x", FITCORE_ENV_FILE=os.devnull),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY" in done.stderr


# --- no literal key anywhere a process could take it from -------------------------------


def _is_literal(node: ast.AST) -> bool:
    """A value fixed in the source: constants and operators only, with a non-empty string among them.

    An empty string is not a usable key: base.py refuses to start with it.
    """
    parts = list(ast.walk(node))
    fixed = all(isinstance(part, ast.Constant | ast.BinOp | ast.JoinedStr | ast.operator) for part in parts)
    strings = [part.value for part in parts if isinstance(part, ast.Constant) and isinstance(part.value, str)]
    return fixed and any(strings)


def _names_a_key(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return node.id in KEY_NAMES
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Constant) and node.slice.value in KEY_NAMES
    return isinstance(node, ast.Constant) and node.value in KEY_NAMES


def literal_keys_in_python(source: str) -> list[int]:
    """Lines where a signing key gets a literal value: assigned, a dict entry, or a default."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(_names_a_key(target) for target in targets) and _is_literal(node.value):
                found.append(node.lineno)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if key is not None and _names_a_key(key) and _is_literal(value):
                    found.append(value.lineno)
        elif isinstance(node, ast.Call) and node.args and _names_a_key(node.args[0]):
            # env("SECRET_KEY", default="..."), os.environ.setdefault("SECRET_KEY", "...")
            others = [*node.args[1:], *(keyword.value for keyword in node.keywords)]
            if any(_is_literal(value) for value in others):
                found.append(node.lineno)
    return sorted(found)


def test_the_scanner_finds_literal_keys() -> None:
    hits = literal_keys_in_python(
        'SECRET_KEY = "x"\n'
        'SECRET_KEY = env("SECRET_KEY", default="x")\n'
        'SIMPLE_JWT = {"SIGNING_KEY": "x" * 50}\n'
        'SIMPLE_JWT["SIGNING_KEY"] = f"x"\n'
        'os.environ.setdefault("SECRET_KEY", "x")\n'
        'SECRET_KEY = env("SECRET_KEY")\n'
        'SIGNING_KEY = env("JWT_SIGNING_KEY", default=SECRET_KEY)\n'
        'SECRET_KEY = env("SECRET_KEY", default="")\n'
    )
    assert hits == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("path", sorted(ROOT.joinpath("fitcore", "settings").glob("*.py")), ids=lambda p: p.name)
def test_settings_modules_carry_no_literal_key(path: Path) -> None:
    assert literal_keys_in_python(path.read_text()) == []


def test_compose_requires_a_key_of_your_own() -> None:
    text = ROOT.joinpath("docker-compose.yml").read_text()
    compose = yaml.safe_load(text)  # resolves the x-app-env anchor into every service
    seen = 0
    for service in compose["services"].values():
        for name, value in (service.get("environment") or {}).items():
            if name in KEY_NAMES:
                seen += 1
                # ${SECRET_KEY:?message}: compose refuses to start without one; no fallback value.
                assert re.fullmatch(rf"\$\{{{name}:?\?[^}}]*\}}", str(value)), (name, value)
    assert seen >= 3  # web, worker, beat
    assert not re.search(r"\$\{(SECRET_KEY|JWT_SIGNING_KEY):?-", text)


@pytest.mark.parametrize("name", ["Dockerfile", "entrypoint.sh", "Makefile", ".ci/run", ".env.example"])
def test_build_and_run_files_set_no_literal_key(name: str) -> None:
    text = ROOT.joinpath(name).read_text()
    # SECRET_KEY=<something that is not a $(...) or ${...} substitution>
    assert not re.search(r"""\b(SECRET_KEY|JWT_SIGNING_KEY)=(?!["']?\$)\S""", text)
    assert not any(key in text for key in PUBLISHED_KEYS)
