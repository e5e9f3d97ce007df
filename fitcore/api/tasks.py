"""Tasks and task helpers shared by every app."""

import logging

from celery import shared_task
from django.db import transaction

logger = logging.getLogger(__name__)


@shared_task(name="fitcore.ping")
def ping(value: str = "pong") -> str:
    """Round trip through broker, worker and result backend; used by tests and operators."""
    return value


def enqueue_after_commit(task: object, **kwargs: object) -> None:
    """Queue ``task`` once the current transaction commits; never let queueing fail the request.

    After commit, so a worker never looks for rows that are not there yet (or never will
    be). Without a broker (the embedded default) tasks run eagerly inside this call, so a
    task's failure would otherwise surface as a 500 after the change was already saved.
    """

    def send() -> None:
        try:
            task.delay(**kwargs)  # type: ignore[attr-defined]
        except Exception:
            logger.exception("could not send %s", getattr(task, "name", task))

    transaction.on_commit(send)
