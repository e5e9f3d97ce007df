"""Across processes: two gunicorn workers with warm caches, one change, and both refuse within a second.

The in-process tests (test_principal_cache) prove the very next request of the same
process is refused. Here the change reaches a worker only through Redis, so this is
what bounds the lag: each worker's local copy lives ``PRINCIPAL_CACHE_LOCAL_SECONDS``.
Which worker answered is read from gunicorn's access log (pid per request id).
"""

import copy
import os
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection

from authapp.tests.factories import make_api_key
from authapp.tokens import issue_token_pair
from fuzz.run import free_port
from fuzz.run import server as gunicorn
from users.models import Tenant, User
from users.tests.factories import TenantFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
USERS = "/api/v1/users/?limit=20"
ME = "/api/v1/users/me/"

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@dataclass(frozen=True)
class Answer:
    request_id: str
    sent: float  # seconds after the change
    status: int


class Server:
    def __init__(self, base_url: str, access_log: Path) -> None:
        self.base_url, self.access_log = base_url, access_log
        self._pids: dict[str, str] = {}

    def get(self, path: str, headers: dict[str, str], since: float = 0.0) -> Answer:
        request_id = uuid.uuid4().hex
        url = f"{self.base_url}{path}"
        request = urllib.request.Request(url, headers={**headers, "X-Request-ID": request_id})  # noqa: S310
        sent = time.monotonic() - since
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own local server
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        return Answer(request_id, sent, status)

    def post(self, path: str, headers: dict[str, str]) -> int:
        url = f"{self.base_url}{path}"
        request = urllib.request.Request(url, method="POST", data=b"", headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own local server
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    def pid(self, answer: Answer) -> str:
        """The worker that answered (gunicorn writes the access log line as the response goes out)."""
        deadline = time.monotonic() + 5
        while answer.request_id not in self._pids and time.monotonic() < deadline:
            for line in self.access_log.read_text().splitlines():
                pid, _, request_id = line.partition(" ")
                self._pids[request_id] = pid
            if answer.request_id not in self._pids:
                time.sleep(0.02)
        return self._pids[answer.request_id]


@pytest.fixture
def shared_key_space(settings) -> Iterator[str]:
    """This test and the server use one Redis key space, so changes made here reach the workers."""
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        pytest.skip("needs PostgreSQL and Redis (DATABASE_URL and REDIS_URL): workers share both")
    prefix = f"fitcore-xworker-{uuid.uuid4().hex[:12]}"
    caches = copy.deepcopy(django_settings.CACHES)
    caches["default"]["KEY_PREFIX"] = prefix
    settings.CACHES = caches
    yield prefix
    cache.delete_pattern("*")  # type: ignore[attr-defined]  # this key space only (django-redis)


@pytest.fixture
def server(shared_key_space: str, tmp_path: Path) -> Iterator[Server]:
    access_log = tmp_path / "access.log"
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fitcore.settings.testing",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "TEST_SERVER_CACHE_KEY_PREFIX": shared_key_space,
        "HOME": str(tmp_path),  # gunicorn's control socket: one of our own
        "PYTHONPATH": str(ROOT),
    }
    access = ("--access-logfile", str(access_log), "--access-logformat", "%(p)s %({x-request-id}i)s")
    with gunicorn(env, free_port(), tmp_path / "gunicorn.log", *access) as base_url:
        yield Server(base_url, access_log)


def in_pairs(server: Server, path: str, headers: dict[str, str], since: float = 0.0) -> list[Answer]:
    """Two requests at once: with sync workers, one busy worker leaves the other to take the second.

    One at a time, the kernel may hand every connection to the same waiting worker.
    """
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(lambda _: server.get(path, headers, since=since), range(2)))


def warm_both_workers(server: Server, path: str, headers: dict[str, str]) -> set[str]:
    pids: set[str] = set()
    for _ in range(100):
        for answer in in_pairs(server, path, headers):
            assert answer.status == 200
            pids.add(server.pid(answer))
        if len(pids) == 2:
            return pids
    pytest.fail("one worker answered 200 requests")


def watch(
    server: Server, targets: list[tuple[str, dict[str, str]]], since: float, seconds: float
) -> list[list[Answer]]:
    """Pairs of requests to each target in turn until ``seconds`` after ``since``: answers per target."""
    answers: list[list[Answer]] = [[] for _ in targets]
    while time.monotonic() - since < seconds:
        for index, (path, headers) in enumerate(targets):
            answers[index].extend(in_pairs(server, path, headers, since=since))
    return answers


def assert_refused_everywhere_within(
    server: Server, answers: list[Answer], workers: set[str], refused: int, lag: float
) -> None:
    late = [a for a in answers if a.sent >= lag]
    assert late, "no request was sent after the allowed lag"
    assert {a.status for a in late} == {refused}, [(round(a.sent, 3), a.status) for a in answers]
    # Both workers had a warm copy and both refused: the change did reach the other process.
    assert {server.pid(a) for a in late} == workers


def test_a_key_revoked_on_one_worker_is_refused_by_both_within_a_second(server: Server) -> None:
    tenant = TenantFactory.create()
    admin = UserFactory.create(tenant=tenant, role=User.Role.TENANT_ADMIN)
    issued = make_api_key(tenant, scopes=["users:read"])
    key = {"X-API-Key": issued.secret}
    workers = warm_both_workers(server, USERS, key)

    revoked = server.post(
        f"/api/v1/tenant/api-keys/{issued.api_key.pk}/revoke/",
        {"Authorization": f"Bearer {issue_token_pair(admin)['access']}"},
    )
    assert revoked == 200
    since = time.monotonic()

    lag = django_settings.PRINCIPAL_CACHE_LOCAL_SECONDS
    [answers] = watch(server, [(USERS, key)], since, lag + 0.6)
    assert_refused_everywhere_within(server, answers, workers, 401, lag)


def test_a_tenant_suspended_elsewhere_is_refused_by_both_workers_within_a_second(server: Server) -> None:
    tenant = TenantFactory.create()
    member = UserFactory.create(tenant=tenant)
    key = {"X-API-Key": make_api_key(tenant, scopes=["users:read"]).secret}
    bearer = {"Authorization": f"Bearer {issue_token_pair(member)['access']}"}
    workers = warm_both_workers(server, USERS, key)
    assert warm_both_workers(server, ME, bearer) == workers

    suspended = Tenant.objects.get(pk=tenant.pk)
    suspended.status = Tenant.Status.SUSPENDED
    suspended.save()  # in this process, as the admin site would: only Redis tells the workers
    since = time.monotonic()

    lag = django_settings.PRINCIPAL_CACHE_LOCAL_SECONDS
    by_key, by_token = watch(server, [(USERS, key), (ME, bearer)], since, lag + 0.6)
    assert_refused_everywhere_within(server, by_key, workers, 403, lag)
    assert_refused_everywhere_within(server, by_token, workers, 403, lag)
