"""The health app's Celery beat entry, as a row staff can see, pause and re-time in the admin.

The weekly report needs none: it runs from the notification app's local-time tick.
"""

from django.db import migrations

ENTRIES = [
    # (name, task, seconds between runs, description)
    (
        "health: purge expired rows",
        "health.purge_expired",
        24 * 3600,
        "Idempotency replies older than 24 hours and sync tombstones older than HEALTH_TOMBSTONE_DAYS.",
    ),
]


def create_entries(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, seconds, description in ENTRIES:
        every, _ = IntervalSchedule.objects.get_or_create(every=seconds, period="seconds")
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "interval": every, "description": description, "enabled": True}
        )


def delete_entries(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, *_ in ENTRIES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("health", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_entries, delete_entries)]
