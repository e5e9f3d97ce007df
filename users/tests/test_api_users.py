"""Tenant user management: /api/v1/users/ for API keys (users:read / users:write) and tenant admins."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import api_key_client_for, jwt_client_for
from users.models import Profile, User
from users.tests.factories import ProfileFactory, UserFactory
from users.tests.helpers import without_volatile

USERS = "/api/v1/users/"
MISSING_ID = 987654321

pytestmark = pytest.mark.django_db


def detail(user_or_id) -> str:
    return f"{USERS}{getattr(user_or_id, 'pk', user_or_id)}/"


def tokens(user_or_id) -> str:
    return f"{detail(user_or_id)}tokens/"


@pytest.fixture
def reader(tenant):
    return api_key_client_for(tenant, scopes=["users:read"])


@pytest.fixture
def writer(tenant):
    return api_key_client_for(tenant, scopes=["users:write", "users:tokens"])


# --- who may call -------------------------------------------------------------------


def test_api_key_with_users_read_lists_the_tenants_users(reader, user, tenant_admin, other_tenant):
    UserFactory.create(tenant=other_tenant)

    response = reader.get(USERS)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert {row["email"] for row in body["results"]} == {user.email, tenant_admin.email}
    row = next(r for r in body["results"] if r["id"] == user.pk)
    # List rows are the account only; the profile is on the user's own page.
    assert "profile" not in row and "password" not in row
    detail = reader.get(f"{USERS}{user.pk}/").json()
    assert detail["has_password"] is True and detail["profile"]["units"] == "metric"


def test_api_key_with_read_scope_cannot_write(reader, user):
    for response in (
        reader.post(USERS, {"email": "x@example.com"}, format="json"),
        reader.patch(detail(user), {"first_name": "X"}, format="json"),
        reader.delete(detail(user)),
        reader.post(tokens(user)),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "insufficient_scope"
    assert User.objects.filter(pk=user.pk, first_name=user.first_name).exists()


def test_api_key_without_users_scope_is_refused(tenant, user):
    client = api_key_client_for(tenant, scopes=["nutrition:read", "nutrition:write"])

    response = client.get(USERS)

    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"
    assert client.get(detail(user)).json()["code"] == "insufficient_scope"


def test_tenant_admin_jwt_manages_users(admin_client_jwt, user):
    assert admin_client_jwt.get(USERS).status_code == 200
    assert admin_client_jwt.get(detail(user)).json()["email"] == user.email


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("get", "list", None),
        ("post", "list", {"email": "new@example.com"}),
        ("get", "detail", None),
        ("patch", "detail", {"first_name": "Hacked"}),
        ("delete", "detail", None),
        ("post", "tokens", None),
    ],
)
def test_a_plain_member_cannot_use_user_management(user, tenant, method, path, payload):
    neighbour = UserFactory.create(tenant=tenant, first_name="Neighbour")
    url = {"list": USERS, "detail": detail(neighbour), "tokens": tokens(neighbour)}[path]

    response = getattr(jwt_client_for(user), method)(url, payload, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "tenant_admin_required"
    assert neighbour.email not in response.content.decode()
    neighbour.refresh_from_db()
    assert neighbour.first_name == "Neighbour"
    assert not User.objects.filter(email="new@example.com").exists()


def test_anonymous_callers_get_401(api_client):
    assert api_client.get(USERS).status_code == 401


# --- isolation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "payload"),
    [("get", "", None), ("patch", "", {"first_name": "X"}), ("delete", "", None), ("post", "tokens/", None)],
)
def test_another_tenants_user_is_404_like_a_missing_one(writer, other_tenant, method, suffix, payload):
    foreign = UserFactory.create(tenant=other_tenant, first_name="Foreign")

    foreign_response = getattr(writer, method)(f"{detail(foreign)}{suffix}", payload, format="json")
    missing_response = getattr(writer, method)(f"{detail(MISSING_ID)}{suffix}", payload, format="json")

    assert foreign_response.status_code == missing_response.status_code == 404
    assert without_volatile(foreign_response.json()) == without_volatile(missing_response.json())
    foreign.refresh_from_db()
    assert foreign.first_name == "Foreign"


def test_tenant_admin_cannot_reach_another_tenants_users(admin_client_jwt, other_tenant):
    foreign = UserFactory.create(tenant=other_tenant)

    assert admin_client_jwt.get(detail(foreign)).status_code == 404
    assert foreign.email not in admin_client_jwt.get(USERS).content.decode()


def test_staff_accounts_are_invisible_to_tenant_management(tenant, writer):
    staff = UserFactory.create(tenant=tenant, is_staff=True)
    root = UserFactory.create(tenant=tenant, is_superuser=True)

    assert {staff.pk, root.pk}.isdisjoint(r["id"] for r in writer.get(USERS).json()["results"])
    assert writer.get(detail(staff)).status_code == 404
    assert writer.post(tokens(root)).status_code == 404


def test_ids_must_be_numbers(writer):
    assert writer.get(f"{USERS}abc/").status_code == 404


# --- list: filters, ordering, pagination, queries --------------------------------------


def test_list_filters_and_ordering(reader, tenant):
    now = timezone.now()
    ann = UserFactory.create(tenant=tenant, email="ann@partner.com", date_joined=now - timedelta(days=30))
    bob = UserFactory.create(tenant=tenant, email="bob@partner.com", date_joined=now, is_active=False)
    admin = UserFactory.create(tenant=tenant, email="carol@other.org", role=User.Role.TENANT_ADMIN, date_joined=now)

    def ids(query: str) -> list[int]:
        response = reader.get(f"{USERS}?{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids("email=PARTNER") == [ann.pk, bob.pk]
    assert ids("role=tenant_admin") == [admin.pk]
    assert ids("is_active=false") == [bob.pk]
    since = (now - timedelta(days=1)).date().isoformat()
    assert ids(f"joined_after={since}") == [bob.pk, admin.pk]
    assert ids(f"joined_before={(now - timedelta(days=29)).date().isoformat()}") == [ann.pk]
    assert ids("ordering=-email") == [admin.pk, bob.pk, ann.pk]


def test_list_rejects_an_unknown_role_filter(reader):
    response = reader.get(f"{USERS}?role=emperor")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "role"


def test_list_is_paginated_with_a_count(reader, tenant):
    UserFactory.create_batch(3, tenant=tenant)

    body = reader.get(f"{USERS}?limit=2&offset=0").json()

    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]


def test_list_query_count_does_not_grow_with_users(tenant, django_assert_max_num_queries):
    client = api_key_client_for(tenant, scopes=["users:read"])
    client.get(USERS)  # the key's first use records last_used_at; keep that out of the counts

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(USERS).status_code == 200
        return len(captured)

    ProfileFactory.create(user=UserFactory.create(tenant=tenant), weight_kg=Decimal("70"))
    with_one = count_queries()
    for _ in range(9):
        ProfileFactory.create(user=UserFactory.create(tenant=tenant), weight_kg=Decimal("70"))
    with_ten = count_queries()

    assert with_one == with_ten
    with django_assert_max_num_queries(with_one):
        body = client.get(USERS).json()
    assert body["count"] == 10


# --- create -------------------------------------------------------------------------


def test_api_key_creates_a_passwordless_user_in_its_own_tenant(writer, tenant, other_tenant):
    response = writer.post(
        USERS, {"email": "new@example.com", "first_name": "New", "tenant": other_tenant.pk}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["tenant"] == "acme" and body["role"] == "member" and body["has_password"] is False
    user = User.objects.get(pk=body["id"])
    assert user.tenant == tenant and not user.has_usable_password()
    assert Profile.unscoped.filter(user=user, tenant=tenant).exists()


def test_create_with_a_password_lets_the_user_sign_in(writer, tenant):
    response = writer.post(USERS, {"email": "pw@example.com", "password": "a-Strong-pass-9876"}, format="json")

    assert response.status_code == 201
    assert User.objects.get(pk=response.json()["id"]).check_password("a-Strong-pass-9876")


def test_create_rejects_a_weak_password(writer):
    response = writer.post(USERS, {"email": "weak@example.com", "password": "123"}, format="json")

    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"password"}
    assert not User.objects.filter(email="weak@example.com").exists()


def test_create_rejects_a_duplicate_email_in_any_case(writer, user):
    response = writer.post(USERS, {"email": user.email.upper()}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "email", "code": "email_taken", "message": "A user with this email already exists in this tenant."}
    ]
    assert User.objects.filter(email__iexact=user.email).count() == 1


def test_the_same_email_may_exist_in_another_tenant(other_tenant, user):
    response = api_key_client_for(other_tenant, scopes=["users:write"]).post(
        USERS, {"email": user.email}, format="json"
    )

    assert response.status_code == 201
    assert User.objects.filter(email=user.email).count() == 2


def test_create_rejects_an_invalid_email(writer):
    response = writer.post(USERS, {"email": "not-an-email"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "email"


def test_only_a_tenant_admin_may_create_a_tenant_admin(writer, admin_client_jwt):
    refused = writer.post(USERS, {"email": "boss@example.com", "role": "tenant_admin"}, format="json")
    created = admin_client_jwt.post(USERS, {"email": "boss@example.com", "role": "tenant_admin"}, format="json")

    assert refused.status_code == 403 and refused.json()["code"] == "tenant_admin_required"
    assert created.status_code == 201
    assert User.objects.get(email="boss@example.com").role == User.Role.TENANT_ADMIN


# --- update -------------------------------------------------------------------------


def test_api_key_updates_names_activity_and_profile(writer, user):
    response = writer.patch(
        detail(user),
        {"first_name": "Renamed", "profile": {"weight_kg": 81.5, "dietary_pattern": "vegan"}},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["profile"]["weight_kg"] == 81.5
    user.refresh_from_db()
    assert user.first_name == "Renamed"
    assert (user.profile.weight_kg, user.profile.dietary_pattern) == (Decimal("81.50"), "vegan")


def test_patch_validation_errors_name_the_nested_field(writer, user):
    response = writer.patch(detail(user), {"profile": {"timezone": "Atlantis/Capital"}}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "profile.timezone"


def test_deactivating_a_user_kills_their_tokens(writer, user, user_client):
    assert user_client.get("/api/v1/users/me/").status_code == 200

    response = writer.patch(detail(user), {"is_active": False}, format="json")

    assert response.status_code == 200 and response.json()["is_active"] is False
    assert user_client.get("/api/v1/users/me/").status_code == 401


def test_api_keys_cannot_touch_tenant_admin_accounts(writer, tenant_admin):
    for response in (
        writer.patch(detail(tenant_admin), {"is_active": False}, format="json"),
        writer.delete(detail(tenant_admin)),
        writer.post(tokens(tenant_admin)),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "tenant_admin_required"
    tenant_admin.refresh_from_db()
    assert tenant_admin.is_active
    assert writer.get(detail(tenant_admin)).status_code == 200  # reading is fine


def test_api_keys_cannot_promote_a_member(writer, user):
    response = writer.patch(detail(user), {"role": "tenant_admin"}, format="json")

    assert response.status_code == 403
    user.refresh_from_db()
    assert user.role == User.Role.MEMBER


def test_tenant_admin_promotes_a_member(admin_client_jwt, user):
    response = admin_client_jwt.patch(detail(user), {"role": "tenant_admin"}, format="json")

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.is_tenant_admin


def test_tenant_admin_cannot_lock_themselves_out(admin_client_jwt, tenant_admin):
    for payload in ({"role": "member"}, {"is_active": False}):
        response = admin_client_jwt.patch(detail(tenant_admin), payload, format="json")
        assert response.status_code == 409
        assert response.json()["code"] == "cannot_change_own_access"
    assert admin_client_jwt.delete(detail(tenant_admin)).json()["code"] == "cannot_delete_self"
    assert admin_client_jwt.patch(detail(tenant_admin), {"first_name": "Me"}, format="json").status_code == 200


def test_put_is_not_offered(writer, user):
    assert writer.put(detail(user), {"first_name": "X"}, format="json").status_code == 405


# --- delete -------------------------------------------------------------------------


def test_delete_removes_the_user_and_their_profile(writer, user, user_client):
    response = writer.delete(detail(user))

    assert response.status_code == 204
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Profile.unscoped.filter(user_id=user.pk).exists()
    assert user_client.get("/api/v1/users/me/").status_code == 401


# --- tokens -------------------------------------------------------------------------


@pytest.fixture
def minter(tenant):
    return api_key_client_for(tenant, scopes=["users:tokens"])


def test_minting_tokens_needs_its_own_scope(tenant, user):
    """users:write must not mint a token that escapes the key's other scopes."""
    response = api_key_client_for(tenant, scopes=["users:write"]).post(tokens(user))
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"
    assert "users:tokens" in response.json()["detail"]


