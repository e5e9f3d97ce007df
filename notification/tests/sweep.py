"""Isolation sweep cases for /api/v1/notifications/ (see fitcore/tests/sweep.py)."""

from fitcore.tests import sweep
from notification.models import Device
from notification.services import device_register, notify, preferences_set


@sweep.seeder
def seed_notifications(world: sweep.World) -> None:
    # A's inbox, devices and preferences: none of it may reach tenant B, or be changed by it.
    world.objects["notification"] = notify(
        user=world.a_user,
        type="partner",
        title=world.marker("notification-title"),
        body=world.marker("notification-body"),
        dedupe_key=world.marker("dedupe"),
    )
    token = world.marker("push-token")
    world.objects["device"], _ = device_register(user=world.a_user, platform=Device.Platform.ANDROID, token=token)
    preferences_set(
        user=world.a_user,
        matrix={"workout_reminder": {"in_app": True, "email": True, "push": False}},
        quiet_hours=None,
        daily_digest=True,
    )


def _notification(world: sweep.World) -> dict[str, int]:
    return {"pk": world.objects["notification"].pk}


sweep.route("notification:notification-list")
sweep.route("notification:notification-detail", kwargs=_notification)
sweep.route("notification:notification-read", kwargs=_notification)
sweep.route("notification:notification-read-all", payload=lambda w: {}, payload_names_foreign=False)
sweep.route("notification:notification-unread-count")
# B's key names A's user as the recipient: refused like a missing user.
sweep.route(
    "notification:notification-send",
    payload=lambda w: {"user": w.a_user.pk, "title": "from B", "body": "hello"},
)
sweep.route(
    "notification:preferences",
    payload=lambda w: {"types": {"partner": {"push": False}}, "daily_digest": False},
    payload_names_foreign=False,
)
# Registering the very token A's user has: B's tenant gets its own device row; A's stays A's.
sweep.route(
    "notification:device-list",
    payload=lambda w: {"platform": "android", "token": w.objects["device"].token},
    payload_names_foreign=False,
)
sweep.route("notification:device-detail", kwargs=lambda w: {"pk": w.objects["device"].pk})
