"""Django's PostgreSQL backend, with a connection health check that needs no query.

With persistent connections (``CONN_MAX_AGE``) and ``CONN_HEALTH_CHECKS``, Django checks a
reused connection at the start of every request with ``SELECT 1``: a round trip, and the
PostgreSQL CPU to answer it, on every request that touches the database (measured at about
8 % of the time of a 20-row list). The failures it is there to catch (the server restarted,
the backend was terminated, an idle timeout fired) all reach the client as bytes or an EOF
on a socket that should be silent between requests. So: if the socket has nothing to read,
the connection is as usable as ``SELECT 1`` would have found it; if it has something, libpq
reads it and we ask again (and, when libpq still calls the connection fine, fall back to
``SELECT 1``). What neither check sees is a peer that vanished without a word (a network
partition): ``connect_timeout`` and TCP keepalives are for that.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq

__all__ = ["DatabaseWrapper"]


def _readable(fd: int) -> bool:
    """Whether the socket has something to read (or an EOF), without waiting.

    poll(), not select(): select() cannot take a descriptor numbered 1024 or more, which a
    process with many open connections reaches. (select() where poll() is missing: Windows.)
    """
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
    readable, _, _ = select.select([fd], [], [], 0)
    return bool(readable)


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None:
            return False
        pgconn = connection.pgconn
        if pgconn.status != pq.ConnStatus.OK or pgconn.transaction_status != pq.TransactionStatus.IDLE:
            return bool(super().is_usable())  # not the quiet idle state: ask the server
        try:
            readable = _readable(pgconn.socket)
        except OSError:  # the descriptor is gone
            return False
        if not readable:
            return True  # nothing said, nothing closed: as SELECT 1 would find it
        try:
            pgconn.consume_input()  # a termination notice, an EOF, or a stray notification
        except Exception:  # noqa: BLE001 - psycopg raises its OperationalError for a closed socket
            return False
        if pgconn.status != pq.ConnStatus.OK:
            return False
        return bool(super().is_usable())
