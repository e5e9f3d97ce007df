"""Looking at a settings module from outside: a fresh interpreter with only the environment a test gives."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

_DUMP = """
import json
from django.conf import settings
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SECRET_KEY": settings.SECRET_KEY,
    "JWT_SIGNING_KEY": settings.SIMPLE_JWT["SIGNING_KEY"],
    "JWT_AUTH_SECURE": settings.REST_AUTH["JWT_AUTH_SECURE"],
    "LOG_FORMAT": settings.LOGGING["handlers"]["console"]["formatter"],
}))
"""


def clean_env(**env: str) -> dict[str, str]:
    """Just enough environment to run Python, plus ``env``: nothing of the test run's own settings leaks in."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", **env}


def settings_in_subprocess(module: str, **env: str) -> dict[str, Any]:
    """The settings that matter for signing and cookies, as ``module`` computes them under ``env``."""
    done = subprocess.run(
        [sys.executable, "-c", _DUMP],
        cwd=ROOT,
        env=clean_env(DJANGO_SETTINGS_MODULE=module, **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result
