"""The notification app's Celery beat entries, as rows staff can see, pause and re-time in the admin.

Created once: later changes made in the admin are kept (a settings-defined schedule would be
written back over them on every beat start).
"""

from django.db import migrations

ENTRIES = [
    # (name, task, seconds between runs, description)
    (
        "notification: re-send the outbox",
        "notification.requeue_outbox",
        60,
        "Queues deliveries the broker lost and those held back by quiet hours or retry backoff.",
    ),
    (
        "notification: local-time tick",
        "notification.local_time_tick",
        15 * 60,
        "The daily digest and other apps' reminders at each user's local time (workout reminders, weekly report).",
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
        ("notification", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_entries, delete_entries)]
