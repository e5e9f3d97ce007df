"""``Idempotency-Key``: a retried request gets the first one's reply instead of running again.

A client that lost the reply to a batch upload (a timeout, a dropped connection) sends it
again with the same key. Within 24 h, the same key and the same request replay the stored
reply (``Idempotent-Replayed: true``); the same key with a different body is a 422; a retry
while the first is still running is a 409 (after 5 minutes the first is taken for dead and the
retry runs). Only successful replies are stored: a request that failed (a 4xx or a crash) wrote
nothing, so its retry simply runs again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import timedelta

import orjson
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from fitcore.api.exceptions import ApplicationError
from fitcore.api.renderers import JSONRenderer
from fitcore.api.tenancy import is_api_key, principal_tenant

from .models import IdempotentReply

HEADER = "Idempotency-Key"
LIFETIME = timedelta(hours=24)
# A first request still "running" after this long died with its worker (gunicorn's timeout is
# far shorter): a retry then runs instead of getting 409 for the rest of the 24 h.
ABANDONED = timedelta(minutes=5)
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces: UUIDs, ULIDs, hashes


def _principal(request: Request) -> str:
    user = request.user
    return f"key:{user.api_key.pk}" if is_api_key(request) else f"user:{user.pk}"  # type: ignore[union-attr]


def run_once(request: Request, handler: Callable[[], Response]) -> Response:
    key = request.headers.get(HEADER)
    if key is None:
        return handler()
    if not _KEY.match(key):
        raise ApplicationError(
            code="invalid",
            message=f"{HEADER} is 1 to 255 printable ASCII characters without spaces (a UUID, say).",
            status=400,
            errors=[{"field": HEADER, "code": "invalid", "message": "1-255 printable ASCII characters."}],
        )
    tenant = principal_tenant(request)
    principal = _principal(request)
    digest = hashlib.sha256(
        b"\n".join(
            [
                (request.method or "").encode(),
                request.path.encode(),
                orjson.dumps(request.data, option=orjson.OPT_SORT_KEYS),
            ]
        )
    ).hexdigest()
    replies = IdempotentReply.objects.for_tenant(tenant).filter(principal=principal, key=key)
    # A key past its 24 h is free again.
    replies.filter(created_at__lt=timezone.now() - LIFETIME).delete()
    try:
        with transaction.atomic():
            record = IdempotentReply.objects.create(tenant=tenant, principal=principal, key=key, request_hash=digest)
    except IntegrityError:
        stored = replies.first()
        if stored is None:  # deleted between the two statements: the first one failed; run ours
            return handler()
        if stored.request_hash != digest:
            raise ApplicationError(
                code="idempotency_key_reused",
                message=f"This {HEADER} was used for a different request in the last 24 hours.",
                status=422,
            ) from None
        if stored.status_code is None and stored.created_at < timezone.now() - ABANDONED:
            # The first request's worker died (killed, timed out, redeployed) before it stored its
            # reply: this retry runs in its place (the upsert makes a repeated write harmless).
            IdempotentReply.unscoped.filter(pk=stored.pk, status_code__isnull=True).delete()
            return run_once(request, handler)
        if stored.status_code is None:
            raise ApplicationError(
                code="idempotency_request_in_progress",
                message="The first request with this key is still running; retry in a moment.",
                status=409,
            ) from None
        replay = Response(orjson.loads(bytes(stored.body)), status=stored.status_code)
        replay["Idempotent-Replayed"] = "true"
        return replay
    try:
        response = handler()
    except BaseException:
        IdempotentReply.unscoped.filter(pk=record.pk).delete()
        raise
    if response.status_code >= 400:
        IdempotentReply.unscoped.filter(pk=record.pk).delete()
        return response
    IdempotentReply.unscoped.filter(pk=record.pk).update(
        status_code=response.status_code, body=JSONRenderer().render(response.data)
    )
    return response
