"""Google and Apple sign-in: id_token verification, tenant-scoped linking, and the endpoints.

Only the HTTP fetch of the providers' key sets is faked (see jwks.py); signing,
verification, caching, the database and the views are real.
"""

import hashlib
import json
import time
from typing import Any

import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from authapp.oauth import APPLE, GOOGLE, social_account_uid
from authapp.oauth.jwks import REFETCH_COOLDOWN_SECONDS
from authapp.tests.jwks import (
    FakeJwksTransport,
    SigningKey,
    b64url,
    hs256_with_public_key,
    install_fake_transport,
    unsigned_token,
)
from users.models import Tenant, User
from users.tests.factories import TEST_PASSWORD, TenantFactory, UserFactory

GOOGLE_URL = reverse("authapp:google-login")
APPLE_URL = reverse("authapp:apple-login")
GOOGLE_WEB_CLIENT = "1234-web.apps.googleusercontent.com"
GOOGLE_IOS_CLIENT = "1234-ios.apps.googleusercontent.com"
APPLE_BUNDLE_ID = "com.fitcore.app"
GOOGLE_SUB = "110169484474386276334"
APPLE_SUB = "001234.abcdef0123456789abcdef0123456789.1234"

GOOGLE_KEY = SigningKey("google-key-1")
GOOGLE_NEXT_KEY = SigningKey("google-key-2")
APPLE_KEY = SigningKey("apple-key-1")
ATTACKER_KEY = SigningKey("attacker-key")

DROP = object()  # a claim to leave out


def _claims(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = {**base, **overrides}
    return {k: v for k, v in merged.items() if v is not DROP}


def google_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": "https://accounts.google.com",
        "azp": GOOGLE_IOS_CLIENT,
        "aud": GOOGLE_IOS_CLIENT,
        "sub": GOOGLE_SUB,
        "email": "ada@example.com",
        "email_verified": True,
        "given_name": "Ada",
        "family_name": "Lovelace",
        "iat": now,
        "exp": now + 3600,
    }
    return _claims(base, overrides)


def apple_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": "https://appleid.apple.com",
        "aud": APPLE_BUNDLE_ID,
        "sub": APPLE_SUB,
        "email": "xyz123@privaterelay.appleid.com",
        "email_verified": "true",
        "is_private_email": "true",
        "auth_time": now,
        "iat": now,
        "exp": now + 600,
    }
    return _claims(base, overrides)


@pytest.fixture
def idp(monkeypatch: pytest.MonkeyPatch, settings: Any) -> FakeJwksTransport:
    """Google and Apple, configured for our apps and publishing one key each."""
    settings.GOOGLE_CLIENT_IDS = [GOOGLE_WEB_CLIENT, GOOGLE_IOS_CLIENT]
    settings.APPLE_CLIENT_IDS = [APPLE_BUNDLE_ID]
    transport = install_fake_transport(monkeypatch)
    transport.serve(GOOGLE.jwks_url, [GOOGLE_KEY])
    transport.serve(APPLE.jwks_url, [APPLE_KEY])
    return transport


def sign_in(client: APIClient, url: str, tenant: Tenant | None = None, **data: Any) -> Any:
    headers = {"HTTP_X_TENANT": tenant.slug} if tenant is not None else {}
    return client.post(url, data, format="json", **headers)


def google_sign_in(client: APIClient, tenant: Tenant | None = None, **claim_overrides: Any) -> Any:
    return sign_in(client, GOOGLE_URL, tenant, id_token=GOOGLE_KEY.sign(google_claims(**claim_overrides)))


def assert_problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code, body
    assert body["status"] == status


# --- happy paths ----------------------------------------------------------------------


