"""Celery tasks of the notification app: thin wrappers around services."""

from __future__ import annotations

from celery import Task, shared_task

from . import services


@shared_task(bind=True, name="notification.deliver", max_retries=None)
def deliver_outbox_message(self: Task, *, message_id: int) -> str:
    """Deliver one outbox row; a transient provider error retries with exponential backoff.

    The backoff (``services.retry_delay``, or the provider's Retry-After when longer) and the
    bound (NOTIFICATION_MAX_ATTEMPTS) live on the row, which the periodic re-send shares:
    if this retry message is lost, the re-send picks the row up a minute after it was due.
    Run eagerly (no broker) there is nobody to retry later in-process: the row waits.
    """
    try:
        return services.outbox_deliver(message_id=message_id)
    except services.TransientDeliveryError as error:
        if self.request.is_eager:
            return "retry_held"
        raise self.retry(exc=error, countdown=error.retry_in) from error


@shared_task(name="notification.requeue_outbox")
def requeue_outbox() -> int:
    """Every minute (Celery beat): deliveries the queue lost, and held ones now due."""
    return services.outbox_requeue_due()


@shared_task(name="notification.local_time_tick")
def local_time_tick() -> dict[str, int]:
    """Every 15 minutes (Celery beat): the digest and other apps' local-time hooks for the last quarter hour."""
    from django.utils import timezone

    from .schedule import LocalTimeWindow, run_local_time_hooks

    return run_local_time_hooks(LocalTimeWindow.before(timezone.now()))


@shared_task(name="notification.send_broadcast", acks_late=True)
def send_broadcast(*, broadcast_id: int) -> int:
    """A staff broadcast; progress is on the Broadcast row (admin), re-runs skip who already has it."""
    return services.broadcast_run(broadcast_id=broadcast_id).sent
