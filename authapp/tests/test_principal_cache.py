"""Principals come from a cache, yet every change that decides access takes effect on the very next request.

Each test warms the cache with a successful request first, so a refusal proves the cached
copy was dropped (or re-checked), not that it was never there.
"""

import time
from datetime import timedelta

import pytest
from django.core.cache import cache

from authapp import principal_cache
from authapp.authentication import ApiKeyAuthentication
from authapp.models import ApiKey
from authapp.services import api_key_revoke, api_key_rotate
from authapp.tests.factories import make_api_key
from conftest import api_key_client_for, jwt_client_for
from users.models import Profile, Tenant, User
from users.tests.factories import ProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

USERS = "/api/v1/users/"
ME = "/api/v1/users/me/"


def key_client(secret: str):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_X_API_KEY=secret)
    return client


# --- what the hot path costs ------------------------------------------------------------------


def test_users_list_runs_at_most_two_queries_with_a_warm_cache(tenant, django_assert_max_num_queries) -> None:
    for _ in range(20):
        ProfileFactory.create(user=UserFactory.create(tenant=tenant))
    client = api_key_client_for(tenant, scopes=["users:read"])
    assert client.get(f"{USERS}?limit=20").status_code == 200  # warms the cache, records last_used_at

    with django_assert_max_num_queries(2):
        response = client.get(f"{USERS}?limit=20")
    assert response.status_code == 200
    assert response.json()["count"] == 20 and len(response.json()["results"]) == 20


def test_me_runs_at_most_one_query_with_a_warm_cache(tenant, django_assert_max_num_queries) -> None:
    user = UserFactory.create(tenant=tenant)
    ProfileFactory.create(user=user, fitness_goal="maintain")
    client = jwt_client_for(user)
    assert client.get(ME).status_code == 200

    with django_assert_max_num_queries(1):
        response = client.get(ME)
    assert response.status_code == 200
    assert response.json()["profile"]["fitness_goal"] == "maintain"


# --- refused on the very next request ---------------------------------------------------------


def test_a_revoked_key_is_refused_on_the_next_request(tenant, admin_client_jwt) -> None:
    issued = make_api_key(tenant, scopes=["users:read"])
    client = key_client(issued.secret)
    assert client.get(USERS).status_code == 200

    assert admin_client_jwt.post(f"/api/v1/tenant/api-keys/{issued.api_key.pk}/revoke/").status_code == 200

    response = client.get(USERS)
    assert response.status_code == 401
    assert response.json()["code"] == "api_key_revoked"


def test_a_rotated_key_is_refused_as_soon_as_its_overlap_ends(tenant) -> None:
    issued = make_api_key(tenant, scopes=["users:read"])
    client = key_client(issued.secret)
    assert client.get(USERS).status_code == 200

    replacement = api_key_rotate(api_key=issued.api_key, grace=timedelta(milliseconds=400))
    assert client.get(USERS).status_code == 200  # inside the overlap: cached again, with its new expiry
    assert key_client(replacement.secret).get(USERS).status_code == 200
    time.sleep(0.5)

    response = client.get(USERS)  # the cached copy is younger than a second: the expiry is checked on it
    assert response.status_code == 401
    assert response.json()["code"] == "api_key_expired"
    assert key_client(replacement.secret).get(USERS).status_code == 200


def test_a_suspended_tenant_is_refused_on_the_next_request(tenant) -> None:
    key = api_key_client_for(tenant, scopes=["users:read"])
    user = jwt_client_for(UserFactory.create(tenant=tenant))
    assert key.get(USERS).status_code == 200 and user.get(ME).status_code == 200

    suspended = Tenant.objects.get(pk=tenant.pk)
    suspended.status = Tenant.Status.SUSPENDED
    suspended.save()  # as the admin's form does

    for response in (key.get(USERS), user.get(ME)):
        assert response.status_code == 403
        assert response.json()["code"] == "tenant_suspended"


def test_a_deactivated_user_is_refused_on_the_next_request(tenant, admin_client_jwt) -> None:
    member = UserFactory.create(tenant=tenant)
    client = jwt_client_for(member)
    assert client.get(ME).status_code == 200

    assert admin_client_jwt.patch(f"{USERS}{member.pk}/", {"is_active": False}, format="json").status_code == 200

    response = client.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] in {"user_inactive", "token_revoked"}


def test_a_role_change_signs_the_user_out_on_the_next_request(tenant, admin_client_jwt) -> None:
    member = UserFactory.create(tenant=tenant)
    client = jwt_client_for(member)
    assert client.get(ME).status_code == 200

    changed = admin_client_jwt.patch(f"{USERS}{member.pk}/", {"role": User.Role.TENANT_ADMIN}, format="json")
    assert changed.status_code == 200

    response = client.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"


