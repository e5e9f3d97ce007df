"""Shapes of /api/v1/health/. Sample input is validated by ``health.ingest`` (one code path for the
API and the importers); the input serializers here describe it for the schema and check the
envelope fields (``user``) that DRF is good at."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from fitcore.api.serializers import OptionalCharField, RowSerializer, StrictKeysSerializer
from fitcore.api.tenancy import TenantUserField

from .catalogue import BODY_MEASUREMENTS, METRIC_CODES, SLEEP_STAGES, Kind
from .ingest import MAX_BATCH
from .models import HealthImport, Source

SOURCES = Source.choices


class MetricSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=[kind.value for kind in Kind])
    unit = serializers.CharField(help_text="The canonical unit every value is stored and returned in.")
    accepted_units = serializers.ListField(child=serializers.CharField(), help_text="Units `unit` may name on input.")
    minimum = serializers.FloatField(help_text="Smallest valid value, canonical unit.")
    maximum = serializers.FloatField()
    stages = serializers.ListField(child=serializers.CharField(), help_text="Category metrics (sleep): the states.")


class SampleSerializer(RowSerializer):
    id = serializers.IntegerField(read_only=True)
    user = serializers.IntegerField(source="user_id", read_only=True)
    metric = serializers.ChoiceField(choices=METRIC_CODES)
    value = serializers.FloatField(help_text="In the metric's canonical unit (GET /health/metrics/).")
    stage = serializers.CharField(help_text="Sleep stage; empty for other metrics.")
    start_time = serializers.DateTimeField()
    end_time = serializers.DateTimeField()
    source = serializers.ChoiceField(choices=SOURCES)  # type: ignore[assignment]
    source_name = serializers.CharField()
    device = serializers.CharField()
    external_id = serializers.CharField()
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class SampleInputSerializer(StrictKeysSerializer):
    """One sample as sent (documentation of the shape; ``health.ingest.clean_sample`` validates it)."""

    metric = serializers.ChoiceField(choices=METRIC_CODES)
    value = serializers.FloatField(
        required=False,
        allow_null=True,
        help_text="In `unit` (default: the canonical unit). Sleep and mindful minutes may leave it out: "
        "the minutes between start and end.",
    )
    unit = serializers.CharField(required=False, allow_null=True, max_length=16)
    stage = serializers.ChoiceField(choices=SLEEP_STAGES, required=False, allow_blank=True, help_text="Sleep only.")
    start_time = serializers.DateTimeField(help_text="ISO 8601 with a time zone; 1970 or later.")
    end_time = serializers.DateTimeField(required=False, allow_null=True, help_text="Default: start_time.")
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=SOURCES, required=False, help_text="Default: `partner` for API keys, `manual` for users."
    )
    source_name = OptionalCharField(max_length=100, required=False)
    device = OptionalCharField(max_length=200, required=False)
    external_id = OptionalCharField(
        max_length=100,
        required=False,
        help_text="The source's id; default: derived from metric, times, stage and value.",
    )
    version = serializers.IntegerField(
        required=False, min_value=1, max_value=2_147_483_647, help_text="A stored sample is replaced by a higher one."
    )


class SingleSampleInputSerializer(SampleInputSerializer):
    user = TenantUserField(required=False, help_text="API keys: whose sample (required). Users: leave it out.")


class BatchInputSerializer(StrictKeysSerializer):
    user = TenantUserField(required=False, help_text="API keys: whose samples (required). Users: leave it out.")
    samples = SampleInputSerializer(many=True, help_text=f"1 to {MAX_BATCH:,} samples.")


class BatchResultSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField(help_text="Stored samples replaced by a higher version.")
    unchanged = serializers.IntegerField(help_text="Already stored with this or a higher version, or repeated.")


class WrittenSamplesSerializer(serializers.Serializer):
    samples = SampleSerializer(many=True, help_text="The samples as stored, one per value sent.")


class LatestSerializer(serializers.Serializer):
    metric = serializers.ChoiceField(choices=METRIC_CODES)
    unit = serializers.CharField()
    sample = SampleSerializer()


class SummaryBucketSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="The bucket's start, in the user's time zone.")
    sum = serializers.FloatField(allow_null=True, help_text="Cumulative metrics and time spent; sleep: minutes asleep.")
    avg = serializers.FloatField(allow_null=True)
    min = serializers.FloatField(allow_null=True)
    max = serializers.FloatField(allow_null=True)
    count = serializers.IntegerField()
    stages = serializers.DictField(
        child=serializers.FloatField(), allow_null=True, help_text="Sleep: minutes per stage."
    )


class SummarySerializer(serializers.Serializer):
    metric = serializers.ChoiceField(choices=METRIC_CODES)
    unit = serializers.CharField()
    kind = serializers.ChoiceField(choices=[kind.value for kind in Kind])
    bucket = serializers.ChoiceField(choices=["hour", "day", "week", "month"])
    timezone = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    buckets = SummaryBucketSerializer(many=True)


class TombstoneSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The deleted sample's id.")
    tombstone = serializers.IntegerField()
    metric = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]
    external_id = serializers.CharField()
    deleted_at = serializers.DateTimeField()


class SyncSerializer(serializers.Serializer):
    samples = SampleSerializer(many=True)
    deleted = TombstoneSerializer(many=True)
    next_cursor = serializers.CharField(help_text="Send it as `cursor` next time.")
    has_more = serializers.BooleanField(help_text="True: call again at once with next_cursor.")


class DeletedSerializer(serializers.Serializer):
    deleted = serializers.IntegerField()


class WeightInputSerializer(StrictKeysSerializer):
    user = TenantUserField(required=False, help_text="API keys: whose weight (required). Users: leave it out.")
    value = serializers.FloatField(help_text="In `unit`.")
    unit = serializers.ChoiceField(choices=[("kg", "kg"), ("lb", "lb"), ("st", "st")], required=False, default="kg")
    measured_at = serializers.DateTimeField(help_text="ISO 8601 with a time zone.")
    source_name = OptionalCharField(max_length=100, required=False)


class MeasurementInputSerializer(StrictKeysSerializer):
    user = TenantUserField(required=False, help_text="API keys: whose measurements (required). Users: leave it out.")
    measured_at = serializers.DateTimeField(help_text="ISO 8601 with a time zone.")
    unit = serializers.ChoiceField(
        choices=[("cm", "cm"), ("in", "in")], required=False, default="cm", help_text="For lengths."
    )
    waist = serializers.FloatField(required=False, allow_null=True)
    chest = serializers.FloatField(required=False, allow_null=True)
    hips = serializers.FloatField(required=False, allow_null=True)
    arm = serializers.FloatField(required=False, allow_null=True)
    thigh = serializers.FloatField(required=False, allow_null=True)
    height = serializers.FloatField(required=False, allow_null=True)
    body_fat = serializers.FloatField(required=False, allow_null=True, help_text="Percent.")
    lean_mass = serializers.FloatField(required=False, allow_null=True, help_text="Kilograms.")
    source_name = OptionalCharField(max_length=100, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not any(attrs.get(name) is not None for name in MEASUREMENT_FIELDS):
            raise serializers.ValidationError(
                {"non_field_errors": [f"Send at least one of {', '.join(MEASUREMENT_FIELDS)}."]}, code="required"
            )
        return attrs


# Input field → (metric, whether ``unit`` applies to it).
MEASUREMENT_FIELDS: dict[str, tuple[str, bool]] = {
    "waist": ("waist_circumference", True),
    "chest": ("chest_circumference", True),
    "hips": ("hips_circumference", True),
    "arm": ("arm_circumference", True),
    "thigh": ("thigh_circumference", True),
    "height": ("height", True),
    "body_fat": ("body_fat", False),
    "lean_mass": ("lean_mass", False),
}
assert {metric for metric, _ in MEASUREMENT_FIELDS.values()} == set(BODY_MEASUREMENTS)  # noqa: S101


class ImportUploadSerializer(serializers.Serializer):
    user = TenantUserField(required=False, help_text="API keys: whose export (required). Users: leave it out.")
    format = serializers.ChoiceField(choices=HealthImport.Format.choices)
    file = serializers.FileField(help_text="export.zip or export.xml; the Takeout CSV; Health Connect JSON Lines.")


class HealthImportSerializer(serializers.ModelSerializer):
    user = serializers.IntegerField(source="user_id", read_only=True)
    progress = serializers.IntegerField(read_only=True, help_text="0-100, by bytes read.")
    status_url = serializers.SerializerMethodField()

    class Meta:
        model = HealthImport
        fields = [
            "id",
            "user",
            "format",
            "status",
            "progress",
            "status_url",
            "file_name",
            "file_size",
            "read_counts",
            "skipped_counts",
            "invalid_counts",
            "sample_counts",
            "workouts_imported",
            "errors",
            "message",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_status_url(self, obj: HealthImport) -> str:
        return f"/api/v1/health/imports/{obj.pk}/"


class _WeeklyWeight(serializers.Serializer):
    start_kg = serializers.FloatField(allow_null=True, help_text="The last weight before the week, else its first.")
    end_kg = serializers.FloatField(allow_null=True)
    change_kg = serializers.FloatField(allow_null=True)
    readings = serializers.IntegerField()


class _WeeklySteps(serializers.Serializer):
    total = serializers.IntegerField()
    days_with_data = serializers.IntegerField()
    daily_average = serializers.IntegerField(allow_null=True)


class _WeeklySleep(serializers.Serializer):
    nights = serializers.IntegerField()
    average_minutes = serializers.IntegerField(allow_null=True, help_text="Asleep (core, deep, REM), else in bed.")


class _WeeklyHeart(serializers.Serializer):
    average = serializers.FloatField(allow_null=True)
    min = serializers.FloatField(allow_null=True)
    max = serializers.FloatField(allow_null=True)
    readings = serializers.IntegerField()


class WeeklyReportSerializer(serializers.Serializer):
    week_start = serializers.DateField()
    week_end = serializers.DateField()
    timezone = serializers.CharField()
    weight = _WeeklyWeight()
    steps = _WeeklySteps()
    sleep = _WeeklySleep()
    resting_heart_rate = _WeeklyHeart()
    workouts = serializers.DictField(help_text="From the workout app: sessions, active_days, minutes, volume_kg.")
    nutrition = serializers.DictField(
        help_text="From the nutrition app: days_logged, average_day, kcal_target, adherence_percent."
    )
