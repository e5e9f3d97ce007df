from collections import defaultdict

from django.db import migrations, models

# A pure function without model imports: the one definition of the canonical form. (The
# style guide keeps app code out of migrations because models change; this function has
# no model, and a copy here could only drift from what the application enforces.)
from users.emails import InvalidEmail, canonical_email


def _plan(apps):
    """Every user's canonical email; refuses to guess when there is none or two users would share one.

    Runs before anything changes: a refusal leaves the database exactly as it was, so the
    previous release keeps working while an operator resolves the listed users (usually by
    deleting a look-alike account). All of this migration is one transaction.
    """
    User = apps.get_model("users", "User")
    invalid, owners = [], defaultdict(list)
    for user_id, tenant_id, email in User._default_manager.values_list("id", "tenant_id", "email").iterator():
        try:
            owners[(tenant_id, canonical_email(email))].append(user_id)
        except InvalidEmail:
            invalid.append(user_id)
    clashes = [ids for ids in owners.values() if len(ids) > 1]
    if invalid or clashes:
        raise RuntimeError(
            f"Resolve these users first. No canonical email: {invalid}; same canonical email: {clashes}"
        )
    return {user_ids[0]: canonical for (_, canonical), user_ids in owners.items()}


def check(apps, schema_editor):
    _plan(apps)


def to_canonical(apps, schema_editor):
    """Rewrite users' and their EmailAddress rows' emails to the canonical form."""
    User = apps.get_model("users", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    for user_id, canonical in _plan(apps).items():
        User._default_manager.filter(pk=user_id).exclude(email=canonical).update(email=canonical)
    for address in EmailAddress._default_manager.all().iterator():
        try:
            canonical = canonical_email(address.email)
        except InvalidEmail:
            continue  # matches nothing any more; allauth's own rows need no rewrite
        twin = EmailAddress._default_manager.filter(user_id=address.user_id, email=canonical)
        if canonical != address.email and not twin.exists():
            EmailAddress._default_manager.filter(pk=address.pk).update(email=canonical)


def flush_deferred_checks(apps, schema_editor):
    """PostgreSQL refuses ALTER TABLE on a table with pending deferred trigger events (the
    foreign-key checks the updates above queued): run them now, before the constraint is added."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    """Canonical emails (users.emails) and the token generation, as one transaction.

    Order: add the column (with a database default, so the previous release can still
    insert users while this one rolls out); check that every email has a canonical form
    (nothing has changed yet if not); swap the LOWER(email) uniqueness for uniqueness of
    the stored canonical column, rewriting emails in between. Backwards, canonical emails
    stay as they are (they are valid addresses) and the LOWER(email) index returns.
    """

    dependencies = [
        ("users", "0003_profile"),
        ("account", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="auth_generation",
            field=models.PositiveIntegerField(
                default=0,
                db_default=0,
                editable=False,
                help_text="Tokens carry the generation they were issued in; a bump signs the user out everywhere.",
            ),
        ),
        migrations.RunPython(check, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="user",
            name="users_user_unique_email_per_tenant",
        ),
        migrations.RunPython(to_canonical, migrations.RunPython.noop),
        migrations.RunPython(flush_deferred_checks, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(fields=("tenant", "email"), name="users_user_unique_email_per_tenant"),
        ),
    ]
