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

Races, and what closes them:

- A request that read a row just before a change committed must not store it after the
  change forgot it. In this process, a forget counter (``local.generation``) read before
  the load: if anything was forgotten meanwhile, nothing is stored. In Redis, ``forget``
  leaves a tombstone for a minute and entries are stored with ``add``, which a tombstone
  blocks; a tenant's users are stored with the tenant's epoch as it was before the load,
  and a change of the tenant bumps the epoch, so a copy read before it never validates.
- Invalidation never fails a write: Redis errors while forgetting are logged (the row is
  the truth; entries then live out ``PRINCIPAL_CACHE_SECONDS`` at most).

Entries are model instances with their tenant attached, as the authentication classes
loaded them, kept pickled: every request unpickles its own copy, so nothing a request does
to ``request.user`` (a profile it attached, a field it changed) reaches the next one. Every
check (revoked, expired, inactive, generation, password, suspended) still runs on each
request against them.
"""

from __future__ import annotations

import logging
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
# Left in the shared cache by forget() instead of nothing, so that add() cannot store over it.
_TOMBSTONE = b"forgotten"
_TOMBSTONE_SECONDS = 60
logger = logging.getLogger(__name__)
_LOCAL_MAX_ENTRIES = 10_000


class _LocalCache:
    """A small LRU with per-entry deadlines; one per process, shared by its threads."""

    def __init__(self) -> None:
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        # Bumped by every forget: a load that saw it change must not store what it read.
        self.generation = 0

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

    def set_unless_forgotten(self, key: str, value: Any, seconds: float, generation: int) -> bool:
        """Store unless something was forgotten since ``generation`` was read; say whether stored."""
        with self._lock:
            if self.generation != generation:
                return False
            self._entries[key] = (time.monotonic() + seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > _LOCAL_MAX_ENTRIES:
                self._entries.popitem(last=False)
            return True

    def delete(self, *keys: str) -> None:
        with self._lock:
            self.generation += 1
            for key in keys:
                self._entries.pop(key, None)

    def delete_prefix(self, prefix: str) -> None:
        with self._lock:
            self.generation += 1
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


def _tenant_epoch(tenant_id: int) -> str:
    return f"auth:t{tenant_id}:epoch"


def cached(key: str, load: Callable[[], T | None], *, tenant_id: int | None = None) -> T | None:
    """A fresh copy of the principal under ``key``: from this process, else the shared cache,
    else ``load()`` (then stored in both). ``None`` (nobody) is not stored.

    ``tenant_id`` for entries that a change of their tenant must invalidate (users; API keys
    are forgotten one by one instead, see ``forget_tenant``).
    """
    generation = local.generation  # before any read: see _LocalCache.set_unless_forgotten
    blob = local.get(key)
    shared = shared_cache_is_shared() and _shared_seconds() > 0
    epoch: int | None = None
    if blob is _MISSING and shared:
        blob, epoch = _shared_get(key, tenant_id)
        if blob is not _MISSING and _local_seconds() > 0:
            local.set_unless_forgotten(key, blob, _local_seconds(), generation)
    if blob is not _MISSING:
        try:
            return pickle.loads(blob)  # noqa: S301 - written by _store()
        except Exception:  # noqa: BLE001 - written by another release (a deploy): read the row again
            local.delete(key)
            if shared:
                cache.delete(key)  # so that the fresh copy can be stored
            generation = local.generation
    value = load()
    if value is not None:
        _store(key, value, generation, epoch if tenant_id is not None else None, shared)
    return value


def _shared_get(key: str, tenant_id: int | None) -> tuple[Any, int | None]:
    """The entry's blob in Redis (or _MISSING), and the tenant's epoch as read now."""
    if tenant_id is None:
        found = cache.get(key, _MISSING)
        return (_MISSING if found is _MISSING or found == _TOMBSTONE else found), None
    epoch_key = _tenant_epoch(tenant_id)
    got = cache.get_many([key, epoch_key])
    epoch = int(got.get(epoch_key, 0))
    found = got.get(key, _MISSING)
    if found is _MISSING or found == _TOMBSTONE:
        return _MISSING, epoch
    if isinstance(found, tuple) and len(found) == 2 and found[0] == epoch:
        return found[1], epoch
    # Read before the tenant last changed (or by another release): make room for a fresh copy.
    # A tombstone deleted here by mistake is written again when its change commits.
    cache.delete(key)
    return _MISSING, epoch


def _store(key: str, value: Any, generation: int, epoch: int | None, shared: bool) -> None:
    blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    if _local_seconds() > 0 and not local.set_unless_forgotten(key, blob, _local_seconds(), generation):
        return  # forgotten while we loaded: what we read may be the old row
    if not shared:
        return
    # add(), not set(): a tombstone (a change a moment ago) keeps its place.
    cache.add(key, blob if epoch is None else (epoch, blob), _shared_seconds())


def forget(*keys: str) -> None:
    """Drop entries now, and again when the current transaction commits.

    Now, so this process never serves the old copy again; at commit, because a request of
    another process may have cached the row as it still was before the change committed.
    The shared level keeps a tombstone, so a request that read the old row before the
    commit and stores it after finds the place taken.
    """
    if not keys:
        return
    _drop(keys)
    transaction.on_commit(lambda: _drop(keys), robust=True)


def _drop(keys: tuple[str, ...]) -> None:
    local.delete(*keys)
    if shared_cache_is_shared():
        try:
            cache.set_many(dict.fromkeys(keys, _TOMBSTONE), _TOMBSTONE_SECONDS)
        except Exception:
            logger.exception("could not forget cached principals %s in the shared cache", keys)


def forget_tenant(tenant_id: int, api_key_hashes: list[str]) -> None:
    """A tenant's status changed: every key and user of it is looked up again."""
    prefix = f"auth:t{tenant_id}:user:"
    forget(*(api_key_entry(h) for h in api_key_hashes))

    def drop_users() -> None:
        local.delete_prefix(prefix)
        if not shared_cache_is_shared():
            return
        try:
            epoch_key = _tenant_epoch(tenant_id)
            cache.add(epoch_key, 0, None)  # kept for good: an epoch that expired could repeat
            cache.incr(epoch_key)
            cache.delete_pattern(f"{prefix}*")  # type: ignore[attr-defined]  # django-redis; frees memory
        except Exception:
            logger.exception("could not forget tenant %s's cached users in the shared cache", tenant_id)

    drop_users()
    transaction.on_commit(drop_users, robust=True)