def test_tokens_endpoint_signs_the_user_in(minter, user):
    response = minter.post(tokens(user))

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"access", "refresh"}
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    me = client.get("/api/v1/users/me/")
    assert me.status_code == 200 and me.json()["id"] == user.pk


@pytest.mark.parametrize("scopes", [["*"], ["users:*"], ["users:write"], ["users:*", "*", "users:write"], None])
def test_no_wildcard_and_no_default_key_can_mint(tenant, user, scopes):
    """Minting needs ``users:tokens`` by name; the broadest key there is does not imply it."""
    if scopes is None:  # a key created without a scope list gets the default set
        from authapp.services import api_key_create

        issued = api_key_create(tenant=tenant, name="default")
        client = api_key_client_for(tenant, scopes=list(issued.api_key.scopes))
    else:
        client = api_key_client_for(tenant, scopes=scopes)

    response = client.post(tokens(user))

    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"


@pytest.mark.parametrize("scopes", [["users:tokens"], ["*", "users:tokens"]])
def test_naming_the_scope_is_what_allows_minting(tenant, user, scopes):
    assert api_key_client_for(tenant, scopes=scopes).post(tokens(user)).status_code == 201


def test_nobody_mints_for_a_tenant_admin(tenant, tenant_admin):
    peer = UserFactory.create(tenant=tenant, role=User.Role.TENANT_ADMIN)
    admin_client = jwt_client_for(tenant_admin)
    minter_key = api_key_client_for(tenant, scopes=["users:tokens"])

    for client, target, code in [
        (admin_client, peer, "mint_for_members_only"),  # an admin does not become another admin
        (admin_client, tenant_admin, "mint_for_members_only"),  # nor mints a long-lived pair for itself
        (minter_key, tenant_admin, "tenant_admin_required"),  # keys never touch admin accounts
    ]:
        response = client.post(tokens(target))
        assert response.status_code == 403, (target, response.content)
        assert response.json()["code"] == code
        assert "access" not in response.json()


