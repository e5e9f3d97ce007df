"""Isolation sweep cases for /api/v1/users/ (see fitcore/tests/sweep.py)."""

from fitcore.tests import sweep
from users.models import Profile


@sweep.seeder
def seed_profiles(world: sweep.World) -> None:
    # Private profile data of A's users: it must never reach tenant B through any route.
    for user in (world.a_user, world.a_admin):
        Profile.unscoped.filter(user=user).update(excluded_foods=[world.marker("food")], timezone="Europe/Berlin")


# me/...: B's callers only ever reach their own account (API keys are refused).
sweep.route(
    "users:me", payload=lambda w: {"first_name": "B", "profile": {"weight_kg": 70}}, payload_names_foreign=False
)
sweep.route("users:me-settings", payload=lambda w: {"units": "imperial"}, payload_names_foreign=False)
sweep.route("users:me-image")
sweep.route("users:me-dashboard")
sweep.route("users:me-export")
# A create that names tenant A is still a user of B's tenant: the tenant comes from the principal.
sweep.route(
    "users:user-list",
    payload=lambda w: {"email": "sweep-created@b.example", "tenant": w.a.pk},
    payload_names_foreign=False,
)
sweep.route(
    "users:user-detail",
    kwargs=lambda w: {"pk": w.a_user.pk},
    payload=lambda w: {"first_name": "changed by B", "is_active": False},
    payload_names_foreign=False,  # the path names A's user; the sweep checks it answers 404
)
sweep.route("users:user-tokens", kwargs=lambda w: {"pk": w.a_user.pk})
sweep.route("users:user-sign-out", kwargs=lambda w: {"pk": w.a_user.pk})
