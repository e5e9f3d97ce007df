"""The one place that talks to Stripe's API: a configured ``StripeClient`` and its failures as problems.

Tests and the local stub (``payment.stripe_stub``) replace only the HTTP layer: the client
is built with whatever ``http_client`` ``use_http_client()`` installed, so every call still
goes through the official library's request encoding, versioning and error parsing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import stripe
from django.conf import settings

from fitcore.api.exceptions import ApplicationError

logger = logging.getLogger(__name__)

_http_client: list[stripe.HTTPClient] = []


class PaymentsNotConfigured(ApplicationError):
    code = "payments_not_configured"
    status = 503

    def __init__(self) -> None:
        super().__init__(message="Payments are not set up on this server (no Stripe secret key).")


class GatewayError(ApplicationError):
    """Stripe refused or could not be reached; nothing was changed on our side."""

    code = "payment_gateway_error"
    status = 502


def is_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


_clients: dict[tuple[Any, ...], stripe.StripeClient] = {}


def client() -> stripe.StripeClient:
    """A client pinned to ``STRIPE_API_VERSION``; 503 ``payments_not_configured`` without a key.

    One per process and configuration: its HTTP session keeps connections to Stripe open.
    """
    if not is_configured():
        raise PaymentsNotConfigured()
    http_client = _http_client[0] if _http_client else None
    key = (
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_API_VERSION,
        settings.STRIPE_API_BASE,
        settings.STRIPE_MAX_NETWORK_RETRIES,
        settings.STRIPE_TIMEOUT_SECONDS,
        id(http_client),
    )
    found = _clients.get(key)
    if found is None:
        base: dict[str, Any] = {}
        if settings.STRIPE_API_BASE:
            base["base_addresses"] = {"api": settings.STRIPE_API_BASE}
        found = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            stripe_version=settings.STRIPE_API_VERSION,
            max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
            http_client=http_client or stripe.new_default_http_client(timeout=settings.STRIPE_TIMEOUT_SECONDS),
            **base,
        )
        _clients.clear()  # settings changed (tests): drop the old one
        _clients[key] = found
    return found


@contextmanager
def use_http_client(http_client: stripe.HTTPClient) -> Iterator[None]:
    """Route every Stripe call through ``http_client`` inside the block (tests)."""
    _http_client[:] = [http_client]
    try:
        yield
    finally:
        _http_client.clear()


@contextmanager
def translated_errors(action: str) -> Iterator[None]:
    """Stripe's exceptions as problems: the client sees a 4xx/5xx it can act on, never a 500."""
    try:
        yield
    except stripe.StripeError as exc:
        status = getattr(exc, "http_status", None)
        stripe_code = getattr(exc, "code", None) or "unknown"
        logger.warning("stripe %s failed: %s (http %s, code %s)", action, exc.__class__.__name__, status, stripe_code)
        if isinstance(exc, stripe.IdempotencyError):
            raise ApplicationError(
                code="idempotency_key_reused",
                message="This Idempotency-Key was already used for a different request; send a new one.",
                status=409,
            ) from exc
        if isinstance(exc, stripe.CardError):
            raise ApplicationError(
                code="card_declined", message=exc.user_message or "The card was declined.", status=402
            ) from exc
        if isinstance(exc, stripe.RateLimitError):
            raise ApplicationError(
                code="payment_gateway_busy", message="The payment provider is busy; try again shortly.", status=503
            ) from exc
        raise GatewayError(
            message=f"The payment provider could not {action}; nothing was charged. Try again later."
        ) from exc
