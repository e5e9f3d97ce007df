import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from authapp import keys
from authapp.models import ApiKey
from fitcore.api.scopes import DEFAULT_SCOPES
from users.models import Tenant, User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> list[str]:
    from io import StringIO

    out = StringIO()
    call_command("create_tenant", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_create_tenant_with_admin_and_full_key_prints_the_secret_last() -> None:
    lines = run("northwind", "--name", "Northwind Fitness", "--admin-email", "ops@northwind.example", "--api-key")
    tenant = Tenant.objects.get(slug="northwind")
    admin = User.objects.get(tenant=tenant, email="ops@northwind.example")
    assert admin.role == User.Role.TENANT_ADMIN and not admin.has_usable_password()
    secret = lines[-1]
    key = ApiKey.unscoped.get(tenant=tenant)
    assert keys.parse(secret) == key.prefix and keys.hash_key(secret) == key.key_hash
    assert key.scopes == DEFAULT_SCOPES and "users:tokens" not in key.scopes  # minting is granted by name only
    assert sum(secret in line for line in lines) == 1
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=secret)
    assert client.get("/api/v1/tenant/api-keys/").json()["code"] == "api_key_not_allowed"  # authenticated


def test_create_tenant_is_idempotent_and_restricted_keys_are_the_option() -> None:
    run("northwind", "--name", "Northwind")
    run("northwind", "--name", "Other name", "--api-key", "--scopes", "users:read", "nutrition:*")
    assert Tenant.objects.filter(slug="northwind").count() == 1
    assert Tenant.objects.get(slug="northwind").name == "Northwind"
    assert ApiKey.unscoped.get().scopes == ["nutrition:*", "users:read"]


def test_create_tenant_rejects_bad_input_without_writing() -> None:
    with pytest.raises(CommandError, match="valid slug"):
        run("Not A Slug", "--name", "x")
    with pytest.raises(CommandError, match="Unknown scope"):
        run("northwind", "--name", "N", "--api-key", "--scopes", "users:nuke")
    assert not Tenant.objects.filter(slug="northwind").exists()


def test_admin_shows_a_new_keys_secret_once(client, tenant) -> None:
    staff = UserFactory(tenant=Tenant.objects.get(slug="fitcore"), is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.post(
        "/admin/authapp/apikey/add/", {"tenant": tenant.pk, "name": "from admin", "scopes": ["users:read"]}
    )
    assert response.status_code == 200
    html = response.content.decode()
    key = ApiKey.unscoped.get(tenant=tenant)
    secret = html.split('id="api-key-secret"')[1].split(">", 1)[1].split("<", 1)[0].strip()
    assert keys.hash_key(secret) == key.key_hash
    assert key.scopes == ["users:read"] and key.created_by == staff
    assert "no-store" in response["Cache-Control"]
    # Never again: not on the change page, not in the list.
    assert secret not in client.get(f"/admin/authapp/apikey/{key.pk}/change/").content.decode()
    assert secret not in client.get("/admin/authapp/apikey/").content.decode()
