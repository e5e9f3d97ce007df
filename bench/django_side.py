"""The parts of the benchmark that must run inside Django, as a subprocess of run.py.

Why a subprocess: run.py never loads Django, so it cannot hold database
connections that would block dropping the bench database, and this process
sees exactly the environment gunicorn gets.

    python bench/django_side.py seed      -> runs the seed functions
    python bench/django_side.py queries   -> one request per endpoint, counting SQL

Both read nothing but the environment and stdin (``queries`` takes the seed
output as JSON) and print one line ``BENCH_JSON <json>`` on stdout; anything
else on stdout or stderr is diagnostics.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from endpoints import ENDPOINTS, Endpoint

# Seed functions import the project's apps, and Django its settings: both live at the root.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MARKER = "BENCH_JSON "


def emit(payload: Any) -> None:
    """One machine-readable line, marked so stray prints cannot be mistaken for it."""
    sys.stdout.write(MARKER + json.dumps(payload) + "\n")
    sys.stdout.flush()


def seed() -> dict[str, dict[str, str]]:
    """Run each distinct seed function once; map every endpoint to its values."""
    results: dict[int, dict[str, str]] = {}
    seeded: dict[str, dict[str, str]] = {}
    for endpoint in ENDPOINTS:
        if endpoint.seed is None:
            seeded[endpoint.name] = {}
            continue
        key = id(endpoint.seed)
        if key not in results:
            values = endpoint.seed()
            if not isinstance(values, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in values.items()
            ):
                raise TypeError(f"seed for {endpoint.name!r} must return dict[str, str], got {values!r}")
            results[key] = values
        seeded[endpoint.name] = results[key]
        # Fail here rather than mid-run if the seed does not fit the endpoint.
        endpoint.headers(seeded[endpoint.name])
        endpoint.resolved_path(seeded[endpoint.name])
    return seeded


def _request(client: Any, endpoint: Endpoint, seeded: dict[str, str]) -> Any:
    kwargs: dict[str, Any] = {"headers": endpoint.headers(seeded)}
    if endpoint.body is not None:
        kwargs["data"] = json.dumps(endpoint.body)
        kwargs["content_type"] = "application/json"
    return client.generic(endpoint.method, endpoint.resolved_path(seeded), **kwargs)


def count_queries(all_seeded: dict[str, dict[str, str]]) -> dict[str, dict[str, Any]]:
    """SQL statements for one request per endpoint, after a warm-up request.

    The warm-up opens the (persistent) database connection and fills any lazy
    per-process caches, so the count is what a warm gunicorn worker pays.
    """
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    report: dict[str, dict[str, Any]] = {}
    for endpoint in ENDPOINTS:
        seeded = all_seeded.get(endpoint.name, {})
        _request(client, endpoint, seeded)
        with CaptureQueriesContext(connection) as captured:
            response = _request(client, endpoint, seeded)
        report[endpoint.name] = {
            "status": response.status_code,
            "queries": len(captured.captured_queries),
            "sql": [query["sql"] for query in captured.captured_queries],
            "body": response.content[:500].decode("utf-8", "replace"),
        }
    return report


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in {"seed", "queries"}:
        sys.stderr.write("usage: django_side.py seed|queries\n")
        return 2
    import django

    django.setup()
    if argv[1] == "seed":
        emit(seed())
    else:
        emit(count_queries(json.load(sys.stdin)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
