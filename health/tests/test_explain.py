"""The summary's query uses the (tenant, user, metric, start_time) index on PostgreSQL, and so does
the latest-per-metric probe: checked on the plan, with enough rows (eight metrics, as a synced
phone and watch write them) that a sequential scan would win were the index unusable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from health import selectors
from health.models import HealthSample
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROWS = 60_000


@pytest.fixture
def crowded(tenant):
    if connection.vendor != "postgresql":
        pytest.skip("plans are PostgreSQL's")
    users = [UserFactory.create(tenant=tenant) for _ in range(3)]
    now = timezone.now()
    with connection.cursor() as cursor:
        for n, user in enumerate(users):
            cursor.execute(
                """
                INSERT INTO health_sample (tenant_id, user_id, metric, value, stage, start_time, end_time, source,
                                           source_name, device, external_id, version, created_at, updated_at)
                SELECT %s, %s, (ARRAY['heart_rate', 'steps', 'active_energy', 'basal_energy', 'distance',
                                      'hrv_sdnn', 'spo2', 'respiratory_rate'])[g %% 8 + 1], 60, '',
                       %s - g * interval '5 minutes', %s - g * interval '5 minutes', 'partner', '', '',
                       'e' || g, 1, %s, %s
                FROM generate_series(1, %s) AS g
                """,
                [tenant.pk, user.pk, now, now, now, now, ROWS // (1 if n == 0 else 2)],
            )
        cursor.execute("ANALYZE health_sample")
    return users[0]


def test_the_summary_query_uses_the_metric_time_index(crowded) -> None:
    today = timezone.now().date()
    queryset = selectors.summary_queryset(
        user=crowded, metric="heart_rate", bucket="day", first=today - timedelta(days=30), last=today
    )
    plan = queryset.explain()
    assert "health_sample_metric_time" in plan, plan
    assert "Seq Scan on health_sample" not in plan, plan


def test_the_latest_probe_uses_the_index(crowded) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT id FROM health_sample WHERE tenant_id = %s AND user_id = %s AND metric = %s "
            "ORDER BY start_time DESC, id DESC LIMIT 1",
            [crowded.tenant_id, crowded.pk, "steps"],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "health_sample_metric_time" in plan, plan
    assert HealthSample.unscoped.filter(user=crowded).count() == ROWS
