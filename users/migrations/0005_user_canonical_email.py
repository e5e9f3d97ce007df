from collections import defaultdict

from django.db import migrations

# A pure function without model imports: the one definition of the canonical form.
from users.emails import InvalidEmail, canonical_email


def to_canonical(apps, schema_editor):
    """Rewrite users' and their EmailAddress rows' emails to the canonical form.

    Refuses to guess: addresses without a canonical form, or two users of one tenant
    that turn out to share an address, stop the migration with their ids, for an
    operator to resolve (usually by deleting the look-alike account).
    """
    User = apps.get_model("users", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    invalid, owners = [], defaultdict(list)
    for user_id, tenant_id, email in User.objects.values_list("id", "tenant_id", "email").iterator():
        try:
            canonical = canonical_email(email)
        except InvalidEmail:
            invalid.append(user_id)
            continue
        owners[(tenant_id, canonical)].append(user_id)
    clashes = [ids for ids in owners.values() if len(ids) > 1]
    if invalid or clashes:
        raise RuntimeError(f"Resolve these users first. No canonical email: {invalid}; same canonical email: {clashes}")
    for (_, canonical), (user_id,) in owners.items():
        User.objects.filter(pk=user_id).exclude(email=canonical).update(email=canonical)
    for address in EmailAddress.objects.all().iterator():
        try:
            canonical = canonical_email(address.email)
        except InvalidEmail:
            continue  # never matches a user again; allauth's own rows need no rewrite
        if canonical != address.email and not EmailAddress.objects.filter(user_id=address.user_id, email=canonical).exists():
            EmailAddress.objects.filter(pk=address.pk).update(email=canonical)


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0004_user_auth_generation"),
        ("account", "0001_initial"),
    ]

    # Canonical addresses are valid addresses: going back needs no rewrite.
    operations = [migrations.RunPython(to_canonical, migrations.RunPython.noop)]
