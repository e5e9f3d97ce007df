"""Liveness and readiness probes: outside auth and throttling, never cached."""

import logging
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

logger = logging.getLogger(__name__)

_READINESS_CACHE_KEY = "readyz:probe"


class _ProbeView(APIView):
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    throttle_classes: list[Any] = []


class LivenessView(_ProbeView):
    """The process is up and can answer; touches nothing else."""

    @extend_schema(
        tags=["health"],
        auth=[],
        responses=inline_serializer("Liveness", {"status": serializers.CharField()}),
    )
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


def check_database() -> None:
    for alias in connections:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()


def check_cache() -> None:
    cache.set(_READINESS_CACHE_KEY, "1", timeout=10)
    if cache.get(_READINESS_CACHE_KEY) != "1":
        raise RuntimeError("cache did not return the value just written")


@lru_cache(maxsize=1)
def _redis_broker_client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


def check_broker() -> None:
    url = settings.CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://")):
        # A pooled client: opening a broker connection per probe would cost more than the probe.
        _redis_broker_client(url).ping()
        return
    from kombu import Connection

    with Connection(url, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1)


def _configured_checks() -> dict[str, Callable[[], None]]:
    checks: dict[str, Callable[[], None]] = {"database": check_database, "cache": check_cache}
    if not settings.CELERY_TASK_ALWAYS_EAGER and not settings.CELERY_BROKER_URL.startswith("memory://"):
        checks["broker"] = check_broker
    return checks


class ReadinessView(_ProbeView):
    """Can this instance serve traffic? 503 names every dependency that failed."""

    @extend_schema(
        tags=["health"],
        auth=[],
        responses={
            (200, "application/json"): inline_serializer(
                "Readiness",
                {
                    "status": serializers.ChoiceField(choices=["ok", "unavailable"]),
                    "checks": serializers.DictField(child=serializers.DictField()),
                },
            ),
            (503, "application/json"): inline_serializer(
                "ReadinessFailed",
                {
                    "status": serializers.ChoiceField(choices=["ok", "unavailable"]),
                    "failed": serializers.ListField(child=serializers.CharField()),
                    "checks": serializers.DictField(child=serializers.DictField()),
                },
            ),
        },
    )
    def get(self, request: Request) -> Response:
        results: dict[str, dict[str, Any]] = {}
        failed: list[str] = []
        for name, check in _configured_checks().items():
            started = time.perf_counter()
            try:
                check()
            except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
                logger.warning("readiness check %s failed: %s", name, exc.__class__.__name__)
                results[name] = {"status": "error", "error": exc.__class__.__name__}
                failed.append(name)
            else:
                results[name] = {"status": "ok", "ms": round((time.perf_counter() - started) * 1000, 2)}
        if failed:
            return Response({"status": "unavailable", "failed": failed, "checks": results}, status=503)
        return Response({"status": "ok", "checks": results})
