"""Tasks and task helpers shared by every app."""

import logging
import threading
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import connections, transaction

logger = logging.getLogger(__name__)


@shared_task(name="fitcore.ping")
def ping(value: str = "pong") -> str:
    """Round trip through broker, worker and result backend; used by tests and operators."""
    return value


def enqueue_after_commit(task: object, **kwargs: object) -> None:
    """Queue ``task`` once the current transaction commits; never let queueing fail the request.

    After commit, so a worker never looks for rows that are not there yet (or never will
    be). Without a broker (the embedded default) Celery would run the task eagerly inside
    the request: then it runs in a thread of this process instead (TASKS_EAGER_IN_BACKGROUND),
    so that neither the request's timing (does this email have an account?) nor its cost
    (decoding an image) depends on the task. Tests keep it inline, to assert its effects.
    A task's failure is logged; it never turns into the request's 500.
    """

    def send() -> None:
        if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False) and getattr(
            settings, "TASKS_EAGER_IN_BACKGROUND", False
        ):
            threading.Thread(target=_run_in_background, args=(task, kwargs), name=f"task {_name(task)}").start()
            return
        _deliver(task, kwargs)

    transaction.on_commit(send)


def _name(task: object) -> str:
    return str(getattr(task, "name", task))


def _deliver(task: object, kwargs: dict[str, Any]) -> None:
    try:
        task.delay(**kwargs)  # type: ignore[attr-defined]
    except Exception:
        logger.exception("could not send %s", _name(task))


def _run_in_background(task: object, kwargs: dict[str, Any]) -> None:
    """Not a daemon thread: a worker shutting down (max_requests, SIGTERM) lets it finish."""
    try:
        _deliver(task, kwargs)
    finally:
        connections.close_all()  # this thread's own connections