def test_google_sign_in_creates_user_in_tenant_with_working_tokens(
    api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant
) -> None:
    response = google_sign_in(api_client, tenant)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] is True
    assert body["user"]["email"] == "ada@example.com"
    assert body["user"]["tenant"] == "acme"
    assert (body["user"]["first_name"], body["user"]["last_name"]) == ("Ada", "Lovelace")

    user = User.objects.get(pk=body["user"]["id"])
    assert user.tenant == tenant
    assert not user.has_usable_password()
    account = SocialAccount.objects.get(user=user)
    assert (account.provider, account.uid) == ("google", f"{tenant.pk}:{GOOGLE_SUB}")
    assert account.extra_data["sub"] == GOOGLE_SUB
    assert EmailAddress.objects.filter(user=user, email="ada@example.com", verified=True, primary=True).exists()

    access = AccessToken(body["access"])
    assert (access["user_id"], access["tenant_id"]) == (str(user.pk), tenant.pk)
    assert RefreshToken(body["refresh"])["tenant_id"] == tenant.pk
    # The access token authenticates on a real endpoint: a member is refused for its role, not its token.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert_problem(client.get("/api/v1/tenant/api-keys/"), 403, "tenant_admin_required")


def test_google_sign_in_again_returns_the_same_user_with_200(
    api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant
) -> None:
    first = google_sign_in(api_client, tenant).json()

    second = google_sign_in(api_client, tenant, email="ada.new@example.com")

    assert second.status_code == 200
    assert second.json()["created"] is False
    assert second.json()["user"]["id"] == first["user"]["id"]
    assert User.objects.for_tenant(tenant).count() == 1
    account = SocialAccount.objects.get(user_id=first["user"]["id"])
    assert account.extra_data["email"] == "ada.new@example.com"  # latest claims kept


def test_default_tenant_is_used_without_the_header(api_client: APIClient, idp: FakeJwksTransport, db: None) -> None:
    response = google_sign_in(api_client)

    assert response.status_code == 201
    assert response.json()["user"]["tenant"] == "fitcore"


def test_google_sign_in_links_the_tenants_user_with_the_same_email(
    api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant, other_tenant: Tenant
) -> None:
    same_email_elsewhere = UserFactory.create(tenant=other_tenant, email="ada@example.com")
    existing = UserFactory.create(tenant=tenant, email="Ada@Example.com", first_name="", last_name="")

    response = google_sign_in(api_client, tenant)

    assert response.status_code == 200
    assert response.json()["created"] is False
    assert response.json()["user"]["id"] == existing.pk
    assert SocialAccount.objects.get(provider="google").user == existing
    assert not SocialAccount.objects.filter(user=same_email_elsewhere).exists()
    existing.refresh_from_db()
    assert (existing.first_name, existing.last_name) == ("Ada", "Lovelace")  # blanks filled
    assert EmailAddress.objects.get(user=existing).verified
    # Nobody had proved owning the address, so the password someone chose for it stops working.
    assert not existing.has_usable_password()


def test_linking_keeps_the_password_of_a_user_who_verified_the_email(
    api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant
) -> None:
    existing = UserFactory.create(tenant=tenant, email="ada@example.com")
    EmailAddress.objects.create(user=existing, email=existing.email, verified=True, primary=True)

    response = google_sign_in(api_client, tenant)

    assert response.status_code == 200
    existing.refresh_from_db()
    assert existing.check_password(TEST_PASSWORD)
    assert existing.first_name != "Ada"  # names already set are not overwritten


def test_same_google_account_in_two_tenants_gets_two_users(
    api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant, other_tenant: Tenant
) -> None:
    in_acme = google_sign_in(api_client, tenant)
    in_globex = google_sign_in(api_client, other_tenant)
    acme_again = google_sign_in(api_client, tenant)

    assert (in_acme.status_code, in_globex.status_code, acme_again.status_code) == (201, 201, 200)
    acme_user, globex_user = in_acme.json()["user"], in_globex.json()["user"]
    assert acme_user["id"] != globex_user["id"]
    assert (acme_user["tenant"], globex_user["tenant"]) == ("acme", "globex")
    assert acme_again.json()["user"]["id"] == acme_user["id"]
    assert set(SocialAccount.objects.values_list("uid", flat=True)) == {
        social_account_uid(tenant=tenant, subject=GOOGLE_SUB),
        social_account_uid(tenant=other_tenant, subject=GOOGLE_SUB),
    }
    assert AccessToken(in_globex.json()["access"])["tenant_id"] == other_tenant.pk


