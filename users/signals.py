"""Every user gets a Profile, whichever path created it (API, admin, allauth, create_user, factories)."""

from typing import Any

from .models import Profile, User


def create_profile_for_new_user(sender: type[User], instance: User, created: bool, raw: bool, **kwargs: Any) -> None:
    # raw: loaddata replays rows as they are; the fixture carries its own profiles.
    if created and not raw:
        # unscoped: the tenant is set explicitly from the user, the one place it is known.
        Profile.unscoped.get_or_create(user=instance, defaults={"tenant_id": instance.tenant_id})
