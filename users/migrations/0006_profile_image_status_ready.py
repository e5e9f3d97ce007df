from django.db import migrations


def mark_existing_images_ready(apps, schema_editor):
    """Images stored before uploads went through a worker were processed in their request: they are ready."""
    Profile = apps.get_model("users", "Profile")
    Profile.unscoped.exclude(image="").update(image_status="ready")


class Migration(migrations.Migration):
    dependencies = [("users", "0005_profile_image_processing")]

    # Backwards there is nothing to undo: 0005's reversal drops the column.
    operations = [migrations.RunPython(mark_existing_images_ready, migrations.RunPython.noop)]
