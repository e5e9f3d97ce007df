"""`make fuzz` / `make fuzz-long`: schemathesis over every operation, as every kind of caller.

1. a throw-away database: ``<DATABASE_URL's name>_fuzz_<pid>`` on PostgreSQL when DATABASE_URL
   names one (CI), else a temporary SQLite file; migrated, then seeded by fuzz/seed.py;
2. gunicorn with the test settings (eager tasks, in-memory mail), a random SECRET_KEY and the
   sign-in lockout lifted for the run (throttles are already lifted by the test settings);
3. per principal (anonymous, API key, member, tenant admin): ``st run`` with every check,
   positive and negative data, a fixed seed, the configuration in fuzz/schemathesis.toml plus
   the ids that exist for that principal; fuzz/hooks.py authenticates each request;
4. gunicorn stopped and the database dropped, whatever happened.

Exits non-zero if any run reported a failure. Reports land in fuzz/results/<principal>.txt.
Nothing here names an operation: a new route is fuzzed as soon as it is in the schema.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

FUZZ_DIR = Path(__file__).resolve().parent
ROOT = FUZZ_DIR.parent
RESULTS = FUZZ_DIR / "results"
CONFIG = FUZZ_DIR / "schemathesis.toml"
VENV_BIN = Path(sys.prefix) / "bin"
PRINCIPALS = ("anon", "key", "member", "admin")


def log(message: str) -> None:
    print(f"[fuzz] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def database(env: dict[str, str], scratch: Path) -> Iterator[None]:
    """A database of our own for this run: PostgreSQL beside DATABASE_URL's, or a SQLite file."""
    url = env.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(scratch / "fuzz.sqlite3")
        yield
        return
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'fitcore'}_fuzz_{os.getpid()}"[:63]
    admin_url = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    env["DATABASE_URL"] = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    try:
        yield
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def wait_until_up(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError),
            urllib.request.urlopen(url, timeout=2) as response,  # noqa: S310 - our own local server
        ):
            if response.status == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"the server did not answer {url} within {seconds:.0f} s")


