"""Isolation sweep cases for /api/v1/health/ (see fitcore/tests/sweep.py)."""

from datetime import timedelta

from django.utils import timezone

from fitcore.tests import sweep
from health.models import HealthImport, HealthSample, IdempotentReply, SampleTombstone


@sweep.seeder
def seed_health(world: sweep.World) -> None:
    # A's member: samples (a weight, a measurement, steps, sleep), a tombstone, an import, an idempotent reply.
    now = timezone.now()
    rows = []
    for n, (metric, value, stage) in enumerate(
        [("body_weight", 71.3, ""), ("waist_circumference", 80.0, ""), ("steps", 1234.0, ""), ("sleep", 90.0, "deep")]
    ):
        start = now - timedelta(days=2, hours=n)
        rows.append(
            HealthSample(
                tenant=world.a,
                user=world.a_user,
                metric=metric,
                value=value,
                stage=stage,
                start_time=start,
                end_time=start + timedelta(minutes=90 if stage else 0),
                source="partner",
                source_name=world.marker("source"),
                device=world.marker("device"),
                external_id=world.marker("ext"),
                created_at=now,
                updated_at=now,
            )
        )
    HealthSample.objects.bulk_create(rows)
    SampleTombstone.objects.create(
        tenant=world.a,
        user=world.a_user,
        sample_id=10**9,
        metric="steps",
        source="partner",
        external_id=world.marker("gone"),
        deleted_at=now,
    )
    record = HealthImport.objects.create(
        tenant=world.a,
        user=world.a_user,
        format=HealthImport.Format.APPLE_HEALTH,
        status=HealthImport.Status.SUCCEEDED,
        file_name=world.marker("export"),
        message=world.marker("import-msg"),
    )
    IdempotentReply.objects.create(
        tenant=world.a, principal=f"user:{world.a_user.pk}", key="sweep-key", request_hash="0" * 64, status_code=200
    )
    world.objects.update(sample=rows[2], health_import=record)


def _pk(name: str):
    return lambda w: {"pk": w.objects[name].pk}


def _sample() -> dict:
    return {"metric": "steps", "value": 5, "start_time": "2026-11-01T07:00:00Z"}


def _one(w: sweep.World) -> dict:
    return {"user": w.a_user.pk, **_sample()}


sweep.route("health:metric-list")
sweep.route("health:summary")
sweep.route("health:sync")
sweep.route("health:weekly-report")
sweep.route("health:sample-list", payload=_one)
sweep.route("health:sample-detail", kwargs=_pk("sample"))
sweep.route("health:sample-batch", payload=lambda w: {"user": w.a_user.pk, "samples": [_sample()]})
sweep.route("health:sample-latest")
sweep.route("health:sample-delete-range")
sweep.route(
    "health:weight-list",
    payload=lambda w: {"user": w.a_user.pk, "value": 70, "measured_at": "2026-11-01T07:00:00Z"},
)
sweep.route(
    "health:measurement-list",
    payload=lambda w: {"user": w.a_user.pk, "waist": 70, "measured_at": "2026-11-01T07:00:00Z"},
)
sweep.route("health:import-list", payload=lambda w: {"user": w.a_user.pk, "format": "apple_health"})
sweep.route("health:import-detail", kwargs=_pk("health_import"))
