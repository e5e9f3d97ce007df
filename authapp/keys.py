"""API key format: ``fc_live_<43 base62 chars of 32 random bytes><6 base62 chars of CRC-32>``.

The checksum lets us reject typos and garbage without touching the database; the
first 8 random characters are the lookup prefix, stored in clear beside a SHA-256
of the whole key. The key itself is shown once and never stored or logged.
"""

import hashlib
import hmac
import secrets
import string
import zlib
from dataclasses import dataclass

KEY_PREFIX = "fc_live_"
_ALPHABET = string.digits + string.ascii_letters
_BODY_LENGTH = 43  # 62**43 > 2**256
_CHECKSUM_LENGTH = 6  # 62**6 > 2**32
_LOOKUP_LENGTH = 8
KEY_LENGTH = len(KEY_PREFIX) + _BODY_LENGTH + _CHECKSUM_LENGTH


class KeyFormatError(ValueError):
    """Not a FitCore API key (wrong shape or checksum): answer 401 without a lookup."""


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, remainder = divmod(number, 62)
        digits.append(_ALPHABET[remainder])
    return "".join(reversed(digits)).rjust(width, "0")


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), _CHECKSUM_LENGTH)


def hash_key(key: str) -> str:
    # Plain SHA-256 is right here: the secret has 256 bits of entropy, so there is
    # nothing for a slow hash to protect, and every request pays for it.
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class NewKey:
    key: str  # shown to the caller once
    prefix: str  # stored, for lookup and display
    key_hash: str  # stored


def generate() -> NewKey:
    body = _base62(int.from_bytes(secrets.token_bytes(32), "big"), _BODY_LENGTH)
    key = f"{KEY_PREFIX}{body}{_checksum(body)}"
    return NewKey(key=key, prefix=lookup_prefix(key), key_hash=hash_key(key))


def lookup_prefix(key: str) -> str:
    return key[: len(KEY_PREFIX) + _LOOKUP_LENGTH]


def parse(key: str) -> str:
    """Validate shape and checksum; return the lookup prefix."""
    if len(key) != KEY_LENGTH or not key.startswith(KEY_PREFIX):
        raise KeyFormatError("This is not a FitCore API key.")
    body = key[len(KEY_PREFIX) : -_CHECKSUM_LENGTH]
    if any(char not in _ALPHABET for char in body) or _checksum(body) != key[-_CHECKSUM_LENGTH:]:
        raise KeyFormatError("This API key is mistyped or truncated (checksum mismatch).")
    return lookup_prefix(key)


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