def test_apple_sign_in_creates_user_with_the_name_sent_beside_the_token(
    api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant
) -> None:
    response = sign_in(
        api_client,
        APPLE_URL,
        tenant,
        id_token=APPLE_KEY.sign(apple_claims()),
        authorization_code="c0ffee.0.abcd",
        first_name="Grace",
        last_name="Hopper",
    )

    assert response.status_code == 201, response.content
    user = response.json()["user"]
    assert (user["email"], user["first_name"], user["last_name"]) == (
        "xyz123@privaterelay.appleid.com",
        "Grace",
        "Hopper",
    )
    account = SocialAccount.objects.get(user_id=user["id"])
    assert (account.provider, account.uid) == ("apple", f"{tenant.pk}:{APPLE_SUB}")

    # Later sign-ins carry no name; the stored one stays.
    again = sign_in(api_client, APPLE_URL, tenant, id_token=APPLE_KEY.sign(apple_claims()))
    assert again.status_code == 200
    assert again.json()["user"]["first_name"] == "Grace"


def test_apple_nonce_may_be_the_raw_value_of_a_hashed_claim(
    api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant
) -> None:
    raw_nonce = "b1f4a2c9-raw-nonce"
    token = APPLE_KEY.sign(apple_claims(nonce=hashlib.sha256(raw_nonce.encode()).hexdigest(), nonce_supported=True))

    assert sign_in(api_client, APPLE_URL, tenant, id_token=token, nonce=raw_nonce).status_code == 201


def test_google_nonce_may_equal_the_claim(api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant) -> None:
    token = GOOGLE_KEY.sign(google_claims(nonce="n-0S6_WzA2Mj"))

    assert sign_in(api_client, GOOGLE_URL, tenant, id_token=token, nonce="n-0S6_WzA2Mj").status_code == 201


def test_google_accepts_the_bare_issuer_and_every_configured_client_id(
    api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant
) -> None:
    response = google_sign_in(api_client, tenant, iss="accounts.google.com", aud=GOOGLE_WEB_CLIENT)

    assert response.status_code == 201, response.content


def test_small_clock_skew_is_tolerated(api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant) -> None:
    now = int(time.time())

    response = google_sign_in(api_client, tenant, iat=now + 20, exp=now - 20)

    assert response.status_code == 201, response.content


# --- attacks and broken tokens --------------------------------------------------------


def _tampered() -> str:
    header, _payload, signature = GOOGLE_KEY.sign(google_claims()).split(".")
    forged = b64url(json.dumps(google_claims(sub="someone-else")).encode())
    return f"{header}.{forged}.{signature}"


ATTACKS: dict[str, tuple[Any, str]] = {
    "expired": (
        lambda: GOOGLE_KEY.sign(google_claims(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)),
        "id_token_expired",
    ),
    "iat_in_future": (lambda: GOOGLE_KEY.sign(google_claims(iat=int(time.time()) + 3600)), "id_token_not_yet_valid"),
    "nbf_in_future": (lambda: GOOGLE_KEY.sign(google_claims(nbf=int(time.time()) + 3600)), "id_token_not_yet_valid"),
    "wrong_audience": (
        lambda: GOOGLE_KEY.sign(google_claims(aud="someone-elses-app.apps.googleusercontent.com")),
        "id_token_wrong_audience",
    ),
    "wrong_issuer": (lambda: GOOGLE_KEY.sign(google_claims(iss="https://evil.example.com")), "id_token_wrong_issuer"),
    "apple_issuer_on_google": (
        lambda: GOOGLE_KEY.sign(google_claims(iss="https://appleid.apple.com")),
        "id_token_wrong_issuer",
    ),
    "unknown_key": (lambda: ATTACKER_KEY.sign(google_claims()), "id_token_unknown_key"),
    "attacker_key_with_known_kid": (
        lambda: ATTACKER_KEY.sign(google_claims(), kid=GOOGLE_KEY.kid),
        "id_token_invalid_signature",
    ),
    "tampered_payload": (_tampered, "id_token_invalid_signature"),
    "alg_none": (
        lambda: unsigned_token({"alg": "none", "typ": "JWT"}, google_claims()),
        "id_token_unsupported_algorithm",
    ),
    "hs256_with_public_key": (
        lambda: hs256_with_public_key(GOOGLE_KEY, google_claims()),
        "id_token_unsupported_algorithm",
    ),
    "missing_sub": (lambda: GOOGLE_KEY.sign(google_claims(sub=DROP)), "id_token_missing_claim"),
    "empty_sub": (lambda: GOOGLE_KEY.sign(google_claims(sub="  ")), "id_token_missing_claim"),
    "missing_exp": (lambda: GOOGLE_KEY.sign(google_claims(exp=DROP)), "id_token_missing_claim"),
    "missing_aud": (lambda: GOOGLE_KEY.sign(google_claims(aud=DROP)), "id_token_missing_claim"),
    "missing_kid": (
        lambda: unsigned_token({"alg": "RS256", "typ": "JWT"}, google_claims(), b"sig"),
        "id_token_malformed",
    ),
    "not_a_jwt": (lambda: "this-is-not-a-jwt", "id_token_malformed"),
    "garbage_segments": (lambda: "eyJhbGciOi.!!!.???", "id_token_malformed"),
}


