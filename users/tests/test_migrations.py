"""The data steps of the canonical-email and legacy-key migrations, run on rows they must fix or refuse.

The functions take an app registry; the current one stands in for the historical models,
whose fields these steps use are unchanged.
"""

import importlib

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps

from authapp.models import ApiKey
from authapp.tests.factories import make_api_key
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

emails_migration = importlib.import_module("users.migrations.0004_user_canonical_email_auth_generation")
keys_migration = importlib.import_module("authapp.migrations.0003_apikey_drop_legacy_default_minting")


def _store_raw(user: User, email: str) -> None:
    """As an older release stored it: update() skips the model's canonicalisation."""
    User.objects.filter(pk=user.pk).update(email=email)
    EmailAddress.objects.filter(user=user).update(email=email)


def test_emails_are_rewritten_to_their_canonical_form(tenant) -> None:
    alice = UserFactory.create(tenant=tenant, email="alice@acme.example")
    EmailAddress.objects.create(user=alice, email=alice.email, primary=True)
    _store_raw(alice, "Alice@\uff21CME.example")

    emails_migration.to_canonical(apps, None)

    assert User.objects.get(pk=alice.pk).email == "alice@acme.example"
    assert EmailAddress.objects.get(user=alice).email == "alice@acme.example"


@pytest.mark.parametrize("stored", ["bob@acme\u200b.example", '"bob"@acme.example', "bob@[127.0.0.1]"])
def test_an_email_without_a_canonical_form_stops_the_migration_before_any_change(tenant, stored) -> None:
    bob = UserFactory.create(tenant=tenant, email="bob@acme.example")
    _store_raw(bob, stored)

    with pytest.raises(RuntimeError, match=rf"No canonical email: \[{bob.pk}\]"):
        emails_migration.check(apps, None)
    assert User.objects.get(pk=bob.pk).email == stored


def test_two_spellings_of_one_address_stop_the_migration(tenant) -> None:
    first = UserFactory.create(tenant=tenant, email="carol@acme.example")
    second = UserFactory.create(tenant=tenant, email="carol2@acme.example")
    _store_raw(second, "CAROL@acme.example")

    with pytest.raises(RuntimeError, match="same canonical email"):
        emails_migration.check(apps, None)
    assert set(User.objects.filter(pk__in=[first.pk, second.pk]).values_list("email", flat=True)) == {
        "carol@acme.example",
        "CAROL@acme.example",
    }


def test_keys_created_with_the_old_default_lose_the_minting_scope(tenant) -> None:
    legacy = make_api_key(tenant, scopes=sorted(keys_migration.LEGACY_DEFAULT))
    chosen = make_api_key(tenant, scopes=["users:read", "users:tokens"])

    keys_migration.drop_minting_from_default_keys(apps, None)

    assert "users:tokens" not in ApiKey.unscoped.get(pk=legacy.api_key.pk).scopes
    assert ApiKey.unscoped.get(pk=legacy.api_key.pk).scopes == sorted(keys_migration.LEGACY_DEFAULT - {"users:tokens"})
    assert ApiKey.unscoped.get(pk=chosen.api_key.pk).scopes == ["users:read", "users:tokens"]  # granted by name
