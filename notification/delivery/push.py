"""Push: one small interface, a provider per platform chosen from settings.

``PushProvider.send(token, message)`` either returns (the provider accepted it) or raises
one of ``notification.delivery``'s errors. FCM HTTP v1 (``fcm.py``) serves Android and
web, and iOS too unless APNs (``apns.py``) is configured; with neither, pushes go to the
log (``LoggingPushProvider``), so development and demo instances run the whole flow.

The payload carries only the title, the body and three strings (notification id, type,
link): the app reads the rest from the API, and every provider's 4 KB limit holds.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import select_template

from .email import absolute_link, template_context

if TYPE_CHECKING:
    from notification.models import Device, Notification

logger = logging.getLogger(__name__)

MAX_TITLE = 100
APNS_TOKEN = re.compile(r"[0-9a-fA-F]{64,200}")
MAX_BODY = 500


@dataclass(frozen=True)
class PushMessage:
    title: str
    body: str
    data: dict[str, str]


class PushProvider(Protocol):
    name: str

    def send(self, token: str, message: PushMessage) -> None: ...


class LoggingPushProvider:
    """No provider configured: the push is written to the log and counts as sent."""

    name = "log"

    def send(self, token: str, message: PushMessage) -> None:
        logger.info("push not sent (no provider configured) to …%s: %s", token[-8:], message.title)


def _shorten(text: str, limit: int, *, one_line: bool = False) -> str:
    text = " ".join(text.split()) if one_line else text.strip()
    return text if len(text) <= limit else f"{text[: limit - 1].rstrip()}…"


def build_message(notification: Notification) -> PushMessage:
    context = template_context(notification)
    template = select_template([f"notification/push/{notification.type}.txt", "notification/push/default.txt"])
    return PushMessage(
        title=_shorten(notification.title, MAX_TITLE, one_line=True),
        body=_shorten(template.render(context), MAX_BODY),
        data={
            "notification_id": str(notification.pk),
            "type": notification.type,
            "link": absolute_link(notification.link) if notification.link else "",
        },
    )


def _secret(value: str) -> str:
    """A credential given inline or as a path to a file holding it."""
    text = value.strip()
    if text.startswith(("{", "-----")):
        return text
    path = Path(text)
    if not path.is_file():
        raise ImproperlyConfigured(f"{text!r} is neither the credential itself nor a readable file.")
    return path.read_text()


_providers: dict[str, PushProvider] | None = None
_providers_lock = threading.Lock()


def configured_providers() -> dict[str, PushProvider]:
    """Platform -> provider, built once per process from settings (clients keep their connections)."""
    global _providers
    with _providers_lock:
        if _providers is None:
            _providers = _build_providers()
        return _providers


def reset_providers() -> None:
    """Forget the built providers (tests change settings)."""
    global _providers
    with _providers_lock:
        _providers = None


def _build_providers() -> dict[str, PushProvider]:
    from .apns import ApnsProvider
    from .fcm import FcmProvider

    providers: dict[str, PushProvider] = {}
    fallback: PushProvider = LoggingPushProvider()
    if settings.FCM_PROJECT_ID and settings.FCM_SERVICE_ACCOUNT:
        fcm = FcmProvider(
            project_id=settings.FCM_PROJECT_ID,
            service_account_info=json.loads(_secret(settings.FCM_SERVICE_ACCOUNT)),
            timeout=settings.PUSH_TIMEOUT_SECONDS,
        )
        providers.update(android=fcm, web=fcm, ios=fcm)
        fallback = fcm
    if settings.APNS_TEAM_ID and settings.APNS_KEY_ID and settings.APNS_PRIVATE_KEY:
        providers["ios"] = ApnsProvider(
            team_id=settings.APNS_TEAM_ID,
            key_id=settings.APNS_KEY_ID,
            private_key=_secret(settings.APNS_PRIVATE_KEY),
            topic=settings.APNS_TOPIC,
            sandbox=settings.APNS_USE_SANDBOX,
            timeout=settings.PUSH_TIMEOUT_SECONDS,
        )
    for platform in ("ios", "android", "web"):
        providers.setdefault(platform, fallback)
    return providers


def provider_for(device: Device) -> PushProvider:
    """The platform's provider; an iPhone app that registered an FCM token (not APNs hex) goes to FCM."""
    providers = configured_providers()
    provider = providers[device.platform]
    if provider.name == "apns" and not APNS_TOKEN.fullmatch(device.token):
        return providers["android"]  # FCM when configured, the log otherwise
    return provider


def send_push(notification: Notification, device: Device) -> None:
    provider_for(device).send(device.token, build_message(notification))
