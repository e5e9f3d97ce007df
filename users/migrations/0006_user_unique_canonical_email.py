from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0005_user_canonical_email"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(fields=("tenant", "email"), name="users_user_unique_email_per_tenant"),
        ),
    ]