@pytest.mark.parametrize("attack", ATTACKS, ids=list(ATTACKS))
def test_google_rejects_bad_id_tokens(
    api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant, attack: str
) -> None:
    make_token, code = ATTACKS[attack]

    response = sign_in(api_client, GOOGLE_URL, tenant, id_token=make_token())

    assert_problem(response, 401, code)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert not User.objects.for_tenant(tenant).exists()
    assert not SocialAccount.objects.exists()


def test_apple_token_is_not_accepted_at_the_google_endpoint(
    api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant
) -> None:
    idp.serve(GOOGLE.jwks_url, [GOOGLE_KEY, APPLE_KEY])  # even if the kid were found, the issuer is wrong

    response = sign_in(api_client, GOOGLE_URL, tenant, id_token=APPLE_KEY.sign(apple_claims()))

    assert_problem(response, 401, "id_token_wrong_issuer")


def test_apple_rejects_a_token_for_another_bundle_id(
    api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant
) -> None:
    token = APPLE_KEY.sign(apple_claims(aud="com.someone.else"))

    assert_problem(sign_in(api_client, APPLE_URL, tenant, id_token=token), 401, "id_token_wrong_audience")


@pytest.mark.parametrize(
    ("claim", "sent"),
    [("expected-nonce", "other-nonce"), (DROP, "expected-nonce"), (hashlib.sha256(b"x").hexdigest(), "y")],
    ids=["different", "claim_missing", "hash_of_another_value"],
)
def test_nonce_mismatch_is_rejected(
    api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant, claim: Any, sent: str
) -> None:
    token = GOOGLE_KEY.sign(google_claims(nonce=claim))

    response = sign_in(api_client, GOOGLE_URL, tenant, id_token=token, nonce=sent)

    assert_problem(response, 401, "id_token_nonce_mismatch")


def test_unverified_google_email_neither_links_nor_creates(
    api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant
) -> None:
    victim = UserFactory.create(tenant=tenant, email="ada@example.com")

    response = google_sign_in(api_client, tenant, email_verified=False)

    assert_problem(response, 403, "id_token_email_unverified")
    assert not SocialAccount.objects.exists()
    assert User.objects.for_tenant(tenant).get() == victim
    victim.refresh_from_db()
    assert victim.check_password(TEST_PASSWORD)


def test_apple_email_marked_unverified_is_not_linked(
    api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant
) -> None:
    token = APPLE_KEY.sign(apple_claims(email_verified="false"))

    assert_problem(sign_in(api_client, APPLE_URL, tenant, id_token=token), 403, "id_token_email_unverified")


def test_linking_keeps_a_staff_members_password(api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant) -> None:
    staff = UserFactory.create(tenant=tenant, email="ada@example.com", is_staff=True)

    assert google_sign_in(api_client, tenant).json()["user"]["id"] == staff.pk
    staff.refresh_from_db()
    assert staff.check_password(TEST_PASSWORD)


