"""`make bench`: load-test FitCore under gunicorn + PostgreSQL (+ Redis) with wrk.

What it does, in order (bench/README.md has the details and the knobs):

1. installs wrk with apt-get when it is missing;
2. creates a fresh ``fitcore_bench`` database, migrates it and runs the seed
   functions of bench/endpoints.py inside Django (bench/django_side.py);
3. counts the SQL statements of one request per endpoint (Django test client);
4. starts gunicorn with the production settings and gunicorn.conf.py;
5. per endpoint: waits for gunicorn to be idle, checks nothing else loads the CPUs,
   runs a short wrk warm-up, then the measured wrk run (bench/report.lua), reading
   the CPU time gunicorn's processes spent from /proc before and after;
6. profiles the slowest endpoint in-process (cProfile, top 15 by own time);
7. writes bench/results/latest.json and profile.txt, and prints a table;
8. always stops gunicorn and drops the database, even on errors or Ctrl-C.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Any

import psycopg
import redis
import webhooks
from endpoints import BENCH_HEALTH_EMAIL, BENCH_WEBHOOK_CUSTOMERS, ENDPOINTS, Endpoint, validate
from psycopg import sql

import health as health_bench

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from payment.stripe_stub import StubStripeAPI, serve

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
RESULTS_FILE = RESULTS_DIR / "latest.json"
GUNICORN_LOG = RESULTS_DIR / "gunicorn.log"
PROFILE_FILE = RESULTS_DIR / "profile.txt"
# Requests profiled (in-process, after the load runs) for the slowest endpoint's summary.
PROFILE_REQUESTS = 2000
LUA_SCRIPT = BENCH_DIR / "report.lua"
# The venv's bin/, without resolving the python symlink out of the venv.
VENV_BIN = Path(sys.prefix) / "bin"

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DB_NAME = "fitcore_bench"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
REDIS_URL = "redis://127.0.0.1:6379/0"
CACHE_KEY_PREFIX = "fitcore-bench"
BASELINES = ("healthz", "readyz")
# Records in the generated Apple Health export the import benchmark reads (BENCH_APPLE_RECORDS).
APPLE_RECORDS = int(os.environ.get("BENCH_APPLE_RECORDS", "1000000"))
PLANNING_RUNS = int(os.environ.get("BENCH_PLANNING_RUNS", "20"))
MARKER = "BENCH_JSON "
# CPU use (all cores, %) with gunicorn idle above which the run is flagged as noisy.
NOISY_CPU_PCT = 20.0
# Processes that are part of every run: their CPU is the workload, not noise.
BENCH_COMMANDS = frozenset({"wrk", "postgres", "redis-server"})


class BenchError(Exception):
    """A failure with a message worth showing instead of a traceback."""


def env_int(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name, "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BenchError(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise BenchError(f"{name} must be >= {minimum}, got {value}")
    return value


def say(message: str) -> None:
    print(f"bench: {message}", flush=True)


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --- 1. wrk ------------------------------------------------------------------


def ensure_wrk() -> str:
    """Install wrk from the distribution if absent; return its version line."""
    if shutil.which("wrk") is None:
        say("wrk not found: running `apt-get update -qq && apt-get install -y -qq wrk`")
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
            done = subprocess.run(cmd, check=False, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
            if done.returncode != 0:
                raise BenchError(f"`{' '.join(cmd)}` failed (exit {done.returncode}); install wrk by hand")
        if shutil.which("wrk") is None:
            raise BenchError("apt-get reported success but wrk is still not on PATH")
        say("wrk installed")
    # `wrk -v` prints its banner and exits non-zero: only the first line matters.
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    lines = (out.stdout + out.stderr).strip().splitlines()
    return lines[0] if lines else "wrk (version unknown)"


# --- 2. environment, database, seeds -----------------------------------------


def redis_answers(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError):
        return False


def forget_cache_keys(url: str) -> None:
    """Drop keys a previous run left under the bench prefix (throttle history, probes)."""
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
    try:
        keys = list(client.scan_iter(match=f"{CACHE_KEY_PREFIX}:*", count=1000))
        if keys:
            client.delete(*keys)
    except (redis.RedisError, OSError) as exc:
        say(f"warning: could not clear {CACHE_KEY_PREFIX}:* keys in Redis ({exc.__class__.__name__})")
    finally:
        client.close()


def app_env(use_redis: bool, workers: int, max_requests: int) -> dict[str, str]:
    """The environment for every app process: migrate, seeds, SQL count, gunicorn."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "fitcore.settings.production",
            "DATABASE_URL": DATABASE_URL,
            # 64 URL-safe characters: production.py refuses anything short or "insecure-".
            "SECRET_KEY": secrets.token_urlsafe(48),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_HSTS_SECONDS": "0",
            # An access log line per request would measure the log, not the app.
            "LOG_LEVEL": "WARNING",
            "ACCESS_LOG_LEVEL": "WARNING",
            "CACHE_KEY_PREFIX": CACHE_KEY_PREFIX,
            # One wrk client is one principal: lift its limits so the run is not all 429s.
            # The throttle's cache read and write still happen on every request.
            "THROTTLE_RATE_USER": "10000000/min",
            "THROTTLE_RATE_ANON": "10000000/min",
            "THROTTLE_RATE_API_KEY": "10000000/min",
            "THROTTLE_RATE_PAYMENTS": "10000000/min",
            "WEB_CONCURRENCY": str(workers),
            # Worker recycling off by default: a recycled worker re-imports Django (seconds of
            # CPU) and at thousands of req/s that happens several times per run, charging boot
            # time to whichever endpoint is running. BENCH_MAX_REQUESTS=10000 restores production's.
            "GUNICORN_MAX_REQUESTS": str(max_requests),
            "PYTHONUNBUFFERED": "1",
        }
    )
    if use_redis:
        env["REDIS_URL"] = REDIS_URL
    else:
        env.pop("REDIS_URL", None)
    return env


