"""Tenant isolation, proven route by route (see sweep.py for what is checked)."""

import pytest
from rest_framework.test import APIClient

from conftest import api_key_client_for, jwt_client_for
from fitcore.tests import sweep
from users.models import User

pytestmark = pytest.mark.django_db


def b_clients(world: sweep.World) -> dict[str, APIClient]:
    return {
        "B api key": api_key_client_for(world.b),
        "B tenant admin": jwt_client_for(world.b_admin),
        "B member": jwt_client_for(world.b_user),
        "anonymous": APIClient(),
    }


def test_no_route_lets_another_tenant_read_or_change_data(world: sweep.World) -> None:
    failures = sweep.run(world, b_clients(world))
    assert not failures, "\n".join(failures)


def test_every_api_route_is_covered(world: sweep.World) -> None:
    routes = sweep.api_routes()
    assert len(routes) >= 3
    missing = [r.name for r in routes if r.name not in sweep.ROUTES]
    assert not missing


@pytest.mark.urls("fitcore.api.tests.scopeapp.urls")
def test_the_sweep_covers_a_correctly_scoped_resource(world: sweep.World) -> None:
    assert "scopeapp:note-list" in {r.name for r in sweep.api_routes()}
    failures = sweep.run(world, b_clients(world))
    assert not failures, "\n".join(failures)


@pytest.mark.urls("fitcore.api.tests.scopeapp.leaky_urls")
def test_the_sweep_fails_when_an_unscoped_view_is_added(world: sweep.World) -> None:
    failures = sweep.run(world, b_clients(world))
    leaky = [f for f in failures if "/leaky-notes/" in f]
    public = [f for f in failures if "/public-leak/" in f]
    assert leaky and all("contains tenant A's data" in f for f in leaky)
    assert public, "a public route leaking A's data went unnoticed"
    assert all("leak" in f for f in failures), failures


def test_the_sweep_fails_on_a_route_without_a_case(world: sweep.World, monkeypatch) -> None:
    monkeypatch.delitem(sweep.ROUTES, "tenant:api-key-rotate")
    failures = sweep.run(world, b_clients(world))
    assert "tenant:api-key-rotate: no sweep case registered (add one in <app>/tests/sweep.py)" in failures


def test_the_sweep_notices_changed_rows(world: sweep.World, monkeypatch) -> None:
    original = sweep.snapshot
    calls: list[object] = []

    def tamper_between_snapshots(tenant):
        state = original(tenant)
        if not calls:  # after the "before" snapshot, a foreign write happens
            User.objects.filter(pk=world.a_user.pk).update(first_name="changed by B")
        calls.append(tenant)
        return state

    monkeypatch.setattr(sweep, "snapshot", tamper_between_snapshots)
    failures = sweep.run(world, b_clients(world))
    assert "users.User: tenant A's rows changed during the sweep" in failures