def test_token_without_email_cannot_create_an_account(
    api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant
) -> None:
    response = google_sign_in(api_client, tenant, email=DROP, email_verified=DROP)

    assert_problem(response, 403, "id_token_email_missing")


def test_an_existing_link_needs_no_email(api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant) -> None:
    assert google_sign_in(api_client, tenant).status_code == 201

    # Google may later leave the email out (scope not requested); the sub alone identifies the link.
    assert google_sign_in(api_client, tenant, email=DROP, email_verified=DROP).status_code == 200


def test_missing_id_token_is_a_validation_error(api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant) -> None:
    response = sign_in(api_client, GOOGLE_URL, tenant, nonce="n")

    assert_problem(response, 400, "validation_error")
    assert response.json()["errors"][0]["field"] == "id_token"


# --- tenants and users ----------------------------------------------------------------


def test_suspended_tenant_is_refused_before_any_key_fetch(
    api_client: APIClient, idp: FakeJwksTransport, db: None
) -> None:
    suspended = TenantFactory(slug="sleepy", status=Tenant.Status.SUSPENDED)

    assert_problem(google_sign_in(api_client, suspended), 403, "tenant_suspended")
    assert idp.calls == []


def test_unknown_tenant_is_404(api_client: APIClient, idp: FakeJwksTransport, db: None) -> None:
    response = api_client.post(
        GOOGLE_URL, {"id_token": GOOGLE_KEY.sign(google_claims())}, format="json", HTTP_X_TENANT="nope"
    )

    assert_problem(response, 404, "tenant_not_found")


def test_inactive_linked_user_is_refused(api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant) -> None:
    user_id = google_sign_in(api_client, tenant).json()["user"]["id"]
    User.objects.filter(pk=user_id).update(is_active=False)

    assert_problem(google_sign_in(api_client, tenant), 403, "user_inactive")


def test_inactive_same_email_user_is_not_linked(api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant) -> None:
    UserFactory(tenant=tenant, email="ada@example.com", is_active=False)

    assert_problem(google_sign_in(api_client, tenant), 403, "user_inactive")
    assert not SocialAccount.objects.exists()


# --- provider configuration and availability ---------------------------------------------


def test_provider_without_client_ids_is_not_configured(
    api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant, settings: Any
) -> None:
    settings.APPLE_CLIENT_IDS = []

    response = sign_in(api_client, APPLE_URL, tenant, id_token=APPLE_KEY.sign(apple_claims()))

    assert_problem(response, 503, "provider_not_configured")
    assert idp.calls == []


@pytest.mark.parametrize(
    "break_it",
    [
        lambda t: t.answer(GOOGLE.jwks_url, 500, b"oops"),
        lambda t: t.answer(GOOGLE.jwks_url, 200, b"<html>not json</html>"),
        lambda t: t.answer(GOOGLE.jwks_url, 200, b'{"no": "keys"}'),
        lambda t: t.fail(GOOGLE.jwks_url, requests.ConnectionError("connection refused")),
        lambda t: t.fail(GOOGLE.jwks_url, requests.Timeout("read timed out")),
    ],
    ids=["http_500", "not_json", "no_keys_list", "connection_error", "timeout"],
)
def test_jwks_fetch_failure_is_503(
    api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant, break_it: Any
) -> None:
    break_it(idp)

    assert_problem(google_sign_in(api_client, tenant), 503, "provider_unavailable")
    assert not User.objects.for_tenant(tenant).exists()


def test_jwks_is_fetched_with_a_timeout_and_cached(
    api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant, other_tenant: Tenant
) -> None:
    assert google_sign_in(api_client, tenant).status_code == 201
    assert google_sign_in(api_client, tenant).status_code == 200
    assert google_sign_in(api_client, other_tenant).status_code == 201

    assert idp.fetches(GOOGLE.jwks_url) == 1
    assert idp.calls[0].method == "GET"
    assert idp.calls[0].timeout == 5  # allauth's SOCIALACCOUNT_REQUESTS_TIMEOUT default


