"""Health samples (the product's largest table), their tombstones, imports and idempotent batch replies.

Sizing. A synced phone sends tens of thousands of samples a month (heart rate alone is one every few
minutes), so ``HealthSample`` is built for tens of millions of rows: no index that the queries in
``health.selectors`` do not use, timestamps set by the ingestion service (not per-row ``auto_now``),
and writes only through the set-based upsert in ``health.ingest``. Partitioning is planned and
documented in README "Health data".
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from fitcore.api.models import TenantOwned

from .catalogue import METRIC_CODES

METRIC_CHOICES = [(code, code) for code in METRIC_CODES]


class Source(models.TextChoices):
    MANUAL = "manual", "Entered by the user"
    APPLE_HEALTH = "apple_health", "Apple Health"
    GOOGLE_FIT = "google_fit", "Google Fit"
    HEALTH_CONNECT = "health_connect", "Health Connect"
    DEVICE_FILE = "device_file", "A device file"
    PARTNER = "partner", "The tenant's own systems"


class HealthSample(TenantOwned):
    """One measurement of one metric over ``[start_time, end_time]``, in the metric's canonical unit.

    ``(tenant, user, source, external_id)`` identifies a sample: the source's own id, or a
    deterministic one derived from metric, times, stage and value, so a re-sent sample is the same
    row. ``version`` orders competing writes: an upsert replaces a stored row only with a higher one.
    """

    # Overridden from TenantOwned: the unique key below starts with tenant, and created_at is not
    # queried, so neither needs an index of its own on this table.
    tenant = models.ForeignKey("users.Tenant", on_delete=models.PROTECT, related_name="+", db_index=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    metric = models.CharField(max_length=32, choices=METRIC_CHOICES)
    value = models.FloatField()
    stage = models.CharField(max_length=8, blank=True, help_text="Sleep stage for category metrics.")
    start_time = models.DateTimeField()
    end_time = models.DateTimeField()
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    source_name = models.CharField(max_length=100, blank=True)
    device = models.CharField(max_length=200, blank=True)
    external_id = models.CharField(max_length=100)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        db_table = "health_sample"
        ordering = ["-start_time", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "user", "source", "external_id"], name="health_sample_source_external_id"
            ),
            models.CheckConstraint(condition=Q(end_time__gte=F("start_time")), name="health_sample_ends_after_start"),
        ]
        indexes = [
            # Lists and summaries of one metric over a time range; the latest value per metric.
            # ``value`` rides along (PostgreSQL INCLUDE) so summaries are index-only scans.
            models.Index(
                fields=["tenant", "user", "metric", "start_time"], include=["value"], name="health_sample_metric_time"
            ),
            # The unfiltered history, newest first.
            models.Index(fields=["tenant", "user", "start_time"], name="health_sample_user_time"),
            # Incremental sync: what changed after a point in time.
            models.Index(fields=["tenant", "user", "updated_at", "id"], name="health_sample_changes"),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.value:g} at {self.start_time:%Y-%m-%d %H:%M}"


class SampleTombstone(TenantOwned):
    """A deleted sample, kept so that incremental sync can tell clients to delete it too.

    Tombstones older than HEALTH_TOMBSTONE_DAYS are purged: a client that has not synced for
    longer than that starts again from an empty cursor.
    """

    tenant = models.ForeignKey("users.Tenant", on_delete=models.PROTECT, related_name="+", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    sample_id = models.BigIntegerField()
    metric = models.CharField(max_length=32)
    source = models.CharField(max_length=16)
    external_id = models.CharField(max_length=100)
    deleted_at = models.DateTimeField()

    class Meta:
        db_table = "health_sample_tombstone"
        ordering = ["deleted_at", "id"]
        indexes = [models.Index(fields=["tenant", "user", "deleted_at", "id"], name="health_tombstone_changes")]


class HealthImport(TenantOwned):
    """An uploaded export (Apple Health, Google Fit, Health Connect) and how its import went."""

    class Format(models.TextChoices):
        APPLE_HEALTH = "apple_health", "Apple Health export (export.zip or export.xml)"
        GOOGLE_FIT_DAILY_CSV = "google_fit_daily_csv", "Google Takeout Fit: Daily activity metrics.csv"
        HEALTH_CONNECT_JSON = "health_connect_json", "Health Connect records (JSON Lines)"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        RUNNING = "running", "Importing"
        SUCCEEDED = "succeeded", "Imported"
        FAILED = "failed", "Stopped with an error; committed batches stay, and a retry completes the rest"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    format = models.CharField(max_length=24, choices=Format.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(upload_to="health-imports/", max_length=200, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    file_size = models.BigIntegerField(default=0)
    bytes_read = models.BigIntegerField(default=0)
    # Counts by the file's own type names: {"HKQuantityTypeIdentifierStepCount": 1200, ...}
    read_counts = models.JSONField(default=dict, blank=True)
    skipped_counts = models.JSONField(default=dict, blank=True)
    invalid_counts = models.JSONField(default=dict, blank=True)
    # What the ingestion did with the samples: {"created": n, "updated": n, "unchanged": n}
    sample_counts = models.JSONField(default=dict, blank=True)
    workouts_imported = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    message = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "user", "created_at"], name="health_import_user_time")]

    @property
    def progress(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.file_size:
            return 0
        return min(99, int(self.bytes_read * 100 / self.file_size))


class IdempotentReply(TenantOwned):
    """The first reply to a request sent with an ``Idempotency-Key``, replayed to its retries for 24 h."""

    principal = models.CharField(max_length=64, help_text="Who sent it: user:<id> or key:<id>.")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Null while the first is running.")
    body = models.BinaryField(blank=True, default=b"")

    class Meta:
        db_table = "health_idempotent_reply"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "principal", "key"], name="health_idempotency_key_once"),
        ]