@contextlib.contextmanager
def server(env: dict[str, str], port: int, log_file: Path, *options: str) -> Iterator[str]:
    """gunicorn with two workers on ``port`` until the block ends (``options`` are added to its command line)."""
    base_url = f"http://127.0.0.1:{port}"
    with log_file.open("w") as output:
        process = subprocess.Popen(
            [
                *(str(VENV_BIN / "gunicorn"), "fitcore.wsgi:application", "-c", "gunicorn.conf.py"),
                *("--bind", f"127.0.0.1:{port}", "--workers", "2", *options),
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(f"{base_url}/healthz", 60)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def config_for(world: dict[str, object], scratch: Path, principal: str) -> Path:
    """fuzz/schemathesis.toml plus the ids that exist for this principal, so detail routes are reached."""
    ids = [int(i) for i in world.get("ids", [])]  # type: ignore[attr-defined]
    text = CONFIG.read_text(encoding="utf-8")
    if ids:
        text += (
            "\n# Added by fuzz/run.py: ids of rows this principal can reach.\n"
            f"[dictionaries.existing-ids]\nvalues = {json.dumps(ids)}\n\n"
            '[parameters]\n"path.id" = { dictionary = "existing-ids", probability = 0.5 }\n'
        )
    path = scratch / f"schemathesis-{principal}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def too_few_cases(report: str, examples: int) -> str | None:
    """The time budget must not cut the run short of ``examples`` cases per operation (on average)."""
    operations = re.search(r"Selected: (\d+)/\d+", report)
    generated = re.search(r"(\d+) generated", report)
    if not operations or not generated:
        return "no summary in the report: did schemathesis run?"
    wanted = int(operations.group(1)) * examples
    if int(generated.group(1)) < wanted:
        count, ops = generated.group(1), operations.group(1)
        return f"only {count} test cases for {ops} operations (wanted {wanted}): raise --seconds"
    return None


def fuzz(args: argparse.Namespace) -> int:
    RESULTS.mkdir(exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="fitcore-fuzz-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fitcore.settings.testing",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "MEDIA_ROOT": str(scratch / "media"),
        # The fuzzer guesses passwords by the thousand: the lockout would only lock the principals out.
        "AXES_FAILURE_LIMIT": "1000000",
        # gunicorn keeps a control socket under $HOME; ours must not meet another instance's.
        "HOME": str(scratch),
        "PYTHONPATH": str(ROOT),
    }
    # Stripe's API, answered by the local stub: checkout and portal run through the official
    # client as in production instead of answering 503 payments_not_configured.
    sys.path.insert(0, str(ROOT))
    from payment.stripe_stub import StubStripeAPI, serve

    stripe_stub, stripe_url = serve(StubStripeAPI())
    env.update(
        {
            "STRIPE_SECRET_KEY": "sk_test_fuzz",
            "STRIPE_API_BASE": stripe_url,
            "STRIPE_WEBHOOK_SECRET": f"whsec_{secrets.token_hex(16)}",
            "STRIPE_MAX_NETWORK_RETRIES": "0",
        }
    )
    started = time.monotonic()
    failed: list[str] = []
    try:
        with database(env, scratch):
            log("migrating a fresh database")
            python = str(VENV_BIN / "python")
            subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
            seeded = subprocess.run(
                [python, "-m", "fuzz.seed"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
            )
            world = json.loads(seeded.stdout)
            with server(env, free_port(), RESULTS / "gunicorn.log") as base_url:
                share = max(30, args.seconds // len(args.principals)) if args.seconds else 0
                for principal in args.principals:
                    config = config_for(world.get(principal, {}), scratch, principal)
                    command = [str(VENV_BIN / "st"), "--no-color", "--config-file", str(config), "run"]
                    # Every credential of the run is throw-away: show requests as they were sent.
                    command += ["--output-sanitize", "false"]
                    command += [f"{base_url}/api/schema/", "--checks", "all", "--mode", "all"]
                    command += ["--max-examples", str(args.examples), "--seed", str(args.seed)]
                    command += ["--workers", str(args.workers)]
                    if share:  # fuzzing repeats until the principal's share of the budget is spent
                        command += ["--max-time", str(share)]
                    run_env = {
                        **env,
                        "FUZZ_PRINCIPAL": principal,
                        "FUZZ_WORLD": json.dumps(world),
                        "FUZZ_BASE_URL": base_url,
                        "SCHEMATHESIS_HOOKS": "fuzz.hooks",
                    }
                    budget = f"for {share} s" if share else "once through"
                    log(f"{principal}: at least {args.examples} examples per operation, {budget}")
                    report = RESULTS / f"{principal}.txt"
                    with report.open("w") as output:
                        result = subprocess.run(command, cwd=ROOT, env=run_env, stdout=output, stderr=subprocess.STDOUT)
                    text = report.read_text(encoding="utf-8")
                    summary = " ".join(text.strip().splitlines()[-1:]).strip("= ")
                    log(f"{principal}: {summary} (exit {result.returncode}; {report})")
                    short = too_few_cases(text, args.examples)
                    if short:
                        log(f"{principal}: {short}")
                    if result.returncode != 0 or short:
                        failed.append(principal)
    finally:
        stripe_stub.shutdown()
        shutil.rmtree(scratch, ignore_errors=True)
    log(f"done in {time.monotonic() - started:.0f} s; failing principals: {', '.join(failed) or 'none'}")
    for principal in failed:
        print((RESULTS / f"{principal}.txt").read_text(encoding="utf-8"))
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=25, help="examples per operation and principal (minimum)")
    parser.add_argument(
        "--seconds", type=int, default=600, help="time budget of the whole run, shared out; 0: one pass, however long"
    )
    parser.add_argument("--seed", type=int, default=20261201)
    # One: schemathesis' generation threads have raced inside CPython's ast module on 3.11
    # ("AST constructor recursion depth mismatch"), and the server has two workers to keep busy.
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--principals", nargs="+", choices=PRINCIPALS, default=list(PRINCIPALS))
    return fuzz(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
