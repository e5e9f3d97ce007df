"""Forget cached principals the moment what decides access changes (authapp.principal_cache).

Saves and deletes arrive as model signals; writes made with ``QuerySet.update()`` send
``users.signals.access_changed`` (users sits below authapp and cannot call us) or call
``principal_cache.forget`` directly (authapp's own services).
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from users.models import Profile, Tenant, User
from users.signals import access_changed

from . import principal_cache
from .models import ApiKey


def _forget_api_key(sender: type, instance: ApiKey, **kwargs: Any) -> None:
    principal_cache.forget(principal_cache.api_key_entry(instance.key_hash))


def _forget_user(sender: type, instance: User, **kwargs: Any) -> None:
    principal_cache.forget(principal_cache.user_entry(instance.tenant_id, instance.pk))


def _forget_profile(sender: type, instance: Profile, **kwargs: Any) -> None:
    # The profile is cached with its user (authentication joins it).
    principal_cache.forget(principal_cache.user_entry(instance.tenant_id, instance.user_id))


def _forget_tenant(sender: type, instance: Tenant, created: bool = False, **kwargs: Any) -> None:
    if created:
        return  # nobody of a new tenant has been cached yet
    hashes = list(ApiKey.unscoped.filter(tenant=instance).values_list("key_hash", flat=True))
    principal_cache.forget_tenant(instance.pk, hashes)


def connect() -> None:
    post_save.connect(_forget_api_key, sender=ApiKey, dispatch_uid="authapp.forget_api_key.save")
    post_delete.connect(_forget_api_key, sender=ApiKey, dispatch_uid="authapp.forget_api_key.delete")
    post_save.connect(_forget_user, sender=User, dispatch_uid="authapp.forget_user.save")
    post_delete.connect(_forget_user, sender=User, dispatch_uid="authapp.forget_user.delete")
    access_changed.connect(_forget_user, sender=User, dispatch_uid="authapp.forget_user.access_changed")
    post_save.connect(_forget_profile, sender=Profile, dispatch_uid="authapp.forget_profile.save")
    post_delete.connect(_forget_profile, sender=Profile, dispatch_uid="authapp.forget_profile.delete")
    post_save.connect(_forget_tenant, sender=Tenant, dispatch_uid="authapp.forget_tenant.save")
