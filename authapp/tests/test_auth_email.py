"""Email verification: the emailed link's key, and asking for a new link."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from rest_framework.test import APIClient

from users.models import Tenant, User

from .test_auth_support import (
    EMAIL_RESEND,
    EMAIL_VERIFY,
    REGISTER,
    STRONG_PASSWORD,
    assert_problem,
    field_errors,
    link_in_last_email,
    login,
    make_user,
)

pytestmark = pytest.mark.django_db


def test_mandatory_verification_end_to_end(
    api_client: APIClient, tenant: Tenant, settings, django_capture_on_commit_callbacks
) -> None:
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    with django_capture_on_commit_callbacks(execute=True):
        registered = api_client.post(
            REGISTER, {"email": "verify.me@example.com", "password": STRONG_PASSWORD}, HTTP_X_TENANT="acme"
        )
    assert registered.status_code == 201
    assert_problem(
        login(api_client, "verify.me@example.com", STRONG_PASSWORD, tenant="acme"), 403, "email_not_verified"
    )

    key = link_in_last_email("verify.me@example.com", "verify-email")["key"]
    verified = api_client.post(EMAIL_VERIFY, {"key": key})

    assert verified.status_code == 200, verified.content
    address = EmailAddress.objects.get(email="verify.me@example.com")
    assert address.verified
    assert address.primary
    signed_in = login(api_client, "verify.me@example.com", STRONG_PASSWORD, tenant="acme")
    assert signed_in.status_code == 200, signed_in.content
    # A used link is refused.
    assert field_errors(api_client.post(EMAIL_VERIFY, {"key": key})) == {("key", "invalid_key")}


def test_verify_rejects_a_forged_key(api_client: APIClient) -> None:
    assert field_errors(api_client.post(EMAIL_VERIFY, {"key": "MQ:forged:signature"})) == {("key", "invalid_key")}
    assert field_errors(api_client.post(EMAIL_VERIFY, {})) == {("key", "required")}


def unverified_user(tenant: Tenant, email: str = "pending@example.com", *, verified: bool = False) -> User:
    user = make_user(tenant=tenant, email=email)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=verified)
    return user


def resend(client: APIClient, email: str, capture, tenant: str = "acme"):
    with capture(execute=True):
        return client.post(EMAIL_RESEND, {"email": email}, HTTP_X_TENANT=tenant)


def test_resend_emails_a_new_working_link(
    api_client: APIClient, tenant: Tenant, django_capture_on_commit_callbacks
) -> None:
    user = unverified_user(tenant)

    response = resend(api_client, "PENDING@example.com", django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert [m.to for m in mail.outbox] == [[user.email]]
    key = link_in_last_email(user.email, "verify-email")["key"]
    assert api_client.post(EMAIL_VERIFY, {"key": key}).status_code == 200
    assert EmailAddress.objects.get(user=user).verified


def test_resend_answers_the_same_and_sends_nothing_otherwise(
    api_client: APIClient, tenant: Tenant, other_tenant: Tenant, django_capture_on_commit_callbacks
) -> None:
    unverified_user(tenant, "pending@example.com")
    unverified_user(tenant, "done@example.com", verified=True)
    baseline = resend(api_client, "pending@example.com", django_capture_on_commit_callbacks).json()
    mail.outbox.clear()

    for email, header in [
        ("done@example.com", "acme"),  # already confirmed
        ("nobody@example.com", "acme"),  # no such account
        ("pending@example.com", "globex"),  # another tenant's address
    ]:
        response = resend(api_client, email, django_capture_on_commit_callbacks, tenant=header)
        assert response.status_code == 200
        assert response.json() == baseline

    assert mail.outbox == []


def test_resend_for_unknown_tenant_is_404(api_client: APIClient, django_capture_on_commit_callbacks) -> None:
    assert_problem(
        resend(api_client, "a@b.example", django_capture_on_commit_callbacks, "nope"), 404, "tenant_not_found"
    )


@pytest.mark.django_db
def test_personal_data_export_includes_sign_in_identities(user) -> None:
    from allauth.account.models import EmailAddress
    from allauth.socialaccount.models import SocialAccount

    from conftest import jwt_client_for

    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    SocialAccount.objects.create(user=user, provider="google", uid=f"{user.tenant_id}:1234567890", extra_data={})
    body = jwt_client_for(user).get("/api/v1/users/me/export/").json()
    sign_in = body["sections"]["sign_in"]
    assert sign_in["email_addresses"] == [{"email": user.email, "verified": True, "primary": True}]
    assert [(i["provider"], i["subject"]) for i in sign_in["linked_identities"]] == [("google", "1234567890")]


@pytest.mark.django_db
def test_a_dead_mail_server_neither_fails_nor_reveals_password_resets(
    user, settings, caplog, django_capture_on_commit_callbacks
) -> None:
    settings.EMAIL_BACKEND = "authapp.tests.failing_mail.RefusingBackend"
    client = APIClient()
    with django_capture_on_commit_callbacks(execute=True) as sent:
        known = client.post("/api/v1/auth/password/reset/", {"email": user.email}, HTTP_X_TENANT="acme")
    with django_capture_on_commit_callbacks(execute=True) as not_sent:
        unknown = client.post("/api/v1/auth/password/reset/", {"email": "nobody@acme.example"}, HTTP_X_TENANT="acme")
    # One task either way: the request never looks the address up (no timing difference).
    assert (len(sent), len(not_sent)) == (1, 1)
    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json()
    assert sum("authapp.send_password_reset" in r.getMessage() for r in caplog.records) == 1  # only the real one


@pytest.mark.django_db
def test_registration_is_kept_when_the_confirmation_email_fails(
    tenant, settings, django_capture_on_commit_callbacks
) -> None:
    settings.EMAIL_BACKEND = "authapp.tests.failing_mail.RefusingBackend"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = APIClient().post(
            "/api/v1/auth/register/",
            {"email": "new@acme.example", "password": "a-Quite-long-passphrase-42"},
            HTTP_X_TENANT="acme",
        )
    assert sum(cb.__qualname__.startswith("enqueue_after_commit") for cb in callbacks) == 1  # the mail
    assert response.status_code == 201
    assert User.objects.filter(tenant=tenant, email="new@acme.example").exists()


# --- confirmation keys are bound to the account they were issued for --------------------


def _key_for(address: EmailAddress) -> str:
    from authapp.email_confirmation import confirmation_key

    return confirmation_key(EmailAddress.objects.select_related("user").get(pk=address.pk))


def test_a_key_confirms_only_the_address_and_account_it_was_issued_for(api_client: APIClient, tenant: Tenant) -> None:
    alice = unverified_user(tenant, "alice@example.com")
    mallory = unverified_user(tenant, "mallory@example.com")
    mallorys_key = _key_for(EmailAddress.objects.get(user=mallory))

    assert api_client.post(EMAIL_VERIFY, {"key": mallorys_key}).status_code == 200

    assert EmailAddress.objects.get(user=mallory).verified
    assert not EmailAddress.objects.get(user=alice).verified


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda address: EmailAddress.objects.filter(pk=address.pk).update(email="new@example.com"),
            id="address-changed",
        ),
        pytest.param(
            lambda address: User.objects.filter(pk=address.user_id).update(is_active=False), id="user-deactivated"
        ),
        pytest.param(
            lambda address: EmailAddress.objects.filter(pk=address.pk).update(user=make_user()), id="row-moved"
        ),
    ],
)
def test_a_key_dies_when_what_it_was_issued_for_changes(api_client: APIClient, tenant: Tenant, change) -> None:
    user = unverified_user(tenant, "pending@example.com")
    address = EmailAddress.objects.get(user=user)
    key = _key_for(address)

    change(address)

    assert field_errors(api_client.post(EMAIL_VERIFY, {"key": key})) == {("key", "invalid_key")}
    assert not EmailAddress.objects.filter(verified=True).exists()


def test_a_key_signed_over_other_claims_is_refused(api_client: APIClient, tenant: Tenant) -> None:
    from django.core import signing

    from authapp.email_confirmation import SALT

    user = unverified_user(tenant, "pending@example.com")
    address = EmailAddress.objects.get(user=user)
    genuine = {"a": address.pk, "u": user.pk, "t": tenant.pk, "e": address.email}
    for claims in (
        {**genuine, "u": user.pk + 1},
        {**genuine, "t": tenant.pk + 1},
        {**genuine, "e": "PENDING@example.com"},
        {**genuine, "a": str(address.pk)},
        {**genuine, "a": True},
        [address.pk],
        address.pk,  # the shape of allauth's own keys: a bare row id
    ):
        key = signing.dumps(claims, salt=SALT)
        assert field_errors(api_client.post(EMAIL_VERIFY, {"key": key})) == {("key", "invalid_key")}, claims
    assert not EmailAddress.objects.get(pk=address.pk).verified


def test_an_expired_key_is_refused(api_client: APIClient, tenant: Tenant, settings) -> None:
    user = unverified_user(tenant, "pending@example.com")
    key = _key_for(EmailAddress.objects.get(user=user))
    settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 0  # a key of any age is too old

    assert field_errors(api_client.post(EMAIL_VERIFY, {"key": key})) == {("key", "invalid_key")}


# --- a reset or resend request does the same work whoever the address belongs to ------


@pytest.mark.parametrize("endpoint", ["/api/v1/auth/password/reset/", EMAIL_RESEND])
def test_the_request_path_does_not_depend_on_the_address(
    api_client: APIClient, tenant: Tenant, endpoint: str, django_capture_on_commit_callbacks
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    unverified_user(tenant, "pending@example.com")
    seen = []
    for email in ("pending@example.com", "nobody@example.com"):
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks() as queued:
            response = api_client.post(endpoint, {"email": email}, HTTP_X_TENANT="acme")
        assert response.status_code == 200
        seen.append((response.json(), [q["sql"] for q in queries.captured_queries], len(queued)))

    (known_body, known_sql, known_tasks), (unknown_body, unknown_sql, unknown_tasks) = seen
    assert known_body == unknown_body
    assert known_sql == unknown_sql  # the same statements: only the tenant look-up, never the account
    assert known_tasks == unknown_tasks == 1
    assert not any("users_user" in sql or "account_emailaddress" in sql for sql in known_sql)