def test_a_tenant_admin_may_mint_for_a_member(tenant_admin, user):
    response = jwt_client_for(tenant_admin).post(tokens(user))

    assert response.status_code == 201
    assert set(response.json()) == {"access", "refresh"}


def test_a_member_cannot_mint_at_all(user, tenant):
    teammate = UserFactory.create(tenant=tenant)

    response = jwt_client_for(user).post(tokens(teammate))

    assert response.status_code == 403
    assert response.json()["code"] == "tenant_admin_required"


def test_tokens_for_an_inactive_user_are_refused(minter, tenant):
    inactive = UserFactory.create(tenant=tenant, is_active=False)

    response = minter.post(tokens(inactive))

    assert response.status_code == 409
    assert response.json()["code"] == "user_inactive"
    assert "access" not in response.json()


def test_partner_created_user_can_verify_when_verification_is_mandatory(
    writer, tenant, settings, django_capture_on_commit_callbacks
):
    from allauth.account.models import EmailAddress
    from django.core import mail
    from rest_framework.test import APIClient

    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    created = writer.post(USERS, {"email": "synced@acme.example", "password": "a-Quite-long-passphrase-42"})
    assert created.status_code == 201
    address = EmailAddress.objects.get(user_id=created.json()["id"])
    assert (address.primary, address.verified) == (True, False)

    client = APIClient()
    login = client.post(
        "/api/v1/auth/login/",
        {"email": "synced@acme.example", "password": "a-Quite-long-passphrase-42"},
        HTTP_X_TENANT=tenant.slug,
    )
    assert login.status_code == 403 and login.json()["code"] == "email_not_verified"
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/api/v1/auth/email/resend/", {"email": "synced@acme.example"}, HTTP_X_TENANT=tenant.slug)
    assert [m.to for m in mail.outbox] == [["synced@acme.example"]]
