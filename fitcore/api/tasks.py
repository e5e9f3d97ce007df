from celery import shared_task


@shared_task(name="fitcore.ping")
def ping(value: str = "pong") -> str:
    """Round trip through broker, worker and result backend; used by tests and operators."""
    return value
