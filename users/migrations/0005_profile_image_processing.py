from django.db import migrations, models


class Migration(migrations.Migration):
    """Profile images are processed by a worker: the profile records how the latest upload went.

    Schema only; 0006 marks the profiles that already have an image as ``ready``.
    """

    dependencies = [
        ("users", "0004_user_canonical_email_auth_generation"),
    ]

    operations = [
        migrations.AddField(
            model_name="profile",
            name="image_status",
            field=models.CharField(
                choices=[
                    ("none", "No image"),
                    ("processing", "Processing an upload"),
                    ("ready", "Ready"),
                    ("failed", "The latest upload failed"),
                ],
                default="none",
                editable=False,
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="profile",
            name="image_error_code",
            field=models.CharField(blank=True, editable=False, max_length=32),
        ),
        migrations.AddField(
            model_name="profile",
            name="image_error_message",
            field=models.CharField(blank=True, editable=False, max_length=200),
        ),
        migrations.AddField(
            model_name="profile",
            name="image_pending",
            field=models.CharField(blank=True, editable=False, max_length=200),
        ),
    ]
