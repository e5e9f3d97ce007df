import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from authapp import keys, principal_cache
from authapp.authentication import _touched
from authapp.models import ApiKey
from authapp.services import api_key_create
from authapp.tests.factories import make_api_key
from conftest import jwt_client_for
from fitcore.api.tests.scopeapp.models import Note
from users.models import Tenant
from users.tests.factories import UserFactory

KEYS = "/api/v1/tenant/api-keys/"
NOTES = "/api/v1/scopeapp/notes/"


# --- the key format ------------------------------------------------------------------


def test_generated_keys_have_the_documented_shape() -> None:
    new = keys.generate()
    assert new.key.startswith("fc_live_")
    assert len(new.key) == keys.KEY_LENGTH == 8 + 43 + 6
    assert new.prefix == new.key[:16]
    assert new.key_hash == keys.hash_key(new.key)
    assert keys.parse(new.key) == new.prefix
    assert len({keys.generate().key for _ in range(50)}) == 50


@pytest.mark.parametrize(
    "mangle",
    [
        lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"),  # checksum digit
        lambda k: k[:20] + ("x" if k[20] != "x" else "y") + k[21:],  # body typo
        lambda k: k[:-3],  # truncated
        lambda k: "fc_test_" + k[8:],  # wrong prefix
        lambda k: k[:20] + "-" + k[21:],  # not base62
        lambda k: "",
    ],
)
def test_malformed_keys_fail_the_checksum_before_any_lookup(mangle) -> None:
    with pytest.raises(keys.KeyFormatError):
        keys.parse(mangle(keys.generate().key))


# --- authentication with X-API-Key ---------------------------------------------------


@pytest.fixture
def key_client():
    def make(secret: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=secret)
        return client

    return make


pytestmark = [pytest.mark.django_db, pytest.mark.urls("fitcore.api.tests.scopeapp.urls")]


def problem_code(response) -> str:
    return response.json()["code"]


def test_valid_key_acts_for_its_tenant(tenant, user, key_client) -> None:
    Note.unscoped.create(tenant=tenant, user=user, title="acme note")
    response = key_client(make_api_key(tenant).secret).get(NOTES)
    assert response.status_code == 200
    assert [n["title"] for n in response.json()["results"]] == ["acme note"]


def test_checksum_failing_key_is_401_without_touching_the_database(tenant, key_client) -> None:
    secret = make_api_key(tenant).secret
    bad = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    with CaptureQueriesContext(connection) as queries:
        response = key_client(bad).get(NOTES)
    assert response.status_code == 401
    assert problem_code(response) == "api_key_malformed"
    assert len(queries) == 0


def test_well_formed_unknown_key_is_401_invalid(tenant, key_client) -> None:
    response = key_client(keys.generate().key).get(NOTES)
    assert response.status_code == 401
    assert problem_code(response) == "api_key_invalid"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_same_prefix_but_different_secret_is_rejected(tenant, key_client) -> None:
    issued = make_api_key(tenant)
    forged = keys.generate()
    # Force a prefix collision: identical lookup prefix, different secret.
    body = issued.secret[8:16] + forged.key[16:-6]
    forged_key = f"fc_live_{body}{keys._checksum(body)}"
    assert keys.parse(forged_key) == issued.api_key.prefix
    response = key_client(forged_key).get(NOTES)
    assert response.status_code == 401
    assert problem_code(response) == "api_key_invalid"