def admin_connection() -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise BenchError(f"cannot reach PostgreSQL at {PG_ADMIN_URL}: {exc}") from exc


def drop_database() -> None:
    with admin_connection() as conn:
        # FORCE: a connection left over by a killed run must not keep the database alive.
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME)))


def create_database() -> str:
    """Fresh database; returns the server version for the report."""
    drop_database()
    with admin_connection() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


def clean_up_data(use_redis: bool) -> None:
    with signals_deferred():
        drop_database()
        if use_redis:
            forget_cache_keys(REDIS_URL)
    say(f"dropped database {DB_NAME}")


def run_app(args: list[str], env: dict[str, str], what: str, stdin: str | None = None) -> str:
    """Run a Python process of the app; show its output only when it fails."""
    done = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if done.returncode != 0:
        raise BenchError(f"{what} failed (exit {done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-5000:]}")
    return done.stdout


def django_side(command: str, env: dict[str, str], stdin: Any = None) -> Any:
    """Run bench/django_side.py and return the JSON it printed."""
    out = run_app(
        [str(BENCH_DIR / "django_side.py"), command],
        env,
        f"django_side.py {command}",
        stdin=None if stdin is None else json.dumps(stdin),
    )
    for line in reversed(out.splitlines()):
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER) :])
    raise BenchError(f"django_side.py {command} printed no result line:\n{out[-3000:]}")


def check_queries(report: dict[str, dict[str, Any]]) -> None:
    bad = {name: row for name, row in report.items() if not 200 <= row["status"] < 300}
    if bad:
        details = "\n".join(f"  {name}: HTTP {row['status']} {row['body']}" for name, row in bad.items())
        raise BenchError(
            f"these endpoints do not answer 2xx to a single request, so wrk would only count errors:\n{details}"
        )


# --- 4. gunicorn -------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_live(proc: subprocess.Popen[bytes], base_url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"gunicorn exited with {proc.returncode} while starting:\n{tail(GUNICORN_LOG)}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:  # noqa: S310 - our own URL
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise BenchError(f"/healthz did not answer 200 within {timeout:.0f}s:\n{tail(GUNICORN_LOG)}")


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Ignore Ctrl-C / SIGTERM while cleaning up, so a second one cannot leave gunicorn or the database behind."""
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def stop_process_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the whole group (master and workers), SIGKILL what is left after a grace period."""
    pgid = proc.pid  # start_new_session=True: the master leads its own group
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        try:
            proc.wait(timeout=25)
        except subprocess.TimeoutExpired:
            say("gunicorn did not stop within 25s: SIGKILL")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            proc.wait(timeout=10)
    # Workers orphaned by a master that died first are still in the group.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


