"""/api/v1/health/: samples (one, a batch of up to 10,000, lists, the latest per metric, deletes),
summaries, incremental sync, weight and body measurements, the weekly report and device-export imports.

A user's login reads and writes its own samples; an API key (``health:read`` / ``health:write``)
acts for any active user of its tenant, named by ``user`` (body) or ``?user=`` (query).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fitcore.api.exceptions import ApplicationError
from fitcore.api.filters import DjangoFilterBackend, FilterSet, UtcDateTimeFilter
from fitcore.api.pagination import CursorPagination, LimitOffsetPagination
from fitcore.api.permissions import ScopedAccess
from fitcore.api.schema import ACTING_USER, OBJECT_ID, problem_response
from fitcore.api.tenancy import TenantScopedViewSet, acting_user, is_api_key, owner_for_write
from users.models import User

from . import selectors, services
from .catalogue import BODY_MEASUREMENTS, METRIC_CODES, METRICS
from .idempotency import HEADER, run_once
from .ingest import MAX_BATCH, FieldError, Row, clean_batch, clean_sample
from .models import HealthImport, HealthSample, Source
from .serializers import (
    MEASUREMENT_FIELDS,
    BatchInputSerializer,
    BatchResultSerializer,
    DeletedSerializer,
    HealthImportSerializer,
    ImportUploadSerializer,
    LatestSerializer,
    MeasurementInputSerializer,
    MetricSerializer,
    SampleSerializer,
    SingleSampleInputSerializer,
    SummarySerializer,
    SyncSerializer,
    WeeklyReportSerializer,
    WeightInputSerializer,
    WrittenSamplesSerializer,
)

TAGS = ["health"]
ID = OBJECT_ID
USER = ACTING_USER
LIST_USER = OpenApiParameter(
    "user", OpenApiTypes.INT, required=False, description="API keys: only this user's samples. Users: leave it out."
)
IDEMPOTENCY = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Retries with the same key within 24 h get the first reply (`Idempotent-Replayed: true`).",
)
NOT_FOUND = problem_response("No such object, or not visible to you.")
FOR_USER = {
    400: problem_response("Bad parameters, or (API keys) `user` missing.", validation=True),
    404: problem_response("No such user in your tenant (or, for a login, not you)."),
}
FORM_ERRORS = {
    400: problem_response(
        "Invalid: a value outside its metric's range, a time without a zone or in the future.", validation=True
    ),
    404: problem_response("No such user in your tenant (or, for a login, not you)."),
}
WRITE_ERRORS = {
    400: problem_response(
        "Invalid samples: every error names its field (`samples[17].value`): unknown metric or unit, "
        "value out of range, end before start, a time without a zone.",
        validation=True,
    ),
    404: problem_response("No such user in your tenant (or, for a login, not you)."),
    409: problem_response("The first request with this Idempotency-Key is still running."),
    413: problem_response("The request body is over the limit (HEALTH_BATCH_MAX_BYTES)."),
    422: problem_response("This Idempotency-Key was used for a different request (`idempotency_key_reused`)."),
}


def _default_source(request: Request) -> str:
    return Source.PARTNER if is_api_key(request) else Source.MANUAL


def _field_errors(errors: list[dict[str, str]]) -> ApplicationError:
    count = len(errors)
    return ApplicationError(
        code="invalid",
        message=f"{count} sample{'s are' if count != 1 else ' is'} invalid; nothing was written.",
        status=400,
        errors=errors[:1000],
    )


def _user_for_write(request: Request, raw: Any) -> User:
    """The user a write is for: ``user`` in the body, checked like ``?user=`` (404 outside the tenant)."""
    if raw is None:
        return owner_for_write(request, None)
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise ValidationError({"user": ["A user id."]}, code="invalid")
    return acting_user(request, str(raw))


class SamplePagination(CursorPagination):
    page_size = 100
    max_page_size = 1000
    ordering = ("-start_time", "-id")  # type: ignore[assignment]  # DRF takes a tuple; its stubs say str


class SampleFilter(FilterSet):
    metric = django_filters.ChoiceFilter(choices=[(code, code) for code in METRIC_CODES])
    source = django_filters.ChoiceFilter(choices=Source.choices)
    start = UtcDateTimeFilter(field_name="start_time", lookup_expr="gte", help_text="ISO 8601, inclusive.")
    end = UtcDateTimeFilter(field_name="start_time", lookup_expr="lt", help_text="ISO 8601, exclusive.")

    class Meta:
        model = HealthSample
        fields = ["metric", "source", "start", "end"]


# --- the catalogue ---------------------------------------------------------------------------


@extend_schema(tags=TAGS)
class MetricListView(APIView):
    """What a sample may measure: codes, kinds, canonical and accepted units, valid ranges."""

    scope_area = "health"
    permission_classes = [ScopedAccess]

    @extend_schema(summary="The metric catalogue", responses={200: MetricSerializer(many=True)})
    def get(self, request: Request) -> Response:
        rows = [
            {
                "code": m.code,
                "name": m.name,
                "kind": m.kind.value,
                "unit": m.unit,
                "accepted_units": list(m.units),
                "minimum": m.minimum,
                "maximum": m.maximum,
                "stages": list(m.stages),
            }
            for m in METRICS.values()
        ]
        return Response(rows)


# --- samples ---------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Samples, newest first (cursor pages)",
        parameters=[LIST_USER],
        responses={200: SampleSerializer(many=True), 400: problem_response("Bad filter.", validation=True)},
    ),
    retrieve=extend_schema(summary="One sample", parameters=[ID], responses={200: SampleSerializer, 404: NOT_FOUND}),
    destroy=extend_schema(
        summary="Delete one sample (sync reports it as deleted)",
        parameters=[ID],
        responses={204: None, 404: NOT_FOUND},
    ),
)
@extend_schema(tags=TAGS)
class SampleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, TenantScopedViewSet):
    model = HealthSample
    scope_area = "health"
    permission_classes = [ScopedAccess]
    serializer_class = SampleSerializer
    pagination_class = SamplePagination
    filterset_class = SampleFilter
    filter_backends = [DjangoFilterBackend]

    @extend_schema(
        summary="Record one sample",
        description="Validated like one sample of a batch; the same sample again (same source and external id, "
        "or the same values) is the same row: 200 instead of 201.",
        request=SingleSampleInputSerializer,
        parameters=[IDEMPOTENCY],
        responses={201: SampleSerializer, 200: SampleSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return run_once(request, lambda: self._create_one(request))

    def _create_one(self, request: Request) -> Response:
        body = request.data
        if not isinstance(body, dict):
            raise ValidationError({"non_field_errors": ["A JSON object."]}, code="invalid")
        user = _user_for_write(request, body.get("user"))
        item = {key: value for key, value in body.items() if key != "user"}
        try:
            row = clean_sample(item, prefix="", default_source=_default_source(request), now=_now())
        except FieldError as exc:
            raise ApplicationError(
                code="invalid",
                message=exc.message,
                status=400,
                errors=[{"field": exc.field, "code": exc.code, "message": exc.message}],
            ) from None
        counts = services.ingest_rows(user=user, rows=[row])
        sample = (
            selectors.samples_of(user)
            .filter(source=row.source, external_id=row.external_id)
            .values(*SampleSerializer.row_plan().columns)
            .get()
        )
        return Response(
            SampleSerializer.row_plan().render(sample),
            status=status.HTTP_201_CREATED if counts.created else status.HTTP_200_OK,
        )

    @extend_schema(
        summary="Record up to 10,000 samples at once",
        description=(
            "Validated as a whole: one invalid sample and nothing is written, every error naming its "
            "`samples[i].field`. Then one transaction, one set-based upsert: a sample whose source and "
            "external id exist replaces the stored one only with a higher `version`. Counts what happened."
        ),
        request=BatchInputSerializer,
        parameters=[IDEMPOTENCY],
        responses={200: BatchResultSerializer, **WRITE_ERRORS},
    )
    @action(detail=False, methods=["post"], url_path="batch")
    def batch(self, request: Request) -> Response:
        return run_once(request, lambda: self._batch(request))

    def _batch(self, request: Request) -> Response:
        body = request.data
        if not isinstance(body, dict):
            raise ValidationError({"non_field_errors": ["A JSON object with `samples`."]}, code="invalid")
        unknown = sorted(set(body) - {"user", "samples"})
        if unknown:
            raise ValidationError({unknown[0][:50]: ["Unknown field."]}, code="unknown_field")
        samples = body.get("samples")
        if not isinstance(samples, list) or not samples:
            raise ValidationError({"samples": ["A list of 1 to 10,000 samples."]}, code="invalid")
        if len(samples) > MAX_BATCH:
            raise ValidationError(
                {"samples": [f"At most {MAX_BATCH:,} samples a request; got {len(samples):,}."]}, code="max_length"
            )
        user = _user_for_write(request, body.get("user"))
        rows, errors = clean_batch(samples, default_source=_default_source(request))
        if errors:
            raise _field_errors(errors)
        counts = services.ingest_rows(user=user, rows=rows)
        return Response({"received": len(samples), **counts.as_dict()})

    @extend_schema(
        summary="The latest sample of each metric",
        parameters=[USER],
        responses={200: LatestSerializer(many=True), **FOR_USER},
    )
    @action(detail=False, methods=["get"], url_path="latest", pagination_class=None, filter_backends=[])
    def latest(self, request: Request) -> Response:
        user = acting_user(request)
        plan = SampleSerializer.row_plan()
        rows = selectors.latest_per_metric(user=user)
        return Response(
            [
                {
                    "metric": row["metric"],
                    "unit": METRICS[row["metric"]].unit,
                    "sample": plan.render({**row, "user_id": user.pk}),
                }
                for row in rows
            ]
        )

    @extend_schema(
        summary="Delete samples by source and time range",
        description="Every sample of `source` whose start is in `[start, end)` (and of `metric`, if given). "
        "Incremental sync reports each as deleted.",
        parameters=[
            USER,
            OpenApiParameter("source", {"type": "string", "enum": Source.values}, required=True),
            OpenApiParameter("start", OpenApiTypes.DATETIME, required=True, description="Inclusive."),
            OpenApiParameter("end", OpenApiTypes.DATETIME, required=True, description="Exclusive."),
            OpenApiParameter("metric", {"type": "string", "enum": list(METRIC_CODES)}, required=False),
        ],
        responses={200: DeletedSerializer, **FOR_USER},
    )
    @action(detail=False, methods=["delete"], url_path="range", pagination_class=None, filter_backends=[])
    def delete_range(self, request: Request) -> Response:
        user = acting_user(request)
        params = request.query_params
        source = params.get("source")
        if source not in Source.values:
            raise ValidationError({"source": [f"One of {', '.join(Source.values)}."]}, code="invalid_choice")
        start = _query_time(params.get("start"), "start")
        end = _query_time(params.get("end"), "end")
        if end <= start:
            raise ValidationError({"end": ["After start."]}, code="invalid")
        samples = selectors.samples_of(user).filter(source=source, start_time__gte=start, start_time__lt=end)
        metric = params.get("metric")
        if metric is not None:
            if metric not in METRICS:
                raise ValidationError({"metric": ["Not a metric of GET /health/metrics/."]}, code="invalid_choice")
            samples = samples.filter(metric=metric)
        return Response({"deleted": services.delete_samples(samples=samples)})

    def perform_destroy(self, instance: HealthSample) -> None:
        services.delete_samples(samples=HealthSample.objects.for_tenant(instance.tenant_id).filter(pk=instance.pk))


def _now() -> datetime:
    from django.utils import timezone

    return timezone.now()


def _query_time(raw: str | None, name: str) -> datetime:
    from .ingest import parse_time

    if raw is None:
        raise ValidationError({name: ["Required: an ISO 8601 date-time with a time zone."]}, code="required")
    try:
        return parse_time(raw, name)
    except FieldError as exc:
        raise ValidationError({name: [exc.message]}, code=exc.code) from None


def _query_date(raw: str | None, name: str, default: date) -> date:
    if raw is None:
        return default
    try:
        return date.fromisoformat(raw) if len(raw) == 10 else _bad_date(name)
    except ValueError:
        return _bad_date(name)


def _bad_date(name: str) -> date:
    raise ValidationError({name: ["A date, YYYY-MM-DD."]}, code="invalid")


# --- summaries, sync, weekly report ----------------------------------------------------------


@extend_schema(tags=TAGS)
class SummaryView(APIView):
    scope_area = "health"
    permission_classes = [ScopedAccess]

    @extend_schema(
        summary="A metric aggregated per hour, day, week or month, in the user's time zone",
        description=(
            "Cumulative metrics (steps, energy, distance, water...) and time spent are summed; readings "
            "(heart rate, weight...) get average, minimum, maximum and count; sleep gets minutes per stage "
            "on the day it ends. `start` and `end` are local dates, both included (default: the last 7 days). "
            "Longest ranges: 31 days of hours, 366 of days, 5 years of weeks, 10 of months."
        ),
        parameters=[
            USER,
            OpenApiParameter("metric", {"type": "string", "enum": list(METRIC_CODES)}, required=True),
            OpenApiParameter("bucket", {"type": "string", "enum": list(selectors.BUCKET_LIMITS)}, required=False),
            OpenApiParameter("start", OpenApiTypes.DATE, required=False),
            OpenApiParameter("end", OpenApiTypes.DATE, required=False),
        ],
        responses={200: SummarySerializer, **FOR_USER},
    )
    def get(self, request: Request) -> Response:
        user = acting_user(request)
        params = request.query_params
        metric = params.get("metric")
        if metric not in METRICS:
            raise ValidationError({"metric": ["Required: a metric of GET /health/metrics/."]}, code="invalid_choice")
        bucket = params.get("bucket", "day")
        if bucket not in selectors.BUCKET_LIMITS:
            raise ValidationError({"bucket": ["One of hour, day, week, month."]}, code="invalid_choice")
        today = user.profile.local_today
        last = _query_date(params.get("end"), "end", today)
        if not 1970 <= last.year <= 9000:
            raise ValidationError({"end": ["Between 1970 and 9000."]}, code="invalid")
        first = _query_date(params.get("start"), "start", last - timedelta(days=6))
        if not 1970 <= first.year <= 9000:
            raise ValidationError({"start": ["Between 1970 and 9000."]}, code="invalid")
        if last < first:
            raise ValidationError({"end": ["On or after start."]}, code="invalid")
        limit = selectors.BUCKET_LIMITS[bucket]
        if (last - first).days + 1 > limit:
            raise ValidationError({"end": [f"{bucket} buckets cover at most {limit} days."]}, code="range_too_long")
        return Response(selectors.summary(user=user, metric=metric, bucket=bucket, first=first, last=last))


@extend_schema(tags=TAGS)
class SyncView(APIView):
    scope_area = "health"
    permission_classes = [ScopedAccess]

    @extend_schema(
        summary="Samples written or deleted since a cursor, for incremental client sync",
        description=(
            "Without `cursor`: everything, from the start. Store `next_cursor` and send it next time; while "
            "`has_more`, call again at once. Deleted samples come as tombstones (kept 90 days; a client that "
            "has not synced for longer starts again without a cursor). A change is served a few seconds after "
            "it is written (HEALTH_SYNC_SETTLE_SECONDS), so that none is skipped."
        ),
        parameters=[
            USER,
            OpenApiParameter("cursor", OpenApiTypes.STR, required=False),
            OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, required=False),
        ],
        responses={200: SyncSerializer, **FOR_USER},
    )
    def get(self, request: Request) -> Response:
        user = acting_user(request)
        raw_limit = request.query_params.get("limit", "500")
        if not raw_limit.isascii() or not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 1000:
            raise ValidationError({"limit": ["A whole number from 1 to 1000."]}, code="invalid")
        try:
            result = selectors.changes(user=user, cursor=request.query_params.get("cursor"), limit=int(raw_limit))
        except selectors.InvalidCursor as exc:
            raise ValidationError({"cursor": [str(exc)]}, code="invalid_cursor") from None
        plan = SampleSerializer.row_plan()
        result["samples"] = [plan.render({**row, "user_id": user.pk}) for row in result["samples"]]
        return Response(result)


@extend_schema(tags=TAGS)
class WeeklyReportView(APIView):
    scope_area = "health"
    permission_classes = [ScopedAccess]

    @extend_schema(
        summary="The weekly progress report",
        description="Monday to Sunday in the user's time zone: weight change, steps, sleep, resting heart rate, "
        "workouts and nutrition. `week` is any date in the week (default: last week).",
        parameters=[USER, OpenApiParameter("week", OpenApiTypes.DATE, required=False)],
        responses={200: WeeklyReportSerializer, **FOR_USER},
    )
    def get(self, request: Request) -> Response:
        user = acting_user(request)
        today = user.profile.local_today
        day = _query_date(request.query_params.get("week"), "week", today - timedelta(days=7))
        if not date(1970, 1, 5) <= day <= date(9000, 1, 1):
            raise ValidationError({"week": ["Between 1970 and 9000."]}, code="invalid")
        first, _ = selectors.week_bounds(day)
        return Response(selectors.weekly_report(user=user, first_day=first))


# --- weight and body measurements --------------------------------------------------------------


class _MetricListViewSet(mixins.ListModelMixin, TenantScopedViewSet):
    model = HealthSample
    scope_area = "health"
    permission_classes = [ScopedAccess]
    serializer_class = SampleSerializer
    pagination_class = SamplePagination
    filter_backends: list[Any] = []
    metrics: tuple[str, ...] = ()

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(metric__in=self.metrics)

    def _write(self, request: Request, user: User, named: list[tuple[str, dict[str, Any]]]) -> Response:
        """Write the samples of one form; an error names the form's field (``waist``), not the sample's."""
        now = _now()
        rows: list[Row] = []
        for name, item in named:
            try:
                rows.append(clean_sample(item, prefix="", default_source=_default_source(request), now=now))
            except FieldError as exc:
                field = {"value": name, "unit": "unit", "start_time": "measured_at"}.get(exc.field, exc.field)
                raise ApplicationError(
                    code="invalid",
                    message=exc.message,
                    status=400,
                    errors=[{"field": field, "code": exc.code, "message": exc.message}],
                ) from None
        counts = services.ingest_rows(user=user, rows=rows)
        plan = SampleSerializer.row_plan()
        stored = {
            sample["external_id"]: sample
            for sample in selectors.samples_of(user)
            .filter(source=rows[0].source, external_id__in=[row.external_id for row in rows])
            .values(*plan.columns)
        }
        body = {"samples": [plan.render(stored[row.external_id]) for row in rows]}
        return Response(body, status=status.HTTP_201_CREATED if counts.created else status.HTTP_200_OK)


@extend_schema_view(list=extend_schema(summary="Weight log, newest first", parameters=[LIST_USER]))
@extend_schema(tags=TAGS)
class WeightViewSet(_MetricListViewSet):
    metrics = ("body_weight",)

    @extend_schema(
        summary="Log a weight",
        description="A `body_weight` sample. The newest weight also becomes the profile's, which the "
        "nutrition targets use.",
        request=WeightInputSerializer,
        responses={201: WrittenSamplesSerializer, 200: WrittenSamplesSerializer, **FORM_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = WeightInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        user = owner_for_write(request, data.get("user"))
        item = {
            "metric": "body_weight",
            "value": data["value"],
            "unit": data["unit"],
            "start_time": data["measured_at"].isoformat(),
            "source_name": data.get("source_name") or "",
        }
        return self._write(request, user, [("value", item)])


@extend_schema_view(
    list=extend_schema(
        summary="Body measurements (circumferences, height, body fat, lean mass), newest first",
        parameters=[LIST_USER],
    )
)
@extend_schema(tags=TAGS)
class MeasurementViewSet(_MetricListViewSet):
    metrics = BODY_MEASUREMENTS

    @extend_schema(
        summary="Log body measurements taken together",
        description="One sample per measurement sent; lengths in `unit` (cm or in).",
        request=MeasurementInputSerializer,
        responses={201: WrittenSamplesSerializer, 200: WrittenSamplesSerializer, **FORM_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = MeasurementInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        user = owner_for_write(request, data.get("user"))
        named = [
            (
                name,
                {
                    "metric": metric,
                    "value": data[name],
                    "unit": data["unit"] if takes_unit else None,
                    "start_time": data["measured_at"].isoformat(),
                    "source_name": data.get("source_name") or "",
                },
            )
            for name, (metric, takes_unit) in MEASUREMENT_FIELDS.items()
            if data.get(name) is not None
        ]
        return self._write(request, user, named)


# --- imports -----------------------------------------------------------------------------------


class ImportPagination(LimitOffsetPagination):
    default_limit = 20
    max_limit = 100


@extend_schema_view(
    list=extend_schema(summary="Your health imports, newest first", parameters=[LIST_USER]),
    retrieve=extend_schema(
        summary="An import's status: progress, counts per type, skipped types, errors",
        parameters=[ID],
        responses={200: HealthImportSerializer, 404: NOT_FOUND},
    ),
)
@extend_schema(tags=TAGS)
class ImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    model = HealthImport
    scope_area = "health"
    permission_classes = [ScopedAccess]
    serializer_class = HealthImportSerializer
    pagination_class = ImportPagination
    filter_backends: list[Any] = []
    parser_classes = [MultiPartParser, FormParser]  # only create takes a body: the upload

    @extend_schema(
        summary="Import an Apple Health, Google Fit or Health Connect export",
        description=(
            "Multipart: `format` and `file`. Answers 202 with the import and its `status_url`; a worker "
            "streams the file in batches through the same upsert as POST /health/data/batch/, so importing "
            "the same file again creates nothing new. Apple Health: export.zip (workouts keep their routes "
            "from workout-routes/*.gpx) or export.xml. Google Fit: Takeout's 'Daily activity metrics.csv'. "
            "Health Connect: JSON Lines, one record per line (README 'Health data')."
        ),
        request={"multipart/form-data": ImportUploadSerializer},
        responses={
            202: HealthImportSerializer,
            400: problem_response(
                "No file or format, an empty file, a zip without export.xml, or a zip bomb.", validation=True
            ),
            413: problem_response("Over HEALTH_IMPORT_MAX_BYTES."),
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = ImportUploadSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        user = owner_for_write(request, data.get("user"))
        record = services.import_create(user=user, format=data["format"], upload=data["file"])
        record.refresh_from_db()
        return Response(HealthImportSerializer(record).data, status=status.HTTP_202_ACCEPTED)