def test_a_profile_edit_is_seen_by_the_next_request(tenant) -> None:
    user = UserFactory.create(tenant=tenant)
    ProfileFactory.create(user=user, fitness_goal="maintain")
    client = jwt_client_for(user)
    assert client.get(ME).json()["profile"]["fitness_goal"] == "maintain"

    assert client.patch(ME, {"profile": {"fitness_goal": "gain"}}, format="json").status_code == 200

    assert client.get(ME).json()["profile"]["fitness_goal"] == "gain"


# --- writes through a cached principal ----------------------------------------------------------
# Another worker's write a moment ago is not in this worker's cached copy: a PATCH must still land.


def test_a_settings_change_lands_although_the_cached_profile_is_stale(tenant) -> None:
    user = UserFactory.create(tenant=tenant)
    ProfileFactory.create(user=user, marketing_opt_in=False)
    client = jwt_client_for(user)
    assert client.get(ME).status_code == 200  # the profile is cached: opted out
    Profile.unscoped.filter(user=user).update(marketing_opt_in=True)  # opted in, on another worker

    response = client.patch("/api/v1/users/me/settings/", {"marketing_opt_in": False}, format="json")

    assert response.status_code == 200 and response.json()["marketing_opt_in"] is False
    assert Profile.unscoped.get(user=user).marketing_opt_in is False


def test_a_name_change_lands_although_the_cached_user_is_stale(tenant) -> None:
    user = UserFactory.create(tenant=tenant, first_name="Ada")
    ProfileFactory.create(user=user, fitness_goal="maintain")
    client = jwt_client_for(user)
    assert client.get(ME).status_code == 200
    User.objects.filter(pk=user.pk).update(first_name="Grace")  # on another worker
    Profile.unscoped.filter(user=user).update(fitness_goal="gain")

    response = client.patch(ME, {"first_name": "Ada", "profile": {"fitness_goal": "maintain"}}, format="json")

    assert response.status_code == 200
    assert response.json()["first_name"] == "Ada" and response.json()["profile"]["fitness_goal"] == "maintain"
    assert User.objects.get(pk=user.pk).first_name == "Ada"
    assert Profile.unscoped.get(user=user).fitness_goal == "maintain"


# --- the cache itself -------------------------------------------------------------------------


def test_every_caller_gets_its_own_copy(tenant) -> None:
    user = UserFactory.create(tenant=tenant)
    entry = principal_cache.user_entry(tenant.pk, user.pk)
    loads = []

    def load():
        loads.append(1)
        return User.objects.get(pk=user.pk)

    first = principal_cache.cached(entry, load)
    assert first is not None
    first.first_name = "changed by a request"
    second = principal_cache.cached(entry, load)

    assert len(loads) == 1
    assert second is not None and second is not first
    assert second.first_name != "changed by a request"


def test_nobody_is_not_cached(tenant) -> None:
    loads = []

    def load():
        loads.append(1)

    for _ in range(2):
        assert principal_cache.cached(principal_cache.api_key_entry("0" * 64), load) is None
    assert len(loads) == 2  # a key created a moment later is found at once


def test_forget_drops_this_process_copy_at_once(tenant) -> None:
    entry = principal_cache.user_entry(tenant.pk, 1)
    assert principal_cache.cached(entry, lambda: "old") == "old"
    principal_cache.forget(entry)
    assert principal_cache.cached(entry, lambda: "new") == "new"


def test_an_entry_that_does_not_unpickle_is_read_again(tenant) -> None:
    entry = principal_cache.user_entry(tenant.pk, 1)
    principal_cache.local.set(entry, b"not a pickle from this release", 60)
    if principal_cache.shared_cache_is_shared():
        cache.set(entry, b"not a pickle from this release", 60)

    assert principal_cache.cached(entry, lambda: "from the database") == "from the database"
    assert principal_cache.cached(entry, lambda: "again") == "from the database"  # and cached anew


def test_local_copies_live_for_the_configured_second(tenant, settings) -> None:
    settings.PRINCIPAL_CACHE_LOCAL_SECONDS = 0.2
    settings.PRINCIPAL_CACHE_SECONDS = 0  # the local level alone
    entry = principal_cache.user_entry(tenant.pk, 1)
    assert principal_cache.cached(entry, lambda: "old") == "old"
    assert principal_cache.cached(entry, lambda: "new") == "old"
    time.sleep(0.25)
    assert principal_cache.cached(entry, lambda: "new") == "new"


@pytest.fixture
def shared_cache():
    if not principal_cache.shared_cache_is_shared():
        pytest.skip("REDIS_URL unset: no cache shared between processes")