def test_unknown_kid_refetches_exactly_once_then_cools_down(
    api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant
) -> None:
    assert google_sign_in(api_client, tenant).status_code == 201
    assert idp.fetches(GOOGLE.jwks_url) == 1

    forged = sign_in(api_client, GOOGLE_URL, tenant, id_token=ATTACKER_KEY.sign(google_claims()))
    assert_problem(forged, 401, "id_token_unknown_key")
    assert idp.fetches(GOOGLE.jwks_url) == 2

    # Within the cooldown, made-up kids do not make us fetch again.
    assert REFETCH_COOLDOWN_SECONDS > 0
    again = sign_in(api_client, GOOGLE_URL, tenant, id_token=SigningKey("another-made-up").sign(google_claims()))
    assert_problem(again, 401, "id_token_unknown_key")
    assert idp.fetches(GOOGLE.jwks_url) == 2


def test_failed_refetch_for_an_unknown_kid_is_503(
    api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant
) -> None:
    assert google_sign_in(api_client, tenant).status_code == 201
    idp.fail(GOOGLE.jwks_url, requests.ConnectionError("down"))

    response = sign_in(api_client, GOOGLE_URL, tenant, id_token=GOOGLE_NEXT_KEY.sign(google_claims()))

    assert_problem(response, 503, "provider_unavailable")
    assert google_sign_in(api_client, tenant).status_code == 200  # the cached set still serves known keys


def test_a_rotated_key_is_picked_up_by_one_refetch(
    api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant
) -> None:
    assert google_sign_in(api_client, tenant).status_code == 201  # caches the set with key 1
    idp.serve(GOOGLE.jwks_url, [GOOGLE_KEY, GOOGLE_NEXT_KEY])  # Google publishes key 2

    response = sign_in(api_client, GOOGLE_URL, tenant, id_token=GOOGLE_NEXT_KEY.sign(google_claims()))

    assert response.status_code == 200, response.content
    assert idp.fetches(GOOGLE.jwks_url) == 2
    assert google_sign_in(api_client, tenant).status_code == 200  # the refreshed set is cached
    assert idp.fetches(GOOGLE.jwks_url) == 2


def test_key_sets_are_cached_per_provider(api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant) -> None:
    assert google_sign_in(api_client, tenant).status_code == 201
    assert sign_in(api_client, APPLE_URL, tenant, id_token=APPLE_KEY.sign(apple_claims())).status_code == 201

    assert (idp.fetches(GOOGLE.jwks_url), idp.fetches(APPLE.jwks_url)) == (1, 1)


# --- throttling and the schema --------------------------------------------------------------


def test_sign_in_is_throttled_with_the_auth_scope(
    api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "2/min"})

    codes = [sign_in(api_client, GOOGLE_URL, tenant, id_token="x").status_code for _ in range(3)]

    assert codes == [401, 401, 429]


def test_schema_documents_both_endpoints_without_credentials(api_client: APIClient, db: None) -> None:
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    for path in ("/api/v1/auth/google/", "/api/v1/auth/apple/"):
        operation = schema["paths"][path]["post"]
        assert operation["tags"] == ["auth"]
        assert operation.get("security", []) in ([], [{}]), operation["security"]  # nothing to present
        assert {"200", "201", "400", "401", "403", "404", "429", "503"} <= operation["responses"].keys()
        assert "application/problem+json" in operation["responses"]["401"]["content"]
    apple_body = schema["paths"]["/api/v1/auth/apple/"]["post"]["requestBody"]["content"]["application/json"]
    assert apple_body["schema"]["$ref"].endswith("/AppleSignInRequest")


def test_a_token_issued_with_a_nonce_is_refused_without_it(
    api_client: APIClient, idp: FakeJwksTransport, tenant: Tenant
) -> None:
    """A captured id_token must not be replayable by leaving the nonce out."""
    token = GOOGLE_KEY.sign(google_claims(nonce="n-0S6_WzA2Mj"))

    response = sign_in(api_client, GOOGLE_URL, tenant, id_token=token)

    assert_problem(response, 401, "id_token_nonce_mismatch")
    assert not User.objects.for_tenant(tenant).exists()