@dataclass
class Server:
    """The gunicorn under test: where it listens, and whether it is still healthy."""

    proc: subprocess.Popen[bytes]
    base_url: str

    def ensure_alive(self) -> None:
        if self.proc.poll() is not None:
            raise BenchError(f"gunicorn died during the run (exit {self.proc.returncode}):\n{tail(GUNICORN_LOG)}")

    def group_cpu_ticks(self) -> int:
        """CPU time (clock ticks) used so far by every live process of gunicorn's process group."""
        return sum(ticks for pgrp, ticks, _ in process_cpu_ticks().values() if pgrp == self.proc.pid)

    def wait_idle(self, timeout: float = 45.0) -> None:
        """Wait until no worker is busy booting.

        /healthz answers as soon as one worker is up while the others still import
        Django (seconds of CPU on 2 cores), and a recycled worker does the same:
        measuring then would charge the boot to the endpoint.
        """
        tick = os.sysconf("SC_CLK_TCK")
        deadline = time.monotonic() + timeout
        before = self.group_cpu_ticks()
        while time.monotonic() < deadline:
            time.sleep(0.5)
            self.ensure_alive()
            after = self.group_cpu_ticks()
            # Under 10 % of one core over the half second: idle (the dead are not counted, hence max).
            if max(after - before, 0) <= 0.05 * tick:
                return
            before = after
        say(f"warning: gunicorn still busy after waiting {timeout:.0f}s for it to settle; measuring anyway")

    def worker_restarts(self) -> int:
        """Workers recycled so far by max_requests (gunicorn.conf.py): each one re-imports Django mid-run."""
        try:
            return GUNICORN_LOG.read_text(errors="replace").count("Autorestarting worker")
        except OSError:
            return 0


