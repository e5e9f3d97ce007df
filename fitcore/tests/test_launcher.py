"""`manage.py serve` (what `make run` serves with) starts what the configuration needs and stops all of it."""

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from celery import Celery

from fitcore.launcher import Program, Supervisor

from .helpers import ROOT, clean_env

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")

STARTUP_SECONDS = 120  # generous: a loaded 2-core machine starts four Django processes at once


# --- the process table ---------------------------------------------------------------------


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    pgid: int
    state: str
    started: int  # clock ticks after boot: tells a reused pid from the original

    @property
    def alive(self) -> bool:
        return self.state != "Z"


def process_table() -> dict[int, Proc]:
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path("/proc", entry, "stat").read_text()
        except OSError:
            continue  # exited while we looked
        fields = stat[stat.rindex(")") + 2 :].split()
        table[int(entry)] = Proc(int(entry), int(fields[1]), int(fields[2]), fields[0], int(fields[19]))
    return table


def cmdline(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path("/proc", str(pid), "cmdline").read_bytes().replace(b"\0", b" ").decode()
    return ""


def instance_processes(launcher_pid: int) -> set[Proc]:
    """The launcher's descendants, plus every member of its children's process groups."""
    table = process_table()
    found: set[Proc] = set()
    frontier = {launcher_pid}
    while frontier:
        children = {proc for proc in table.values() if proc.ppid in frontier and proc not in found}
        found |= children
        frontier = {proc.pid for proc in children}
    groups = {proc.pid for proc in table.values() if proc.ppid == launcher_pid}
    return found | {proc for proc in table.values() if proc.pgid in groups}


def still_running(processes: set[Proc]) -> set[Proc]:
    table = process_table()
    return {proc for proc in processes if (now := table.get(proc.pid)) and now.started == proc.started and now.alive}


def wait_until_gone(processes: set[Proc], seconds: float = 15) -> set[Proc]:
    deadline = time.monotonic() + seconds
    while (left := still_running(processes)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


# --- a launcher run --------------------------------------------------------------------------


@dataclass
class Launch:
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, pattern: str) -> re.Match[str]:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if match := re.search(pattern, self.output()):
                return match
            assert self.process.poll() is None, f"serve exited early:\n{self.output()}"
            time.sleep(0.1)
        raise AssertionError(f"no {pattern!r} within {STARTUP_SECONDS}s:\n{self.output()}")

    def web_port(self) -> int:
        return int(self.wait_for(r"Listening at: http://127\.0\.0\.1:(\d+)").group(1))

    def realtime_port(self) -> int:
        return int(self.wait_for(r"Uvicorn running on http://127\.0\.0\.1:(\d+)").group(1))

    def programs(self) -> list[str]:
        """Which programs the launcher started, by their command lines."""
        kinds = []
        for proc in process_table().values():
            if proc.ppid == self.process.pid:
                line = cmdline(proc.pid)
                kinds += [
                    kind
                    for kind in ("gunicorn", "uvicorn", "worker", "beat", "run_periodic")
                    if f" {kind} " in f" {line} "
                ]
        return sorted(kinds)


def launcher_env(tmp_path: Path, **env: str) -> dict[str, str]:
    return clean_env(
        DJANGO_SETTINGS_MODULE="fitcore.settings.development",
        HOME=str(tmp_path),  # gunicorn's control socket lands in $HOME/.gunicorn
        FITCORE_ENV_FILE=str(tmp_path / ".env"),
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        MEDIA_ROOT=str(tmp_path / "media"),
        WEB_CONCURRENCY="1",
        **env,
    )


@contextlib.contextmanager
def launched(tmp_path: Path, env: dict[str, str], *, migrate: bool = False) -> Iterator[Launch]:
    if migrate:  # as `make run` does first: beat keeps its schedule in the database
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True
        )
    log = tmp_path / "serve.log"
    argv = [sys.executable, "manage.py", "serve", "--bind", "127.0.0.1:0", "--beat-schedule", str(tmp_path / "beat")]
    with log.open("wb") as out:
        # A session of its own: no process of this run ever shares a group with the test runner.
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    launch = Launch(process, log)
    try:
        yield launch
    finally:
        if process.poll() is None:  # the test failed half-way: leave nothing behind
            for proc in instance_processes(process.pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    if proc.pgid == os.getpgrp():
                        os.kill(proc.pid, signal.SIGKILL)
                    else:
                        os.killpg(proc.pgid, signal.SIGKILL)
            process.kill()
            process.wait(timeout=30)


def get(port: int, path: str) -> int:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
                return int(response.status)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def stop_and_check_everything_is_gone(launch: Launch) -> None:
    processes = instance_processes(launch.process.pid)
    assert processes
    launch.process.send_signal(signal.SIGTERM)
    assert launch.process.wait(timeout=60) == 0, launch.output()
    assert wait_until_gone(processes) == set(), launch.output()


@contextlib.contextmanager
def redis_keys_removed(redis_url: str, name: str) -> Iterator[None]:
    """Afterwards, delete the queue, its bindings and cache keys named after ``name``: a shared Redis stays tidy."""
    try:
        yield
    finally:
        client = redis.Redis.from_url(redis_url)
        try:
            keys = [name, f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}"]
            client.delete(*keys, *client.scan_iter(match=f"{name}:*"))
        finally:
            client.close()


def assert_websocket_answers(port: int) -> None:
    """The WebSocket route is served: a bad token gets the protocol's error frame and close code."""
    from websockets.sync.client import connect

    with connect(f"ws://127.0.0.1:{port}/ws/notifications/", open_timeout=10) as socket:
        socket.send('{"type": "authenticate", "token": "not-a-token"}')
        assert '"code":"token_not_valid"' in socket.recv(timeout=10).replace(" ", "")


# --- tests -------------------------------------------------------------------------------------


@pytest.mark.redis
def test_with_a_broker_serve_runs_a_worker_and_beat_and_stops_them_all(tmp_path: Path) -> None:
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("REDIS_URL unset: the embedded default has no broker")
    # A queue of this test's own: its worker takes no one else's tasks, and nobody else's worker takes its task.
    queue = f"test-serve-{uuid.uuid4().hex}"
    env = launcher_env(tmp_path, REDIS_URL=redis_url, CELERY_TASK_DEFAULT_QUEUE=queue, CACHE_KEY_PREFIX=queue)
    with redis_keys_removed(redis_url, queue), launched(tmp_path, env, migrate=True) as launch:
        assert get(launch.web_port(), "/healthz") == 200
        assert launch.programs() == ["beat", "gunicorn", "uvicorn", "worker"]
        client = Celery("serve-test", broker=redis_url, backend=redis_url, set_as_current=False)
        try:
            result = client.send_task("fitcore.ping", args=["through-serve"], queue=queue)
            assert result.get(timeout=STARTUP_SECONDS) == "through-serve"
        finally:
            client.close()
        launch.wait_for(rf"fitcore\.ping\[{result.id}\] succeeded")  # in the output of the worker it started
        launch.wait_for(r"beat: Starting")
        stop_and_check_everything_is_gone(launch)


def test_without_a_broker_serve_runs_only_the_web_server(tmp_path: Path) -> None:
    with launched(tmp_path, launcher_env(tmp_path)) as launch:
        assert get(launch.web_port(), "/healthz") == 200
        assert launch.programs() == ["gunicorn", "run_periodic", "uvicorn"]
        assert_websocket_answers(launch.realtime_port())
        stop_and_check_everything_is_gone(launch)
    assert "starting the web only" in launch.output()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_a_killed_launcher_takes_its_programs_with_it(tmp_path: Path) -> None:
    """SIGKILL leaves the launcher no chance to stop anything: the children notice on their own."""
    with launched(tmp_path, launcher_env(tmp_path)) as launch:
        assert get(launch.web_port(), "/healthz") == 200
        processes = instance_processes(launch.process.pid)
        assert processes

        launch.process.kill()
        launch.process.wait(timeout=30)

        assert wait_until_gone(processes) == set(), launch.output()


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


# A program with a child of its own, which must not outlive it; the child says when it runs.
SPAWNER = """
import subprocess, sys, time
child = "import pathlib, sys, time; pathlib.Path(sys.argv[1]).touch(); time.sleep(60)"
subprocess.Popen([sys.executable, "-c", child, sys.argv[1]])
time.sleep(60)
"""
STUBBORN = """
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
time.sleep(60)
"""
# Fails once the spawner's child is up, so that there is a grandchild to clean up.
FAILING = """
import pathlib, sys, time
while not pathlib.Path(sys.argv[1]).exists():
    time.sleep(0.01)
sys.exit(3)
"""


def test_when_one_program_exits_the_others_are_stopped_and_the_run_fails(tmp_path: Path) -> None:
    ready = str(tmp_path / "grandchild-ready")
    messages: list[str] = []
    supervisor = Supervisor(
        [
            Program("spawner", [sys.executable, "-c", SPAWNER, ready]),
            Program("stubborn", [sys.executable, "-c", STUBBORN]),
            Program("failing", [sys.executable, "-c", FAILING, ready]),
        ],
        env=clean_env(),
        cwd=tmp_path,
        shutdown_timeout=1.0,
        poll_interval=0.05,
        log=messages.append,
    )
    try:
        assert supervisor.run() == 3
    finally:
        groups = {child.process.pid for child in supervisor.children}
        members = {proc for proc in process_table().values() if proc.pgid in groups and proc.alive}
        # A killed process may still be on its way out for a moment (init reaps orphans).
        leftovers = wait_until_gone(members, seconds=10)
        for proc in leftovers:  # only if the supervisor failed to: never leave sleepers behind
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
    assert leftovers == set()
    assert "failing exited with code 3; stopping the rest" in messages
    assert "stubborn did not stop in time; killing it" in messages
    assert all(child.process.returncode is not None for child in supervisor.children)
