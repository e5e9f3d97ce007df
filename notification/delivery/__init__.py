"""Sending one outbox row: email through Django's mail backend, push through a provider.

Outcomes are exceptions a sender raises, so ``services.outbox_deliver`` decides in one
place what happens to the row:

- ``InvalidTarget``: the device token (or address) is dead; the device is deactivated;
- ``RetryableDeliveryError``: worth another try later (timeouts, 5xx, 429);
- ``DeliveryFailed``: will never work as it is (a rejected payload, a bad credential).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from notification.models import OutboxMessage


class DeliveryError(Exception):
    pass


class InvalidTarget(DeliveryError):
    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class RetryableDeliveryError(DeliveryError):
    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DeliveryFailed(DeliveryError):
    pass


def deliver(message: OutboxMessage) -> None:
    """Send ``message`` (its notification, user and device loaded); raise one of the errors above."""
    from notification.models import Channel

    from .email import send_email
    from .push import send_push

    if message.channel == Channel.EMAIL:
        send_email(message.notification, address=message.address or None)
    else:
        device = message.device
        if device is None or not device.active:
            raise InvalidTarget("The device was signed out or deactivated before delivery.", reason="inactive")
        if device.user_id != message.notification.user_id:
            # The token moved to another account (the phone changed hands) while this waited.
            raise InvalidTarget("The device now belongs to another user.", reason="moved")
        send_push(message.notification, device)


__all__ = ["DeliveryError", "DeliveryFailed", "InvalidTarget", "RetryableDeliveryError", "deliver"]
