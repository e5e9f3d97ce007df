from django.apps import AppConfig
from django.db.models.signals import post_save


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = "Users"

    def ready(self) -> None:
        from . import selectors
        from .models import User
        from .registry import register_export_section
        from .signals import create_profile_for_new_user

        post_save.connect(create_profile_for_new_user, sender=User, dispatch_uid="users.create_profile_for_new_user")
        # users' own parts of the personal-data export; other apps add theirs in their ready().
        register_export_section("account", selectors.account_export)
        register_export_section("profile", selectors.profile_export)
