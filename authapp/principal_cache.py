"""Who is calling, without a query: API keys and token users from a two-level cache.

Authentication ran one query per request (the key by its prefix, or the user behind a
token): the largest fixed cost of a list that is otherwise one or two queries. Here:

1. a dictionary in this process (``PRINCIPAL_CACHE_LOCAL_SECONDS``, 1 s by default), free;
2. the shared cache, when it is shared between processes (Redis), for
   ``PRINCIPAL_CACHE_SECONDS``: one round trip, no SQL;
3. the database, and the result is stored in both.

A change that decides who may call (a key revoked, rotated or expiring; a user
deactivated, re-roled, signed out everywhere or with a new password; a tenant suspended),
or what a user entry carries (the user's profile), deletes the entries at once:
``post_save``/``post_delete`` signals for saves, explicit ``forget_*`` calls beside
``QuerySet.update()``. This process forgets immediately; other processes hold a copy for
at most the local second, so a revocation takes effect on every worker within a second
(and a profile read on another worker may lag its write by as much). Without a shared
cache (the embedded default) only the local level is used: nothing outlives that second.

Entries are model instances with their tenant attached, as the authentication classes
loaded them, kept pickled: every request unpickles its own copy, so nothing a request does
to ``request.user`` (a profile it attached, a field it changed) reaches the next one. Every
check (revoked, expired, inactive, generation, password, suspended) still runs on each
request against them.
"""

from __future__ import annotations

import pickle
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")

_MISSING = object()
# Left in the shared cache by forget() for a few seconds instead of nothing: see remember().
_TOMBSTONE = b"forgotten"
_TOMBSTONE_SECONDS = 10
_LOCAL_MAX_ENTRIES = 10_000


class _LocalCache:
    """A small LRU with per-entry deadlines; one per process, shared by its threads."""

    def __init__(self) -> None:
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return _MISSING
            deadline, value = found
            if deadline < time.monotonic():
                del self._entries[key]
                return _MISSING
            self._entries.move_to_end(key)
            return value

    def set(self, key: str, value: Any, seconds: float) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > _LOCAL_MAX_ENTRIES:
                self._entries.popitem(last=False)

    def delete(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._entries.pop(key, None)

    def delete_prefix(self, prefix: str) -> None:
        with self._lock:
            for key in [k for k in self._entries if k.startswith(prefix)]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


local = _LocalCache()


def _local_seconds() -> float:
    return float(getattr(settings, "PRINCIPAL_CACHE_LOCAL_SECONDS", 1.0))


def _shared_seconds() -> int:
    return int(getattr(settings, "PRINCIPAL_CACHE_SECONDS", 300))


def shared_cache_is_shared() -> bool:
    """Only a cache that other processes see may hold principals longer than the local second.

    Redis only: forgetting a suspended tenant's users needs its pattern delete.
    """
    backend = str(settings.CACHES.get("default", {}).get("BACKEND", ""))
    return "redis" in backend.lower()


def api_key_entry(key_hash: str) -> str:
    return f"auth:key:{key_hash}"


def user_entry(tenant_id: int, user_id: int) -> str:
    # The tenant is in the key so that suspending a tenant can forget all its users at once.
    return f"auth:t{tenant_id}:user:{user_id}"


def _tenant_hold(tenant_id: int) -> str:
    return f"auth:t{tenant_id}:hold"


def cached(key: str, load: Callable[[], T | None]) -> T | None:
    """A fresh copy of the principal under ``key``: from this process, else the shared cache,
    else ``load()`` (then stored in both). ``None`` (nobody) is not stored."""
    blob = local.get(key)
    if blob is _MISSING and shared_cache_is_shared() and _shared_seconds() > 0:
        blob = cache.get(key, _MISSING)
        if blob == _TOMBSTONE:
            blob = _MISSING
        elif blob is not _MISSING:
            local.set(key, blob, _local_seconds())
    if blob is not _MISSING:
        try:
            return pickle.loads(blob)  # noqa: S301 - written by remember()
        except Exception:  # noqa: BLE001 - written by another release (a deploy): read the row again
            local.delete(key)
            if shared_cache_is_shared():
                cache.delete(key)  # so that remember() below can store the fresh copy
    value = load()
    if value is not None:
        remember(key, value)
    return value


def remember(key: str, value: Any) -> None:
    """Store an entry just loaded from the database in both levels.

    The shared level only takes it if nothing is there (``add``): not over a tombstone that
    a change left (see ``forget``), so a row read just before a revocation committed cannot
    be written back after it.
    """
    blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    if _local_seconds() > 0:
        local.set(key, blob, _local_seconds())
    if shared_cache_is_shared() and _shared_seconds() > 0:
        tenant_id = _user_entry_tenant(key)
        if tenant_id is not None and cache.get(_tenant_hold(tenant_id)) is not None:
            return  # the tenant changed a moment ago: its users are read from the database for now
        cache.add(key, blob, _shared_seconds())


def _user_entry_tenant(key: str) -> int | None:
    head, _, rest = key.partition(":t")
    if head != "auth" or ":user:" not in rest:
        return None
    return int(rest.partition(":")[0])


def forget(*keys: str) -> None:
    """Drop entries now, and again when the current transaction commits.

    Now, so this process never serves the old copy again; at commit, because a request of
    another process may have cached the row as it still was before the change committed.
    The shared level keeps a tombstone for a few seconds, so a request that read the old
    row before the commit and stores it after finds the place taken.
    """
    _drop(keys)
    if keys:
        transaction.on_commit(lambda: _drop(keys))


def _drop(keys: tuple[str, ...]) -> None:
    local.delete(*keys)
    if keys and shared_cache_is_shared():
        cache.set_many(dict.fromkeys(keys, _TOMBSTONE), _TOMBSTONE_SECONDS)


def forget_tenant(tenant_id: int, api_key_hashes: list[str]) -> None:
    """A tenant's status changed: every key and user of it is looked up again."""
    prefix = f"auth:t{tenant_id}:user:"
    forget(*(api_key_entry(h) for h in api_key_hashes))

    def drop_users() -> None:
        local.delete_prefix(prefix)
        if shared_cache_is_shared():
            cache.set(_tenant_hold(tenant_id), 1, _TOMBSTONE_SECONDS)  # before the delete: see remember()
            cache.delete_pattern(f"{prefix}*")  # type: ignore[attr-defined]  # django-redis

    drop_users()
    transaction.on_commit(drop_users)
