"""The sweep world, shared by the isolation sweep and the id-spelling sweep."""

import pytest

from fitcore.tests import sweep
from users.models import User
from users.tests.factories import TenantFactory, UserFactory

sweep.load_cases()


@pytest.fixture
def world(db) -> sweep.World:
    """Tenant A with data from every app's seeders; tenant B with a member and an admin."""
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
    return w
