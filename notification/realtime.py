"""Real-time delivery: new inbox rows pushed to the user's open WebSockets (notification/consumers.py).

Each signed-in connection joins its user's group; ``notify()`` publishes to that group
once its transaction commits (never a row the caller then rolled back). Through Redis
when REDIS_URL is set, so any web worker reaches any ASGI server; in memory otherwise
(one process: ``make run`` without Redis, and tests). Publishing is best effort: the
row is in the inbox whatever happens here, and a client that was offline reads it there.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

if TYPE_CHECKING:
    from .models import Notification

logger = logging.getLogger(__name__)

EVENT_TYPE = "notification.created"


def user_group(tenant_id: int, user_id: int) -> str:
    return f"notifications.t{tenant_id}.u{user_id}"


def event_for(notification: Notification) -> dict[str, Any]:
    from .serializers import NotificationSerializer

    return {"type": EVENT_TYPE, "notification": NotificationSerializer(notification).data}


def publish(notification: Notification) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            user_group(notification.tenant_id, notification.user_id), _jsonable(event_for(notification))
        )
    except Exception:  # Redis down: the inbox has it; the client catches up on reconnect
        logger.warning("real-time publish of notification %s failed", notification.pk, exc_info=True)


def publish_after_commit(notification: Notification) -> None:
    transaction.on_commit(lambda: publish(notification), robust=True)


def _jsonable(event: dict[str, Any]) -> dict[str, Any]:
    """Channel layers serialise with msgpack: datetimes become ISO strings first (the API's format)."""
    import orjson

    from fitcore.api.renderers import JSONRenderer

    return orjson.loads(JSONRenderer().render(event))
