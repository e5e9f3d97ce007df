"""ASGI entry point: HTTP through Django, WebSockets (/ws/...) through Channels.

Production serves HTTP with gunicorn (fitcore.wsgi) and this app with uvicorn beside it
for the WebSocket routes (see README, "Real-time notifications"); it also serves HTTP, so
one uvicorn can run everything where that is simpler.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fitcore.settings.production")

# Django first: the routing below imports models.
django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from notification.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        # The access token is the credential (no cookies), so no Origin check: see notification/consumers.py.
        "websocket": URLRouter(websocket_urlpatterns),
    }
)
