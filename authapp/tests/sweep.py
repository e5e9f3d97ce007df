"""Isolation sweep cases for the routes authapp serves (see fitcore/tests/sweep.py)."""

from authapp.services import api_key_create
from fitcore.tests import sweep


@sweep.seeder
def seed_api_keys(world: sweep.World) -> None:
    issued = api_key_create(tenant=world.a, name=world.marker("key"), created_by=world.a_admin)
    world.objects["api_key"] = issued.api_key
    world.markers.add(issued.api_key.prefix)
    world.markers.add(issued.secret)


def _api_key(world: sweep.World) -> dict[str, int]:
    return {"pk": world.objects["api_key"].pk}


sweep.route("tenant:api-key-list", payload=lambda w: {"name": "b-key"}, payload_names_foreign=False)
sweep.route("tenant:api-key-detail", kwargs=_api_key)
sweep.route("tenant:api-key-rotate", kwargs=_api_key)
