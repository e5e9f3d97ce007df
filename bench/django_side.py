"""The parts of the benchmark that must run inside Django, as a subprocess of run.py.

Why a subprocess: run.py never loads Django, so it cannot hold database
connections that would block dropping the bench database, and this process
sees exactly the environment gunicorn gets.

    python bench/django_side.py seed      -> runs the seed functions
    python bench/django_side.py queries   -> one request per endpoint, counting SQL
    python bench/django_side.py profile   -> cProfile of one endpoint's requests, top lines
    python bench/django_side.py apple_import -> a generated Apple Health export through the import task

All read nothing but the environment and stdin (``queries`` takes the seed
output as JSON, ``profile`` the endpoint's name and seed) and print one line ``BENCH_JSON <json>`` on stdout; anything
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


def _wsgi_environ(endpoint: Endpoint, seeded: dict[str, str]) -> dict[str, Any]:
    """What gunicorn hands Django for this endpoint's request (no test client in between)."""
    from wsgiref.util import setup_testing_defaults

    path, _, query = endpoint.resolved_path(seeded).partition("?")
    body = json.dumps(endpoint.body).encode() if endpoint.body is not None else b""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": endpoint.method.upper(),
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "HTTP_HOST": "127.0.0.1",
        "SERVER_NAME": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)) if body else "",
        "CONTENT_TYPE": "application/json" if body else "",
    }
    for name, value in endpoint.headers(seeded).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    setup_testing_defaults(environ)
    environ["_body"] = body
    return environ


def profile(name: str, seeded: dict[str, str], requests: int) -> dict[str, Any]:
    """The top of a cProfile over ``requests`` warm requests, called through the WSGI handler.

    Sorted by own time (``tottime``): where the CPU goes, rather than which frame encloses it.
    """
    import cProfile
    import io
    import pstats
    import time

    from django.core.wsgi import get_wsgi_application

    endpoint = next(e for e in ENDPOINTS if e.name == name)
    application = get_wsgi_application()
    template = _wsgi_environ(endpoint, seeded)
    statuses: list[str] = []

    def call() -> None:
        environ = dict(template)
        environ["wsgi.input"] = io.BytesIO(environ.pop("_body"))
        response = application(environ, lambda status, headers, exc_info=None: statuses.append(status))
        b"".join(response)
        response.close()

    for _ in range(50):  # warm: connections, caches, compiled plans
        call()
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(requests):
        call()
    profiler.disable()
    elapsed = time.perf_counter() - started
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(15)
    return {
        "endpoint": name,
        "requests": requests,
        "statuses": sorted(set(statuses)),
        "ms_per_request_profiled": round(elapsed * 1000 / requests, 3),
        "top": out.getvalue(),
    }


def apple_import(records: int) -> dict[str, Any]:
    """Generate an export.xml of ``records`` records, then run the import task on it in this process,
    as a Celery worker would: records/s, and the process's peak RSS before and after."""
    import resource
    import tempfile
    import time

    from django.core.files import File

    from health.importers.generator import write_apple_export
    from health.models import HealthImport
    from health.services import import_run
    from users.models import User

    user = User.objects.create_user("apple-import@bench.example", None, first_name="Apple")
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "export.xml"
        with path.open("wb") as out:
            generated = write_apple_export(out, records=records, seed=1)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with path.open("rb") as handle:
            record = HealthImport(
                tenant_id=user.tenant_id, user=user, format="apple_health", file_size=path.stat().st_size
            )
            record.file.save("bench-export.xml", File(handle), save=False)
            record.save()
        started = time.perf_counter()
        import_run(import_id=record.pk)
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    record.refresh_from_db()
    read = sum(record.read_counts.values())
    return {
        "records": generated.records,
        "elements_read": read,
        "file_mb": round(record.file_size / 1e6, 1),
        "status": record.status,
        "samples": record.sample_counts,
        "workouts": record.workouts_imported,
        "seconds": round(seconds, 1),
        "records_per_s": round(generated.records / seconds),
        "rss_before_mb": round(rss_before / 1024, 1),
        "peak_rss_mb": round(peak / 1024, 1),
    }


