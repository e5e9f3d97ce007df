"""A small stand-in for Stripe's API, for tests, `make bench` and `make fuzz` (never production).

It answers the calls FitCore makes (customers, Checkout and portal sessions, subscription
updates) with objects shaped like Stripe's, and records every request. Two ways in:

- ``StubHttpClient(api)``: a ``stripe.HTTPClient`` for ``payment.gateway.use_http_client``,
  so tests replace only the network layer of the official library;
- ``serve(api)``: the same answers over real HTTP on 127.0.0.1, for a server process run
  with ``STRIPE_API_BASE=http://127.0.0.1:<port>`` (the bench and the fuzz run).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe

DAY = 86_400


@dataclass
class StubRequest:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]


@dataclass
class StubStripeAPI:
    """Stripe's answers, kept in memory. ``fail_next`` makes the next call fail with
    ``(http_status, error_type, message)``, as Stripe's error bodies say it."""

    # The latest requests, for assertions (bounded: a load test sends hundreds of thousands).
    requests: deque[StubRequest] = field(default_factory=lambda: deque(maxlen=10_000))
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by charge id
    fail_next: tuple[int, str, str] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def handle(self, method: str, url: str, headers: Mapping[str, str], body: str) -> tuple[int, dict[str, Any]]:
        path = urlsplit(url).path
        query = urlsplit(url).query
        params = dict(parse_qsl(body or query, keep_blank_values=True))
        with self._lock:
            self.requests.append(StubRequest(method.upper(), path, params, {k.lower(): v for k, v in headers.items()}))
            failure, self.fail_next = self.fail_next, None
        if failure is not None:
            status, kind, message = failure
            return status, {"error": {"type": kind, "message": message, "code": kind}}
        now = int(time.time())
        if method.upper() == "POST" and path == "/v1/customers":
            return 200, {
                "id": f"cus_{secrets.token_hex(7)}",
                "object": "customer",
                "email": params.get("email"),
                "metadata": _nested(params, "metadata"),
                "created": now,
            }
        if method.upper() == "POST" and path == "/v1/checkout/sessions":
            session_id = f"cs_test_{secrets.token_hex(16)}"
            return 200, {
                "id": session_id,
                "object": "checkout.session",
                "mode": params.get("mode"),
                "customer": params.get("customer"),
                "client_reference_id": params.get("client_reference_id"),
                "metadata": _nested(params, "metadata"),
                "status": "open",
                "url": f"https://checkout.stripe.com/c/pay/{session_id}",
                "expires_at": now + DAY,
                "created": now,
            }
        if method.upper() == "POST" and path == "/v1/billing_portal/sessions":
            session_id = f"bps_{secrets.token_hex(12)}"
            return 200, {
                "id": session_id,
                "object": "billing_portal.session",
                "customer": params.get("customer"),
                "return_url": params.get("return_url"),
                "url": f"https://billing.stripe.com/p/session/test_{session_id}",
                "created": now,
            }
        if method.upper() == "GET" and path == "/v1/refunds":
            with self._lock:
                found = [dict(r) for r in self.refunds.get(params.get("charge", ""), [])]
            return 200, {"object": "list", "url": "/v1/refunds", "has_more": False, "data": found}
        if path.startswith("/v1/subscriptions/"):
            sub_id = path.rsplit("/", 1)[-1]
            with self._lock:
                sub = self.subscriptions.get(sub_id)
                if sub is None:
                    return 404, {
                        "error": {
                            "type": "invalid_request_error",
                            "code": "resource_missing",
                            "message": f"No such subscription: '{sub_id}'",
                        }
                    }
                if method.upper() == "POST" and "cancel_at_period_end" in params:
                    sub["cancel_at_period_end"] = params["cancel_at_period_end"] == "true"
                    sub["canceled_at"] = now if sub["cancel_at_period_end"] else None
                return 200, dict(sub)
        return 404, {
            "error": {"type": "invalid_request_error", "message": f"Unrecognized request URL ({method} {path})."}
        }

    def add_subscription(
        self, sub_id: str, *, customer: str, price: str, status: str = "active", period_days: int = 30
    ) -> dict[str, Any]:
        """A subscription Stripe knows about (what a completed checkout would have made)."""
        now = int(time.time())
        sub = {
            "id": sub_id,
            "object": "subscription",
            "customer": customer,
            "status": status,
            "cancel_at_period_end": False,
            "canceled_at": None,
            "trial_end": None,
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": f"si_{secrets.token_hex(6)}",
                        "object": "subscription_item",
                        "price": {"id": price, "object": "price"},
                        "current_period_start": now,
                        "current_period_end": now + period_days * DAY,
                    }
                ],
            },
        }
        with self._lock:
            self.subscriptions[sub_id] = sub
        return sub

    def add_refund(
        self, charge: str, refund_id: str, amount: int, *, created: int | None = None, status: str = "succeeded"
    ) -> dict[str, Any]:
        """A refund Stripe made on ``charge`` (listed by GET /v1/refunds?charge=)."""
        refund = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "charge": charge,
            "created": created or int(time.time()),
            "currency": "usd",
            "status": status,
        }
        with self._lock:
            self.refunds.setdefault(charge, []).append(refund)
        return refund

    def calls(self, path: str) -> list[StubRequest]:
        return [r for r in self.requests if r.path == path]


def _nested(params: Mapping[str, str], name: str) -> dict[str, str]:
    """``metadata[user]=1`` form fields back into ``{"user": "1"}``."""
    prefix = f"{name}["
    return {
        key[len(prefix) : -1]: value for key, value in params.items() if key.startswith(prefix) and key.endswith("]")
    }


class StubHttpClient(stripe.HTTPClient):
    """The official client's HTTP layer, answered by a ``StubStripeAPI`` in-process."""

    name = "fitcore-stub"

    def __init__(self, api: StubStripeAPI) -> None:
        super().__init__()
        self.api = api

    def request(
        self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None, *, _usage: Any = None
    ) -> tuple[str, int, Mapping[str, str]]:
        body = post_data.decode() if isinstance(post_data, bytes) else (post_data or "")
        status, payload = self.api.handle(method, url, headers or {}, body)
        return json.dumps(payload), status, {"request-id": f"req_{secrets.token_hex(7)}"}

    def close(self) -> None:
        pass


def serve(api: StubStripeAPI, port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    """Serve ``api`` on 127.0.0.1 in a daemon thread; returns the server and its base URL."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in separate writes: without TCP_NODELAY each answer on a
        # kept-alive connection waits ~40 ms for the client's delayed ACK.
        disable_nagle_algorithm = True

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            status, payload = api.handle(self.command, self.path, dict(self.headers.items()), body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", f"req_{secrets.token_hex(7)}")
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="stripe-stub", daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def main() -> None:
    """``python -m payment.stripe_stub [port]``: serve until interrupted (for a manual try)."""
    import sys

    server, url = serve(StubStripeAPI(), int(sys.argv[1]) if len(sys.argv) > 1 else 12111)
    print(f"Stripe stub at {url}; STRIPE_API_BASE={url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()
