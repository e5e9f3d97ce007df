"""WebSocket routes of the notification app (mounted by fitcore.asgi)."""

from django.urls import path

from .consumers import NotificationConsumer

websocket_urlpatterns = [path("ws/notifications/", NotificationConsumer.as_asgi())]
