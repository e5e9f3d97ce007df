from django.db import migrations

# The scope list a key created without scopes received before users:tokens became
# grantable by name only (every scope there was, minting included). Frozen here: it is
# history, not the current fitcore.api.scopes.
LEGACY_DEFAULT = {
    "health:read",
    "health:write",
    "notifications:read",
    "notifications:write",
    "nutrition:read",
    "nutrition:write",
    "payments:read",
    "payments:write",
    "users:read",
    "users:tokens",
    "users:write",
    "workouts:read",
    "workouts:write",
}


def drop_minting_from_default_keys(apps, schema_editor):
    """Keys that got users:tokens only by being created without a scope list lose it.

    A key whose owner listed users:tokens among other scopes keeps it: that was a choice.
    Only the exact old default set is touched.
    """
    ApiKey = apps.get_model("authapp", "ApiKey")
    for key in ApiKey._default_manager.filter(revoked_at__isnull=True).only("pk", "scopes").iterator():
        if isinstance(key.scopes, list) and set(key.scopes) == LEGACY_DEFAULT:
            ApiKey._default_manager.filter(pk=key.pk).update(scopes=sorted(LEGACY_DEFAULT - {"users:tokens"}))


class Migration(migrations.Migration):
    dependencies = [
        ("authapp", "0002_apikey_rotation"),
    ]

    # Not reversible in meaning: which keys had the scope by default is not recorded.
    operations = [migrations.RunPython(drop_minting_from_default_keys, migrations.RunPython.noop)]
