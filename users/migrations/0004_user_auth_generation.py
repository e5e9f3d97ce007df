from django.db import migrations, models


class Migration(migrations.Migration):
    """Schema step 1 of 3 toward canonical emails; also adds the token generation.

    The LOWER(email) constraint goes first so that 0005 can rewrite emails to their
    canonical form; 0006 puts uniqueness back on the canonical column itself.
    """

    dependencies = [
        ("users", "0003_profile"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="auth_generation",
            field=models.PositiveIntegerField(
                default=0,
                editable=False,
                help_text="Tokens carry the generation they were issued in; a bump signs the user out everywhere.",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="user",
            name="users_user_unique_email_per_tenant",
        ),
    ]