def test_revocation_is_immediate(tenant, key_client, tenant_admin) -> None:
    issued = make_api_key(tenant)
    client = key_client(issued.secret)
    assert client.get(NOTES).status_code == 200
    revoked = jwt_client_for(tenant_admin).post(f"{KEYS}{issued.api_key.pk}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    response = client.get(NOTES)
    assert response.status_code == 401
    assert problem_code(response) == "api_key_revoked"


def test_expired_key_is_401_expired(tenant, key_client) -> None:
    issued = make_api_key(tenant)
    ApiKey.unscoped.filter(pk=issued.api_key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = key_client(issued.secret).get(NOTES)
    assert response.status_code == 401
    assert problem_code(response) == "api_key_expired"


def test_suspended_tenant_is_403(tenant, key_client) -> None:
    issued = make_api_key(tenant)
    Tenant.objects.filter(pk=tenant.pk).update(status=Tenant.Status.SUSPENDED)
    response = key_client(issued.secret).get(NOTES)
    assert response.status_code == 403
    assert problem_code(response) == "tenant_suspended"


def test_last_used_is_written_at_most_once_a_minute(tenant, key_client, monkeypatch) -> None:
    issued = make_api_key(tenant)
    client = key_client(issued.secret)
    assert issued.api_key.last_used_at is None

    with CaptureQueriesContext(connection) as first:
        client.get(NOTES)
    first_use = ApiKey.unscoped.get(pk=issued.api_key.pk).last_used_at
    assert first_use is not None
    assert sum("UPDATE" in q["sql"] for q in first.captured_queries) == 1

    with CaptureQueriesContext(connection) as second:
        client.get(NOTES)
    assert not any("UPDATE" in q["sql"] for q in second.captured_queries), "a write on a read request"
    assert ApiKey.unscoped.get(pk=issued.api_key.pk).last_used_at == first_use

    # Another worker's cached copy still says "never used": this worker wrote a moment ago, so it does not again.
    ApiKey.unscoped.filter(pk=issued.api_key.pk).update(last_used_at=None)
    principal_cache.forget(principal_cache.api_key_entry(issued.api_key.key_hash))
    with CaptureQueriesContext(connection) as third:
        client.get(NOTES)
    assert not any("UPDATE" in q["sql"] for q in third.captured_queries)

    # A minute later (the row and this worker's clock say so, and the cached copy has lived out its second).
    ApiKey.unscoped.filter(pk=issued.api_key.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    principal_cache.forget(principal_cache.api_key_entry(issued.api_key.key_hash))
    later = time.monotonic() + 61
    monkeypatch.setattr(_touched, "clock", lambda: later)
    client.get(NOTES)
    refreshed = ApiKey.unscoped.get(pk=issued.api_key.pk).last_used_at
    assert refreshed is not None and refreshed > first_use


def test_the_secret_is_never_stored(tenant) -> None:
    issued = make_api_key(tenant)
    row = ApiKey.unscoped.filter(pk=issued.api_key.pk).values().get()
    assert issued.secret not in {str(v) for v in row.values()}
    assert row["key_hash"] == keys.hash_key(issued.secret)


# --- managing keys: /api/v1/tenant/api-keys/ -----------------------------------------


def test_tenant_admin_creates_a_key_and_sees_the_secret_once(admin_client_jwt, tenant, key_client) -> None:
    response = admin_client_jwt.post(KEYS, {"name": "backend", "scopes": ["users:read", "nutrition:write"]})
    assert response.status_code == 201
    body = response.json()
    secret = body["key"]
    assert secret.startswith("fc_live_") and body["prefix"] == secret[:16]
    assert body["scopes"] == ["nutrition:write", "users:read"]
    assert key_client(secret).get(NOTES).status_code == 200

    listed = admin_client_jwt.get(KEYS).json()["results"]
    detail = admin_client_jwt.get(f"{KEYS}{body['id']}/").json()
    assert "key" not in listed[0] and "key" not in detail
    assert secret not in admin_client_jwt.get(KEYS).content.decode()


def test_key_without_scopes_gets_every_scope_but_minting(admin_client_jwt) -> None:
    from fitcore.api.scopes import ALL_SCOPES, DEFAULT_SCOPES

    response = admin_client_jwt.post(KEYS, {"name": "full"})
    assert response.status_code == 201
    assert response.json()["scopes"] == DEFAULT_SCOPES == sorted(set(ALL_SCOPES) - {"users:tokens"})


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": "x", "scopes": ["users:destroy"]}, "scopes[0]"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"scopes": ["users:read"]}, "name"),
        ({"name": "x", "expires_at": "2001-01-01T00:00:00Z"}, None),
    ],
)
def test_invalid_key_requests_are_400(admin_client_jwt, tenant, payload, field) -> None:
    response = admin_client_jwt.post(KEYS, payload, format="json")
    assert response.status_code == 400
    if field:
        assert field in {e["field"] for e in response.json()["errors"]}
    assert not ApiKey.unscoped.filter(tenant=tenant).exists()


def test_members_and_api_keys_cannot_manage_keys(user_client, api_key_client) -> None:
    member = user_client.post(KEYS, {"name": "nope"})
    assert member.status_code == 403
    assert member.json()["code"] == "tenant_admin_required"
    key = api_key_client.get(KEYS)
    assert key.status_code == 403
    assert key.json()["code"] == "api_key_not_allowed"


def test_another_tenants_key_is_404_and_untouched(admin_client_jwt, other_tenant) -> None:
    foreign = make_api_key(other_tenant)
    for response in (
        admin_client_jwt.get(f"{KEYS}{foreign.api_key.pk}/"),
        admin_client_jwt.post(f"{KEYS}{foreign.api_key.pk}/revoke/"),
        admin_client_jwt.post(f"{KEYS}{foreign.api_key.pk}/rotate/"),
    ):
        assert response.status_code == 404
    assert ApiKey.unscoped.get(pk=foreign.api_key.pk).revoked_at is None
    assert admin_client_jwt.get(KEYS).json()["count"] == 0


def test_rotation_issues_a_new_key_and_expires_the_old_one(admin_client_jwt, tenant, key_client) -> None:
    old = make_api_key(tenant, scopes=["users:read"])
    response = admin_client_jwt.post(f"{KEYS}{old.api_key.pk}/rotate/")
    assert response.status_code == 201
    new_secret = response.json()["key"]
    assert response.json()["scopes"] == ["users:read"]
    old.api_key.refresh_from_db()
    expires_at = old.api_key.expires_at
    assert expires_at is not None
    assert timezone.now() < expires_at <= timezone.now() + timedelta(hours=24)
    # Both work during the grace period.
    assert key_client(new_secret).get(NOTES).status_code == 200
    assert key_client(old.secret).get(NOTES).status_code == 200


def test_rotation_keeps_the_expiry_policy(admin_client_jwt, tenant) -> None:
    expiring = api_key_create(tenant=tenant, name="90 days", expires_at=timezone.now() + timedelta(days=90))
    assert expiring.api_key.expires_at is not None
    lifetime = expiring.api_key.expires_at - expiring.api_key.created_at

    response = admin_client_jwt.post(f"{KEYS}{expiring.api_key.pk}/rotate/")

    assert response.status_code == 201
    replacement = ApiKey.unscoped.get(pk=response.json()["id"])
    assert replacement.expires_at is not None  # never a key that lives forever
    assert abs((replacement.expires_at - replacement.created_at) - lifetime) < timedelta(seconds=5)
    assert replacement.rotated_from_id == expiring.api_key.pk
    assert response.json()["rotated_from"] == expiring.api_key.pk


def test_rotating_a_key_without_expiry_gives_one_without(admin_client_jwt, tenant) -> None:
    forever = make_api_key(tenant)

    response = admin_client_jwt.post(f"{KEYS}{forever.api_key.pk}/rotate/")

    assert response.status_code == 201 and response.json()["expires_at"] is None


def test_the_grace_period_never_extends_an_expiry(admin_client_jwt, tenant) -> None:
    soon = api_key_create(tenant=tenant, name="soon", expires_at=timezone.now() + timedelta(hours=2))

    assert admin_client_jwt.post(f"{KEYS}{soon.api_key.pk}/rotate/").status_code == 201

    soon.api_key.refresh_from_db()
    assert soon.api_key.expires_at is not None
    assert soon.api_key.expires_at <= timezone.now() + timedelta(hours=2)


def test_a_key_is_rotated_once(admin_client_jwt, tenant, key_client) -> None:
    old = make_api_key(tenant, scopes=["users:read"])
    first = admin_client_jwt.post(f"{KEYS}{old.api_key.pk}/rotate/")
    assert first.status_code == 201

    again = admin_client_jwt.post(f"{KEYS}{old.api_key.pk}/rotate/")

    assert again.status_code == 409
    assert again.json()["code"] == "api_key_already_rotated"
    assert ApiKey.unscoped.filter(tenant=tenant, revoked_at__isnull=True).count() == 2  # old + one replacement
    # The replacement itself can be rotated in turn.
    assert admin_client_jwt.post(f"{KEYS}{first.json()['id']}/rotate/").status_code == 201


def test_concurrent_rotations_mint_one_replacement(tenant) -> None:
    """Two requests holding the same loaded row: the conditional claim lets exactly one through."""
    from authapp.services import api_key_rotate
    from fitcore.api.exceptions import ApplicationError

    issued = make_api_key(tenant)
    first_view, second_view = ApiKey.unscoped.get(pk=issued.api_key.pk), ApiKey.unscoped.get(pk=issued.api_key.pk)
    api_key_rotate(api_key=first_view)

    with pytest.raises(ApplicationError) as refused:
        api_key_rotate(api_key=second_view)  # it still looks usable in memory
    assert refused.value.code == "api_key_already_rotated"
    assert ApiKey.unscoped.filter(rotated_from=issued.api_key).count() == 1


def test_rotating_a_revoked_key_is_409(admin_client_jwt, tenant) -> None:
    old = make_api_key(tenant)
    admin_client_jwt.post(f"{KEYS}{old.api_key.pk}/revoke/")
    response = admin_client_jwt.post(f"{KEYS}{old.api_key.pk}/rotate/")
    assert response.status_code == 409
    assert response.json()["code"] == "api_key_not_usable"


def test_listing_keys_costs_the_same_queries_for_1_or_10(admin_client_jwt, tenant, tenant_admin) -> None:
    api_key_create(tenant=tenant, name="k0", created_by=tenant_admin)
    admin_client_jwt.get(KEYS)  # the admin's principal is cached from now on, as in steady use
    with CaptureQueriesContext(connection) as one:
        assert admin_client_jwt.get(KEYS).json()["count"] == 1
    for i in range(9):
        api_key_create(tenant=tenant, name=f"k{i + 1}", created_by=UserFactory(tenant=tenant))
    with CaptureQueriesContext(connection) as ten:
        assert admin_client_jwt.get(KEYS).json()["count"] == 10
    assert len(ten) == len(one) <= 2  # count and page; authentication from the principal cache
