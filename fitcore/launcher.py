"""Start every process one FitCore instance needs, and stop them together (`manage.py serve`, `make run`).

Without a broker tasks run eagerly inside the web process, so the web server is all
an instance needs. With one, queued tasks (password-reset and verification emails
among them) run only if a Celery worker is there to take them, and periodic tasks
only if beat is there to send them: serving without either would look healthy while
queued work piled up. So the launcher starts what the configuration needs, and treats
any of them exiting as the end of the whole instance.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

# Ctrl-C, `kill`, and the terminal going away all stop the instance.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass(frozen=True)
class Program:
    name: str
    argv: Sequence[str]


def realtime_bind_for(bind: str) -> str:
    """The WebSocket server's HOST:PORT beside the web's: the next port (port 0, any free one, stays 0)."""
    host, _, port = bind.rpartition(":")
    return f"{host}:{int(port) + 1 if int(port) else 0}"


def instance_programs(
    *,
    bind: str,
    eager_tasks: bool,
    beat_schedule: Path,
    gunicorn_config: Path,
    realtime_bind: str | None = None,
    python: str = sys.executable,
) -> list[Program]:
    """What an instance runs: gunicorn and the WebSocket server always; a Celery worker and beat when
    tasks go through a broker, the in-process scheduler (``manage.py run_periodic``) when they do not."""
    host, _, port = (realtime_bind or realtime_bind_for(bind)).rpartition(":")
    programs = [
        Program(
            "web",
            [python, "-m", "gunicorn", "fitcore.wsgi:application", "--config", str(gunicorn_config), "--bind", bind],
        ),
        # WebSockets (/ws/notifications/) need an ASGI server; HTTP stays on gunicorn's fast sync workers.
        Program(
            "realtime",
            [python, "-m", "uvicorn", "fitcore.asgi:application", "--host", host, "--port", port, "--no-access-log"],
        ),
    ]
    if eager_tasks:
        # No broker, so no beat: the periodic tasks (outbox re-send, digest) run in a process of their own.
        programs.append(Program("scheduler", [python, "manage.py", "run_periodic"]))
    else:
        celery = [python, "-m", "celery", "-A", "fitcore"]
        programs += [
            Program("worker", [*celery, "worker", "--loglevel=INFO"]),
            Program("beat", [*celery, "beat", "--loglevel=INFO", f"--schedule={beat_schedule}"]),
        ]
    return programs


@dataclass
class _Child:
    program: Program
    process: subprocess.Popen[bytes]


class Supervisor:
    """Runs programs side by side until a stop signal arrives or any one of them exits.

    Each program leads a process group of its own: Ctrl-C reaches only the launcher,
    which then sends every program one SIGTERM (graceful shutdown for gunicorn and
    Celery alike), waits up to ``shutdown_timeout`` seconds, and SIGKILLs the group of
    any program still running. A second stop signal kills at once. The group of every
    program that has exited is swept with SIGKILL before it is reaped, so no worker
    process outlives its master.
    """

    def __init__(
        self,
        programs: Sequence[Program],
        *,
        env: Mapping[str, str],
        cwd: Path,
        shutdown_timeout: float = 30.0,
        poll_interval: float = 0.2,
        log: Callable[[str], None] = lambda message: print(message, file=sys.stderr, flush=True),
    ) -> None:
        self.programs = programs
        self.env = dict(env)
        self.cwd = cwd
        self.shutdown_timeout = shutdown_timeout
        self.poll_interval = poll_interval
        self.log = log
        self.children: list[_Child] = []
        self._stop_signal: int | None = None
        self._kill_now = False

    def run(self) -> int:
        """0 after a requested stop; non-zero when a program failed to start or exited on its own."""
        previous = {sig: signal.signal(sig, self._on_stop_signal) for sig in STOP_SIGNALS}
        try:
            try:
                code = self._start_and_watch()
            finally:
                self._stop_all()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return code

    def _on_stop_signal(self, signum: int, frame: FrameType | None) -> None:
        if self._stop_signal is None:
            self._stop_signal = signum
        else:
            self._kill_now = True

    def _start_and_watch(self) -> int:
        for program in self.programs:
            if self._stop_signal is not None:
                break
            try:
                # process_group=0: a group of its own, led by the program (see the class docstring).
                process = subprocess.Popen(  # noqa: S603 - argv is ours
                    program.argv, cwd=self.cwd, env=self.env, process_group=0, preexec_fn=_die_with_parent
                )
            except OSError as exc:
                self.log(f"could not start {program.name}: {exc}")
                return 1
            self.children.append(_Child(program, process))
            self.log(f"started {program.name} (pid {process.pid}): {' '.join(program.argv)}")
        while self._stop_signal is None:
            for child in self.children:
                if _has_exited(child.process):
                    code = self._reap(child)
                    self.log(f"{child.program.name} exited with code {code}; stopping the rest")
                    return code if code > 0 else 1
            time.sleep(self.poll_interval)
        self.log(f"{signal.Signals(self._stop_signal).name} received; stopping")
        return 0

    def _stop_all(self) -> None:
        running = [child for child in self.children if child.process.returncode is None]
        for child in running:
            with contextlib.suppress(ProcessLookupError):
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.shutdown_timeout
        while running and not self._kill_now and time.monotonic() < deadline:
            time.sleep(self.poll_interval)
            running = [child for child in running if not _has_exited(child.process)]
        for child in running:
            self.log(f"{child.program.name} did not stop in time; killing it")
            _kill_group(child.process.pid)
        for child in self.children:
            if child.process.returncode is None:
                self._reap(child)

    def _reap(self, child: _Child) -> int:
        if child.process.returncode is None:
            # Sweep the group while its exited leader is still unreaped: until then its
            # id cannot have been reused by an unrelated process.
            _kill_group(child.process.pid)
        return child.process.wait()


def _die_with_parent() -> None:
    """In the child, before exec: on Linux, get SIGTERM when the launcher dies, even by SIGKILL.

    Each program leads its own process group, so no signal sent to the launcher's group reaches
    it; without this a killed launcher would leave gunicorn, the worker and beat running.
    Elsewhere there is no such call, and a killed launcher orphans its programs.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)


def _has_exited(process: subprocess.Popen[bytes]) -> bool:
    """Whether ``process`` has exited, without reaping it (so its group id stays reserved)."""
    if process.returncode is not None:
        return True
    if not hasattr(os, "waitid"):  # then it is reaped here, and _reap skips the group sweep
        return process.poll() is not None
    try:
        return os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return process.poll() is not None


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
