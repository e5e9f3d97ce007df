"""Sweep cases for the test-only notes resource (used by the sweep's own tests)."""

from fitcore.api.tests.scopeapp.models import Note
from fitcore.tests import sweep


@sweep.seeder
def seed_notes(world: sweep.World) -> None:
    note = Note.unscoped.create(tenant=world.a, user=world.a_user, title=world.marker("note"))
    world.objects["note"] = note


sweep.route(
    "scopeapp:note-list",
    payload=lambda w: {"title": "b note", "reply_to": w.objects["note"].pk, "user": w.a_user.pk},
)
sweep.route("scopeapp:note-detail", kwargs=lambda w: {"pk": w.objects["note"].pk})
sweep.route("scopeapp:note-stream-list")
sweep.route("scopeapp:no-scope")
# Only mounted by the deliberately leaky URLconf: the sweep must fail on them.
sweep.route("scopeapp:leaky-notes")
sweep.route("scopeapp:public-leak")