@contextlib.contextmanager
def gunicorn(env: dict[str, str]) -> Iterator[Server]:
    """A running gunicorn for the duration of the block."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    cmd = [
        str(VENV_BIN / "gunicorn"),
        "fitcore.wsgi:application",
        "--config",
        "gunicorn.conf.py",
        "--bind",
        f"127.0.0.1:{port}",
        # Otherwise this throwaway server takes over the shared ~/.gunicorn/gunicorn.ctl
        # of any other gunicorn on the machine (e.g. `make run`).
        "--no-control-socket",
    ]
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    with GUNICORN_LOG.open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        say(f"gunicorn starting on {base_url} ({env['WEB_CONCURRENCY']} workers, log: {GUNICORN_LOG})")
        wait_until_live(proc, base_url)
        server = Server(proc, base_url)
        yield server
        server.ensure_alive()
    finally:
        with signals_deferred():
            stop_process_group(proc)
        say("gunicorn stopped")


def cpu_count() -> int:
    """CPUs this process may run on (what `nproc` prints)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def process_cpu_ticks() -> dict[int, tuple[int, int, str]]:
    """pid -> (process group, CPU ticks used so far, command name), for every process in /proc."""
    found: dict[int, tuple[int, int, str]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                raw = stat.read()
            # The command name may contain spaces and parentheses: fields are counted after the last ")".
            comm, rest = raw[raw.index("(") + 1 : raw.rindex(")")], raw[raw.rindex(")") + 1 :].split()
            found[int(entry.name)] = (int(rest[2]), int(rest[11]) + int(rest[12]), comm)
        except (OSError, ValueError, IndexError):
            continue
    return found


def background_load(seconds: float = 0.5) -> tuple[float | None, list[str]]:
    """CPU busy (% of all CPUs) over a short window with gunicorn idle, and the busiest processes.

    Anything else running skews a 2-core benchmark; naming the culprits saves a guess.
    """

    def machine() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
        return sum(values), values[3] + (values[4] if len(values) > 4 else 0)  # total, idle + iowait

    try:
        total0, idle0 = machine()
        procs0 = process_cpu_ticks()
        time.sleep(seconds)
        total1, idle1 = machine()
        procs1 = process_cpu_ticks()
    except (OSError, ValueError, IndexError):
        return None, []
    elapsed = total1 - total0
    if elapsed <= 0:
        return None, []
    busiest = sorted(
        ((ticks - procs0[pid][1], f"{comm}[{pid}]") for pid, (_, ticks, comm) in procs1.items() if pid in procs0),
        reverse=True,
    )
    # Per-process shares are of one CPU (100 % = a core); elapsed counts ticks of all CPUs.
    culprits = [f"{name} {100.0 * used * cpu_count() / elapsed:.0f}%" for used, name in busiest[:3] if used > 0]
    return round(100.0 * (1 - (idle1 - idle0) / elapsed), 1), culprits


def other_cpu(
    before: dict[int, tuple[int, int, str]], after: dict[int, tuple[int, int, str]], seconds: float, server: Server
) -> tuple[float, list[str]]:
    """CPU (% of all CPUs) that processes outside the benchmark used during a run, and the busiest.

    The benchmark is gunicorn's process group, wrk, PostgreSQL and Redis; anything
    else (a test suite, a build) competes for the same cores. Processes that ended
    during the run are missed, so this is a lower bound.
    """
    tick = os.sysconf("SC_CLK_TCK")
    used: list[tuple[int, str]] = []
    for pid, (pgrp, ticks, comm) in after.items():
        if pgrp == server.proc.pid or comm in BENCH_COMMANDS or pid == os.getpid():
            continue
        delta = ticks - before[pid][1] if pid in before else ticks
        if delta > 0:
            used.append((delta, f"{comm}[{pid}]"))
    if seconds <= 0:
        return 0.0, []
    used.sort(reverse=True)
    pct = 100.0 * sum(delta for delta, _ in used) / tick / seconds / cpu_count()
    return round(pct, 1), [f"{name} {100.0 * delta / tick / seconds:.0f}%" for delta, name in used[:3]]


# --- 5. wrk runs -------------------------------------------------------------


def run_wrk(
    url: str, endpoint: Endpoint, headers: dict[str, str], threads: int, connections: int, seconds: int
) -> dict[str, Any]:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(LUA_SCRIPT)]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    cmd.append(url)
    env = {**os.environ, "BENCH_METHOD": endpoint.method.upper()}
    env["BENCH_BODY"] = "" if endpoint.body is None else json.dumps(endpoint.body)
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env, timeout=seconds + 60)
    if done.returncode != 0:
        raise BenchError(f"wrk failed for {endpoint.name} (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                parsed = json.loads(line)
                if isinstance(parsed, dict) and "requests_per_s" in parsed:
                    return parsed
    raise BenchError(f"wrk printed no report line for {endpoint.name}:\n{done.stdout}{done.stderr}")


# --- 7. report ---------------------------------------------------------------


def cpu_ms_per_request(ticks: int, requests: int) -> float | None:
    """CPU the app server (gunicorn's process group) spent per request: steadier than req/s here.

    From /proc utime+stime of the live processes, so a worker recycled mid-run would take
    its ticks with it (the bench runs with max_requests off by default).
    """
    if requests <= 0 or ticks < 0:
        return None
    return round(ticks / os.sysconf("SC_CLK_TCK") * 1000 / requests, 4)


def ratio(value: float, base: float | None) -> float | None:
    return round(value / base, 3) if base else None


def build_rows(
    measured: dict[str, dict[str, Any]], queries: dict[str, dict[str, Any]], seeded: dict[str, dict[str, str]]
) -> list[dict[str, Any]]:
    base = {name: measured[name]["requests_per_s"] for name in BASELINES if name in measured}
    rows = []
    for endpoint in ENDPOINTS:
        wrk = measured[endpoint.name]
        rows.append(
            {
                "name": endpoint.name,
                "method": endpoint.method.upper(),
                "path": endpoint.resolved_path(seeded.get(endpoint.name, {})),
                "auth": endpoint.auth,
                "requests_per_s": round(wrk["requests_per_s"], 1),
                "latency_ms": {key: round(wrk["latency_ms"][key], 3) for key in ("p50", "p90", "p99")},
                "requests": wrk["requests"],
                "errors": wrk["errors"],
                "error_detail": wrk["error_detail"],
                "queries_per_request": queries[endpoint.name]["queries"],
                "background_cpu_pct": wrk["background_cpu_pct"],
                "other_cpu_pct": wrk["other_cpu_pct"],
                "worker_restarts": wrk["worker_restarts"],
                "app_cpu_ms_per_request": wrk["app_cpu_ms_per_request"],
                "sql": queries[endpoint.name]["sql"],
                "ratio_to_healthz": ratio(wrk["requests_per_s"], base.get("healthz")),
                "ratio_to_readyz": ratio(wrk["requests_per_s"], base.get("readyz")),
            }
        )
    return rows


def format_table(rows: list[dict[str, Any]]) -> str:
    header = [
        "endpoint",
        "method",
        "path",
        "req/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "requests",
        "errors",
        "queries",
        "CPU ms/req",
        "x healthz",
        "x readyz",
    ]

    def fmt_ratio(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    table = [header] + [
        [
            row["name"],
            row["method"],
            row["path"],
            f"{row['requests_per_s']:.1f}",
            f"{row['latency_ms']['p50']:.2f}",
            f"{row['latency_ms']['p90']:.2f}",
            f"{row['latency_ms']['p99']:.2f}",
            str(row["requests"]),
            str(row["errors"]),
            str(row["queries_per_request"]),
            "-" if row["app_cpu_ms_per_request"] is None else f"{row['app_cpu_ms_per_request']:.3f}",
            fmt_ratio(row["ratio_to_healthz"]),
            fmt_ratio(row["ratio_to_readyz"]),
        ]
        for row in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    # Text columns left-aligned, numbers right-aligned.
    lines = []
    for line in table:
        cells = [cell.ljust(widths[i]) if i < 3 else cell.rjust(widths[i]) for i, cell in enumerate(line)]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


# --- main --------------------------------------------------------------------


def _raise_on_signal(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    started = time.monotonic()
    validate(ENDPOINTS)
    workers = env_int("BENCH_WORKERS", 2)
    threads = env_int("BENCH_THREADS", 2)
    connections = env_int("BENCH_CONNECTIONS", 16)
    duration = env_int("BENCH_DURATION", 10)
    warmup = env_int("BENCH_WARMUP", 2, minimum=0)
    max_requests = env_int("BENCH_MAX_REQUESTS", 0, minimum=0)
    if connections < threads:
        raise BenchError(f"BENCH_CONNECTIONS ({connections}) must be >= BENCH_THREADS ({threads}) for wrk")

    wrk_version = ensure_wrk()
    without_redis = "REDIS_URL unset (local-memory cache, eager Celery, no broker check)"
    if os.environ.get("BENCH_REDIS", "1").strip().lower() in {"0", "false", "no", "off"}:
        use_redis = False
        say(f"BENCH_REDIS=0: {without_redis}")
    elif redis_answers(REDIS_URL):
        use_redis = True
        say(f"Redis answers at {REDIS_URL}: cache and Celery broker use it")
        forget_cache_keys(REDIS_URL)
    else:
        use_redis = False
        say(f"Redis does not answer at {REDIS_URL}: {without_redis}")
    env = app_env(use_redis, workers, max_requests)
    # Stripe's API, answered by the local stub over HTTP (the checkout endpoint calls it), and a
    # webhook signing secret for bench/webhooks.py.
    stripe_stub, stripe_url = serve(StubStripeAPI())
    webhook_secret = f"whsec_{secrets.token_hex(16)}"
    env.update(
        {"STRIPE_SECRET_KEY": "sk_test_bench", "STRIPE_API_BASE": stripe_url, "STRIPE_WEBHOOK_SECRET": webhook_secret}
    )

    with contextlib.ExitStack() as cleanup:
        cleanup.callback(stripe_stub.shutdown)
        say(f"creating database {DB_NAME}")
        pg_version = create_database()
        cleanup.callback(clean_up_data, use_redis)

        say("migrating")
        run_app(["manage.py", "migrate", "--noinput"], env, "manage.py migrate")
        say("seeding")
        seeded: dict[str, dict[str, str]] = django_side("seed", env)
        say("counting SQL queries per request")
        queries: dict[str, dict[str, Any]] = django_side("queries", env, stdin=seeded)
        check_queries(queries)

        measured: dict[str, dict[str, Any]] = {}
        with gunicorn(env) as server:
            for endpoint in ENDPOINTS:
                values = seeded.get(endpoint.name, {})
                url = server.base_url + endpoint.resolved_path(values)
                headers = endpoint.headers(values)
                server.wait_idle()
                background, culprits = background_load()
                if background is not None and background > NOISY_CPU_PCT:
                    say(
                        f"warning: CPUs {background:.0f}% busy before {endpoint.name} while gunicorn was idle "
                        f"(busiest: {', '.join(culprits) or 'unknown'}): results will be noisy"
                    )
                if warmup:
                    run_wrk(url, endpoint, headers, threads, connections, warmup)
                    server.wait_idle()
                restarts_before = server.worker_restarts()
                procs_before, started_run = process_cpu_ticks(), time.monotonic()
                app_ticks_before = server.group_cpu_ticks()
                result = run_wrk(url, endpoint, headers, threads, connections, duration)
                app_ticks = server.group_cpu_ticks() - app_ticks_before
                other, others = other_cpu(procs_before, process_cpu_ticks(), time.monotonic() - started_run, server)
                server.ensure_alive()
                if other > NOISY_CPU_PCT:
                    say(
                        f"warning: other processes used {other:.0f}% of the CPUs during {endpoint.name} "
                        f"({', '.join(others)}): results will be noisy"
                    )
                result["background_cpu_pct"] = background
                result["other_cpu_pct"] = other
                result["worker_restarts"] = server.worker_restarts() - restarts_before
                result["app_cpu_ms_per_request"] = cpu_ms_per_request(app_ticks, result["requests"])
                measured[endpoint.name] = result
                say(
                    f"{endpoint.name}: {result['requests_per_s']:.1f} req/s, "
                    f"{result['app_cpu_ms_per_request'] or 0:.3f} CPU ms/request, "
                    f"p50 {result['latency_ms']['p50']:.2f} ms, p99 {result['latency_ms']['p99']:.2f} ms, "
                    f"{result['errors']} errors, {result['worker_restarts']} worker restarts"
                )

            say(f"webhooks: {BENCH_WEBHOOK_CUSTOMERS} customers' life cycles, signed, one POST at a time")
            server.wait_idle()
            hooks = webhooks.measure(server.base_url, webhook_secret, BENCH_WEBHOOK_CUSTOMERS)
            overall = hooks["by_type"]["all events"]
            say(
                f"webhooks: {overall['events']} events, p50 {overall['p50_ms']:.2f} ms, "
                f"p99 {overall['p99_ms']:.2f} ms, {hooks['errors']} errors"
            )

            say("health ingestion: batches of 1,000 and 10,000 through the API, and COPY of the same rows")
            server.wait_idle()
            ingestion = health_bench.measure(
                server.base_url, seeded["health-data"]["jwt"], DATABASE_URL, BENCH_HEALTH_EMAIL
            )
            say("health summary over a user with 1,000,000 samples, one request at a time")
            summaries = health_bench.summary_latency(
                server.base_url, seeded["health-data"]["jwt"], seeded["health-summary-30d"]
            )
            for label, row in summaries.items():
                say(
                    f"health summary {label} ({row['samples_aggregated']:,} samples): p50 {row['p50_ms']} ms, "
                    f"p95 {row['p95_ms']} ms, p99 {row['p99_ms']} ms"
                )
            for size, row in ingestion.items():
                say(
                    f"health ingestion {size}: API {row['api_samples_per_s']:,} samples/s, COPY "
                    f"{row['copy_samples_per_s']:,}/s, ratio {row['ratio_to_copy']}"
                )

        say(f"generated plans: {PLANNING_RUNS} 7-day meal plans and programs, each as its worker task runs it")
        plans = django_side("planning", env, stdin={"runs": PLANNING_RUNS})
        meal_row = plans["meal_plan_7_days"]
        say(
            f"meal plan, 7 days x 4 meals: p50 {meal_row['p50_s']} s, p95 {meal_row['p95_s']} s over "
            f"{meal_row['runs']} runs (first run {meal_row['first_run_s']} s; {meal_row['feasible_plans']} feasible)"
        )
        for label, row in plans["programs"].items():
            say(f"program, {label}: p50 {row['p50_s']} s, p95 {row['p95_s']} s over {row['runs']} runs")

        say("Apple Health import: a generated export.xml of 1,000,000 records through the import task")
        apple = django_side("apple_import", env, stdin={"records": APPLE_RECORDS})
        say(
            f"Apple import: {apple['records']:,} records in {apple['seconds']} s, {apple['records_per_s']:,} "
            f"records/s, worker peak RSS {apple['peak_rss_mb']} MB"
        )

        candidates = [e for e in ENDPOINTS if e.name not in BASELINES]
        slowest = min(candidates, key=lambda e: measured[e.name]["requests_per_s"])
        say(f"profiling the slowest endpoint, {slowest.name} ({PROFILE_REQUESTS} requests in-process)")
        profiled = django_side(
            "profile",
            env,
            stdin={"endpoint": slowest.name, "seeded": seeded.get(slowest.name, {}), "requests": PROFILE_REQUESTS},
        )

    rows = build_rows(measured, queries, seeded)
    report = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "machine": {
            "nproc": cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "postgres": pg_version,
            "django": package_version("Django"),
            "gunicorn": package_version("gunicorn"),
            "gunicorn_workers": workers,
            "gunicorn_max_requests": max_requests,
            "redis": use_redis,
            "wrk": {
                "version": wrk_version,
                "threads": threads,
                "connections": connections,
                "duration_s": duration,
                "warmup_s": warmup,
            },
        },
        "endpoints": rows,
        "webhooks": hooks,
        "health_ingestion": ingestion,
        "health_summary": summaries,
        "apple_import": apple,
        "generated_plans": plans,
        "profile": {key: value for key, value in profiled.items() if key != "top"} | {"file": PROFILE_FILE.name},
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(report, indent=2) + "\n")
    PROFILE_FILE.write_text(
        f"{profiled['endpoint']}: {profiled['requests']} requests through the WSGI handler in-process, "
        f"{profiled['ms_per_request_profiled']} ms each under cProfile (statuses {', '.join(profiled['statuses'])})\n"
        f"{profiled['top']}"
    )

    print()
    print(format_table(rows))
    print()
    print(webhooks.format_table(hooks))
    print()
    print(health_bench.format_table(ingestion))
    meal_row = plans["meal_plan_7_days"]
    print(
        f"meal plan generation (7 days x 4 meals): p50 {meal_row['p50_s']} s, p95 {meal_row['p95_s']} s "
        f"({meal_row['runs']} runs); programs: "
        + ", ".join(f"{label} p50 {row['p50_s']} s" for label, row in plans["programs"].items())
    )
    print(
        f"apple import: {apple['records']:,} records, {apple['seconds']} s, {apple['records_per_s']:,} records/s, "
        f"peak RSS {apple['peak_rss_mb']} MB (before the import: {apple['rss_before_mb']} MB)"
    )
    print()
    errors = sum(row["errors"] for row in rows)
    restarts = sum(row["worker_restarts"] for row in rows)
    if restarts:
        say(f"note: {restarts} gunicorn worker restart(s) (max_requests) during measured runs; see worker_restarts")
    noisy = [row["name"] for row in rows if max(row["background_cpu_pct"] or 0, row["other_cpu_pct"]) > NOISY_CPU_PCT]
    if noisy:
        say(f"warning: the machine was busy during {', '.join(noisy)}: rerun on a quiet machine to compare numbers")
    say(f"profile of {profiled['endpoint']}: {PROFILE_FILE.relative_to(ROOT)}")
    say(f"wrote {RESULTS_FILE.relative_to(ROOT)} in {time.monotonic() - started:.0f}s")
    if errors:
        say(f"warning: {errors} failed or non-2xx responses in total (see error_detail in the JSON)")
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _raise_on_signal)
    signal.signal(signal.SIGHUP, _raise_on_signal)
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr, flush=True)
        sys.exit(1)
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr, flush=True)
        sys.exit(130)
