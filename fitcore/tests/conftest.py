"""The sweep world, shared by the isolation sweep and the id-spelling sweep."""

from collections.abc import Iterator

import pytest

from fitcore.tests import sweep
from users.models import User
from users.tests.factories import TenantFactory, UserFactory

sweep.load_cases()


@pytest.fixture
def world(db, settings) -> Iterator[sweep.World]:
    """Tenant A with data from every app's seeders; tenant B with a member and an admin.

    Payments are configured, with Stripe's HTTP layer answered by the local stub, so routes
    that call Stripe answer what they would in production rather than 503."""
    from payment.gateway import use_http_client
    from payment.stripe_stub import StubHttpClient, StubStripeAPI

    settings.STRIPE_SECRET_KEY = "sk_test_sweep"
    settings.STRIPE_WEBHOOK_SECRETS = ["whsec_sweep"]
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    a, b = TenantFactory(slug="tenant-a"), TenantFactory(slug="tenant-b")
    w = sweep.World(
        a=a,
        b=b,
        a_user=None,
        a_admin=None,
        b_user=UserFactory(tenant=b),
        b_admin=UserFactory(tenant=b, role=User.Role.TENANT_ADMIN),
        b_key="",
    )
    w.a_user = UserFactory(tenant=a, email=f"{w.marker('member')}@a.example")
    w.a_admin = UserFactory(tenant=a, role=User.Role.TENANT_ADMIN, email=f"{w.marker('admin')}@a.example")
    for seed in sweep.SEEDERS:
        seed(w)
    with use_http_client(StubHttpClient(StubStripeAPI())):
        yield w