@pytest.mark.redis
def test_another_process_finds_the_entry_in_redis(tenant, shared_cache) -> None:
    entry = principal_cache.user_entry(tenant.pk, 1)
    principal_cache.cached(entry, lambda: "from the database")
    principal_cache.local.clear()  # as another worker would start

    assert principal_cache.cached(entry, lambda: "loaded again") == "from the database"


def test_a_key_revoked_while_another_thread_loads_it_is_not_cached(tenant, monkeypatch) -> None:
    """Thread 1 reads the key row; thread 2 revokes it and forgets; thread 1 must not store the old row."""
    issued = make_api_key(tenant, scopes=["users:read"])
    client = key_client(issued.secret)
    original = ApiKeyAuthentication._load

    def load_then_revoke_elsewhere(prefix: str, digest: str):
        row = original(prefix, digest)
        api_key_revoke(api_key=ApiKey.unscoped.get(pk=issued.api_key.pk))
        return row

    monkeypatch.setattr(ApiKeyAuthentication, "_load", staticmethod(load_then_revoke_elsewhere))
    assert client.get(USERS).status_code == 200  # it held a valid row when it checked
    monkeypatch.setattr(ApiKeyAuthentication, "_load", staticmethod(original))

    response = client.get(USERS)
    assert response.status_code == 401
    assert response.json()["code"] == "api_key_revoked"


def another_worker_forgets(entry: str) -> None:
    """What another process's forget() leaves in the shared cache (this process's copy untouched)."""
    cache.set(entry, principal_cache._TOMBSTONE, principal_cache._TOMBSTONE_SECONDS)


def another_worker_changes_the_tenant(tenant_id: int) -> None:
    epoch = principal_cache._tenant_epoch(tenant_id)
    cache.add(epoch, 0, None)
    cache.incr(epoch)


@pytest.mark.redis
def test_a_row_read_before_a_revocation_elsewhere_is_not_written_back_after_it(tenant, shared_cache) -> None:
    entry = principal_cache.api_key_entry("f" * 64)

    def read_then_revoked_elsewhere() -> str:
        row = "valid, as read before the revocation"
        another_worker_forgets(entry)
        return row

    principal_cache.cached(entry, read_then_revoked_elsewhere)
    principal_cache.local.clear()  # a third worker, with nothing of its own

    assert principal_cache.cached(entry, lambda: "revoked, from the database") == "revoked, from the database"
    assert cache.get(entry) == principal_cache._TOMBSTONE


@pytest.mark.redis
def test_a_user_read_before_their_tenant_changed_elsewhere_is_not_served_after_it(tenant, shared_cache) -> None:
    entry = principal_cache.user_entry(tenant.pk, 1)

    def read_then_suspended_elsewhere() -> str:
        row = "active, as read before the suspension"
        another_worker_changes_the_tenant(tenant.pk)
        return row

    principal_cache.cached(entry, read_then_suspended_elsewhere, tenant_id=tenant.pk)
    principal_cache.local.clear()

    assert principal_cache.cached(entry, lambda: "suspended", tenant_id=tenant.pk) == "suspended"
    principal_cache.local.clear()
    assert principal_cache.cached(entry, lambda: "again", tenant_id=tenant.pk) == "suspended"  # cached anew


@pytest.mark.redis
def test_suspending_a_tenant_forgets_all_its_users_in_redis(tenant, shared_cache) -> None:
    other = Tenant.objects.create(slug="other", name="Other")
    mine = principal_cache.user_entry(tenant.pk, 1)
    theirs = principal_cache.user_entry(other.pk, 1)
    principal_cache.cached(mine, lambda: "mine", tenant_id=tenant.pk)
    principal_cache.cached(theirs, lambda: "theirs", tenant_id=other.pk)

    tenant.status = Tenant.Status.SUSPENDED
    tenant.save()
    principal_cache.local.clear()

    assert principal_cache.cached(mine, lambda: "suspended", tenant_id=tenant.pk) == "suspended"
    assert principal_cache.cached(theirs, lambda: "reloaded", tenant_id=other.pk) == "theirs"


def test_a_cache_outage_while_forgetting_does_not_undo_the_revocation(tenant, admin_client_jwt, monkeypatch) -> None:
    issued = make_api_key(tenant, scopes=["users:read"])

    def down(*args, **kwargs):
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(principal_cache.cache, "set_many", down)
    monkeypatch.setattr(principal_cache, "shared_cache_is_shared", lambda: True)

    assert admin_client_jwt.post(f"/api/v1/tenant/api-keys/{issued.api_key.pk}/revoke/").status_code == 200
    assert ApiKey.unscoped.get(pk=issued.api_key.pk).revoked_at is not None
