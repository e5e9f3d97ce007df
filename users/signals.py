"""Every user gets a Profile, whichever path created it (API, admin, allauth, create_user, factories);
and a change of a user's access made without ``save()`` is announced."""

from typing import Any

from django.dispatch import Signal

from .models import Profile, User

# Sent (sender=User, instance=<user>) after a write that changed who the user may act as
# without going through save() (a QuerySet.update()): whoever caches principals forgets it.
access_changed = Signal()
# Sent (sender=User, user=<user>, old_email=<previous address>) after a save changed the
# user's email, on any path (admin, shell, services): the account owner hears about it.
email_changed = Signal()


def create_profile_for_new_user(sender: type[User], instance: User, created: bool, raw: bool, **kwargs: Any) -> None:
    # raw: loaddata replays rows as they are; the fixture carries its own profiles.
    if created and not raw:
        # unscoped: the tenant is set explicitly from the user, the one place it is known.
        Profile.unscoped.get_or_create(user=instance, defaults={"tenant_id": instance.tenant_id})
