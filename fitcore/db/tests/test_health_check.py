"""The PostgreSQL health check: no round trip for a quiet connection, a reconnect for a dead one."""

import os
import select
import time
from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection as test_connection
from django.db.backends.postgresql import base as django_backend
from django.db.utils import ConnectionHandler

pytestmark = [
    pytest.mark.skipif(test_connection.vendor != "postgresql", reason="PostgreSQL's backend"),
    pytest.mark.django_db,  # the test database exists (its name is in the settings) once this holds
]


def own_connection() -> django_backend.DatabaseWrapper:
    """A connection of our own (the test's is inside a transaction), configured as production's."""
    settings = {**test_connection.settings_dict, "CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}
    settings["ENGINE"] = "fitcore.db.postgresql"
    own = ConnectionHandler({"default": settings})["default"]
    own.ensure_connection()
    assert isinstance(own, django_backend.DatabaseWrapper)
    return own


@pytest.fixture
def connection() -> Iterator[django_backend.DatabaseWrapper]:
    own = own_connection()
    yield own
    own.close()


def backend_pid(connection) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def from_outside(connection, sql: str) -> None:
    params = connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k != "context"}, autocommit=True) as other:
        other.execute(sql)


def wait_readable(connection) -> None:
    select.select([connection.connection.pgconn.socket], [], [], 5)


def next_request(connection) -> None:
    """What Django does around a request: request_finished, then the check before first use."""
    connection.close_if_unusable_or_obsolete()
    connection.close_if_health_check_failed()


def test_a_quiet_connection_is_usable_without_a_query(connection, monkeypatch) -> None:
    def round_trip(self):
        raise AssertionError("the health check sent a query")

    monkeypatch.setattr(django_backend.DatabaseWrapper, "is_usable", round_trip)
    pid = backend_pid(connection)

    next_request(connection)

    assert connection.connection is not None
    assert backend_pid(connection) == pid  # the same connection, kept


def test_a_terminated_backend_is_replaced_before_the_request_uses_it(connection) -> None:
    pid = backend_pid(connection)
    from_outside(connection, f"SELECT pg_terminate_backend({pid})")
    wait_readable(connection)

    assert connection.is_usable() is False
    next_request(connection)

    assert backend_pid(connection) != pid  # a new connection, and the request's query ran on it


def test_a_notification_is_read_and_the_server_asked(connection, monkeypatch) -> None:
    with connection.cursor() as cursor:
        cursor.execute("LISTEN fitcore_health_check_test")
    from_outside(connection, "NOTIFY fitcore_health_check_test")
    wait_readable(connection)
    asked = []
    original = django_backend.DatabaseWrapper.is_usable

    def select_one(self):
        asked.append(time.monotonic())
        return original(self)

    monkeypatch.setattr(django_backend.DatabaseWrapper, "is_usable", select_one)

    assert connection.is_usable() is True
    assert len(asked) == 1  # readable but alive: SELECT 1 decided


def test_a_connection_on_a_high_descriptor_is_checked_too() -> None:
    """select() refuses descriptors past 1023; a busy process reaches them."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if max(soft, hard) < 1200:
        pytest.skip("the descriptor limit is below 1200")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    held = [open(os.devnull) for _ in range(1100)]  # noqa: SIM115 - closed below
    try:
        own = own_connection()
        try:
            assert own.connection.pgconn.socket >= 1024
            assert own.is_usable() is True
        finally:
            own.close()
    finally:
        for handle in held:
            handle.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
