"""Celery tasks of the health app: thin wrappers around services."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from . import services


@shared_task(name="health.run_import", acks_late=True, soft_time_limit=3 * 3600, time_limit=3 * 3600 + 60)
def run_import(*, import_id: int) -> None:
    """Stream one uploaded export into samples (and workout sessions)."""
    services.import_run(import_id=import_id)


@shared_task(name="health.purge_expired")
def purge_expired() -> dict[str, Any]:
    """Daily: idempotency replies past 24 h and tombstones past HEALTH_TOMBSTONE_DAYS."""
    return services.purge_expired()