def _percentiles(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "runs": len(ordered),
        "p50_s": round(ordered[len(ordered) // 2], 3),
        "p95_s": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 3),
        "max_s": round(ordered[-1], 3),
    }


def planning(runs: int) -> dict[str, Any]:
    """Generated plans as a Celery worker builds them, in this process: ``runs`` 7-day, 4-meal
    plans (each a new seed) over the whole shipped SR28 catalogue, and programs of 4 weeks x 3
    days and 12 weeks x 6 days over the whole exercise catalogue. Each run is the task's body
    (read, optimize or lay out, write the rows), timed; the first plan also fills the process's
    catalogue cache, so it is reported apart."""
    import time
    from datetime import date
    from decimal import Decimal

    from django.core.management import call_command

    from meal.models import MealPlan
    from meal.planning import generation as meal_planning
    from users.models import Profile, User
    from workout.models import Program
    from workout.planning import service as program_planning

    call_command("import_foods", "usda-sr", shipped=True, if_empty=True, verbosity=0)
    call_command("import_exercises", shipped=True, if_empty=True, verbosity=0)
    user = User.objects.create_user("planning@bench.example", None, first_name="Plan")
    Profile.objects.for_tenant(user.tenant_id).filter(user=user).update(
        birth_date=date(1990, 3, 1), sex="female", height_cm=Decimal("168"), weight_kg=Decimal("66"),
        activity_level="moderate", fitness_goal="lose", allergens=["peanuts"],
    )  # fmt: skip
    request = {"days": 7, "meals_per_day": 4, "adaptive": False}

    def one_plan(seed: int) -> tuple[float, MealPlan]:
        plan = meal_planning.request_plan(user=user, request={**request, "seed": seed}, enqueue=False)
        started = time.perf_counter()
        meal_planning.run_plan(plan_id=plan.pk)
        return time.perf_counter() - started, MealPlan.objects.get(pk=plan.pk)

    cold, _ = one_plan(0)
    seconds, solver, feasible = [], [], 0
    for seed in range(1, runs + 1):
        took, plan = one_plan(seed)
        seconds.append(took)
        solver.append(plan.generation["result"]["seconds"])
        feasible += bool(plan.generation["result"]["feasible"])
    programs: dict[str, Any] = {}
    for label, weeks, days in (("4 weeks x 3 days", 4, 3), ("12 weeks x 6 days", 12, 6)):
        timings = []
        for seed in range(1, runs + 1):
            program = program_planning.request_program(
                user=user,
                request={
                    "weeks": weeks, "days_per_week": days, "session_minutes": 60, "goal": "hypertrophy",
                    "equipment": ["barbell", "dumbbell", "cable"], "experience": "intermediate", "seed": seed,
                },
                enqueue=False,
            )  # fmt: skip
            started = time.perf_counter()
            program_planning.run_program(program_id=program.pk)
            timings.append(time.perf_counter() - started)
            assert Program.objects.get(pk=program.pk).generation_status == "ready"
        programs[label] = _percentiles(timings)
    return {
        "meal_plan_7_days": {
            **_percentiles(seconds),
            "first_run_s": round(cold, 3),
            "optimizer_p50_s": _percentiles(solver)["p50_s"],
            "feasible_plans": feasible,
        },
        "programs": programs,
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in {"seed", "queries", "profile", "apple_import", "planning"}:
        sys.stderr.write("usage: django_side.py seed|queries|profile|apple_import|planning\n")
        return 2
    import django

    django.setup()
    if argv[1] == "seed":
        emit(seed())
    elif argv[1] == "queries":
        emit(count_queries(json.load(sys.stdin)))
    elif argv[1] == "apple_import":
        emit(apple_import(int(json.load(sys.stdin)["records"])))
    elif argv[1] == "planning":
        emit(planning(int(json.load(sys.stdin)["runs"])))
    else:
        job = json.load(sys.stdin)
        emit(profile(job["endpoint"], job["seeded"], int(job["requests"])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
