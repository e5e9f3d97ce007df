"""Tasks run through the real broker and a worker when Redis is configured, eagerly otherwise."""

import os
import uuid
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from celery.result import EagerResult

from fitcore.api.tasks import ping
from fitcore.celery import app as celery_app


def test_task_runs_eagerly_without_a_broker(settings) -> None:
    assert settings.CELERY_TASK_ALWAYS_EAGER
    assert ping.delay("eager").get(timeout=1) == "eager"


@pytest.fixture
def redis_celery() -> Iterator[None]:
    """Switch the app from eager mode to the real broker for one test."""
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("REDIS_URL unset: the embedded default has no broker")
    keys = ("task_always_eager", "broker_url", "result_backend")
    saved = {key: celery_app.conf[key] for key in keys}
    celery_app.conf.update(task_always_eager=False, broker_url=redis_url, result_backend=redis_url)
    yield
    celery_app.conf.update(saved)


@pytest.mark.redis
def test_task_round_trip_through_redis_and_a_worker(redis_celery: None) -> None:
    # A queue of its own, so parallel test runs never consume each other's tasks.
    queue = f"test-{uuid.uuid4().hex}"
    with start_worker(celery_app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=10):
        result = ping.apply_async(args=["through-redis"], queue=queue)
        assert not isinstance(result, EagerResult)
        assert result.get(timeout=20) == "through-redis"
        assert result.state == "SUCCESS"


def test_a_worker_keeps_the_django_log_configuration() -> None:
    """A worker's setup must not swap our handlers (JSON, request context) for Celery's."""
    import logging

    from fitcore.api.logging import RequestContextFilter

    type(celery_app.log)._setup = False  # as a freshly started worker
    try:
        celery_app.log.setup(loglevel="INFO")
    finally:
        type(celery_app.log)._setup = False
    [handler] = [h for h in logging.getLogger().handlers if any(isinstance(f, RequestContextFilter) for f in h.filters)]
    assert handler.formatter is not None
    assert type(handler.formatter).__module__ == "fitcore.api.logging"
