"""A stand-in identity provider for tests: RSA keys made here, id_tokens signed with them,
and a fake HTTPS transport that serves their JWKS.

Only the network hop is fake. The transport replaces requests' adapter, so allauth's
requests session, our status and JSON handling, the cache and PyJWT all run for real.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import io
import json
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict


@functools.cache
def _private_key(name: str) -> rsa.RSAPrivateKey:
    # Cached per name: 2048-bit generation costs ~100 ms, and tests only need distinct keys.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass(frozen=True)
class SigningKey:
    kid: str

    @property
    def private_key(self) -> rsa.RSAPrivateKey:
        return _private_key(self.kid)

    def public_jwk(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        return {**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, claims: dict[str, Any], *, kid: str | None = None) -> str:
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": kid or self.kid})


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    """Assemble a JWT by hand, for the forgeries PyJWT refuses to produce."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64url(signature)}"


def hs256_with_public_key(key: SigningKey, claims: dict[str, Any]) -> str:
    """The classic confusion attack: HMAC-sign with the provider's *public* key as the secret."""
    header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
    signing_input = unsigned_token(header, claims).rsplit(".", 1)[0]
    signature = hmac.new(key.public_pem(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


@dataclass
class Call:
    method: str
    url: str
    timeout: Any


class FakeJwksTransport(BaseAdapter):
    """Answers GETs for the URLs it was told about; anything else is "no network"."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: dict[str, tuple[int, bytes] | Exception] = {}
        self.calls: list[Call] = []

    def serve(self, url: str, keys: list[SigningKey]) -> None:
        self.answers[url] = (200, json.dumps({"keys": [k.public_jwk() for k in keys]}).encode())

    def answer(self, url: str, status: int, body: bytes = b"{}") -> None:
        self.answers[url] = (status, body)

    def fail(self, url: str, exc: Exception) -> None:
        self.answers[url] = exc

    def fetches(self, url: str) -> int:
        return sum(1 for call in self.calls if call.url == url)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        url = request.url or ""
        self.calls.append(Call(method=request.method or "", url=url, timeout=kwargs.get("timeout")))
        answer = self.answers.get(url)
        if answer is None:
            raise requests.ConnectionError(f"no network in tests: {url}")
        if isinstance(answer, Exception):
            raise answer
        status, body = answer
        response = requests.Response()
        response.status_code = status
        response.reason = "OK" if status < 400 else "Error"
        response.headers = CaseInsensitiveDict({"Content-Type": "application/json"})
        response._content = body
        response.raw = io.BytesIO(body)
        response.encoding = "utf-8"
        response.url = url
        response.request = request
        return response

    def close(self) -> None:
        pass


def install_fake_transport(monkeypatch: pytest.MonkeyPatch) -> FakeJwksTransport:
    transport = FakeJwksTransport()
    monkeypatch.setattr(requests.Session, "get_adapter", lambda self, url: transport)
    return transport
