"""/api/v1/workouts/: the catalogue (workouts, exercises, videos, programs), progress, sessions,
records, program enrollments, achievements and activity-file imports.

Who sees what in the catalogue: ``selectors.catalogue_visibility``. FitCore's rows are
read-only here (staff edit them in the admin); a tenant's are managed by its API keys and
tenant admins; members read what is published; anonymous callers read FitCore's published
workouts and programs, metadata only. A member's own data (progress, sessions, enrollments,
achievements) is the member's; API keys act for their tenant's users (``user``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import (
    BooleanField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fitcore.api.exceptions import ApplicationError
from fitcore.api.filters import DjangoFilterBackend, OrderingFilter
from fitcore.api.pagination import CursorPagination, LimitOffsetPagination
from fitcore.api.permissions import ScopedAccess, ScopedAccessOrAnonymousRead
from fitcore.api.schema import ACTING_USER, OBJECT_ID, problem_response
from fitcore.api.serializers import validate_whole_list
from fitcore.api.tenancy import (
    TenantScopedViewSet,
    acting_user,
    acts_for_tenant,
    is_api_key,
    owner_for_write,
    parse_object_id,
    principal_tenant,
)
from fitcore.api.throttling import GenerationThrottle
from payment.permissions import SubscriptionRequired
from payment.selectors import has_active_access
from users.models import Profile, User

from . import achievements, media, selectors, services
from .filters import ExerciseFilter, ProgramFilter, SessionFilter, WorkoutFilter
from .models import (
    ActivityImport,
    Category,
    Exercise,
    ExerciseSet,
    GenerationStatus,
    Program,
    ProgramDay,
    ProgramEnrollment,
    SessionSource,
    SessionTrack,
    Workout,
    WorkoutExercise,
    WorkoutProgress,
    WorkoutSession,
    WorkoutVideo,
)
from .planning import service as program_planning
from .serializers import (
    AchievementSerializer,
    ActivityImportSerializer,
    ActivityUploadSerializer,
    CategorySerializer,
    EnrollInputSerializer,
    EnrollmentSerializer,
    EnrollmentUpdateSerializer,
    ExerciseDetailSerializer,
    ExerciseInputSerializer,
    ExerciseListSerializer,
    HistorySetSerializer,
    ProgramDetailSerializer,
    ProgramGenerateSerializer,
    ProgramGenerationAcceptedSerializer,
    ProgramInputSerializer,
    ProgramListSerializer,
    ProgressInputSerializer,
    ProgressSerializer,
    RecordSerializer,
    RouteSerializer,
    SessionInputSerializer,
    SessionListSerializer,
    SessionSerializer,
    SessionUpdateSerializer,
    TodaySerializer,
    VideoSerializer,
    VideoUpdateSerializer,
    VideoUploadSerializer,
    VideoUrlSerializer,
    WorkoutDetailSerializer,
    WorkoutInputSerializer,
    WorkoutListSerializer,
)

TAGS = ["workouts"]
ID = OBJECT_ID
USER = ACTING_USER
NOT_FOUND = problem_response("No such object, or not visible to you.")
FOR_USER = {
    400: problem_response("API keys: `?user=` missing or not an id.", validation=True),
    404: problem_response("No such user in your tenant (or, for a login, not you)."),
}
MANAGERS_ONLY = problem_response(
    "FitCore's catalogue is read-only (`read_only`); only API keys and tenant admins manage "
    "their tenant's (`tenant_admin_required`)."
)
ZERO_KG = Value(Decimal(0), output_field=DecimalField(max_digits=12, decimal_places=2))
IS_GLOBAL = ExpressionWrapper(Q(tenant__isnull=True), output_field=BooleanField())


class CataloguePagination(LimitOffsetPagination):
    default_limit = 20
    max_limit = 100


class SessionPagination(CursorPagination):
    page_size = 20
    max_page_size = 100
    ordering = ("-started_at", "-id")  # type: ignore[assignment]  # DRF takes a tuple; its stubs say str


class HistoryPagination(CursorPagination):
    page_size = 50
    max_page_size = 200
    ordering = ("-session_started_at", "-session_id", "set_number", "id")  # type: ignore[assignment]


def _anonymous(request: Request) -> bool:
    return not getattr(request.user, "is_authenticated", False)


def _visible(request: Request, prefix: str = "") -> Q:
    if _anonymous(request):
        return selectors.catalogue_visibility(tenant=None, manages_tenant=False, prefix=prefix)
    key = is_api_key(request)
    return selectors.catalogue_visibility(
        tenant=principal_tenant(request),
        manages_tenant=acts_for_tenant(request),
        user=None if key else request.user,
        all_owned=key,
        prefix=prefix,
    )


def _check_manager(request: Request, obj: Any = None, *, owner_may: bool = False) -> None:
    """Catalogue writes: the caller's tenant's rows, by its API keys and tenant admins; with
    ``owner_may``, a user's own generated program or workout by that user too (edits and
    deletes, not videos: a generated workout is private and has none)."""
    owner_id = getattr(obj, "owner_id", None)
    if owner_may and owner_id is not None and owner_id == getattr(request.user, "pk", None):
        return
    if obj is not None and obj.tenant_id is None:
        raise ApplicationError(code="read_only", message="FitCore's catalogue is read-only.", status=403)
    if not acts_for_tenant(request):
        raise ApplicationError(
            code="tenant_admin_required", message="Only tenant admins and API keys manage the catalogue.", status=403
        )


def _keep_private(obj: Any, data: dict[str, Any]) -> None:
    """A user's own generated program or workout stays theirs: never published, never premium."""
    if obj.owner_id is None:
        return
    refused = [name for name in ("published", "is_premium") if data.get(name)]
    if refused:
        raise ValidationError(
            {name: ["A generated program or workout is private to its user."] for name in refused}, code="private"
        )


def _profile(user: User) -> Profile:
    return Profile.objects.for_tenant(user.tenant_id).get(user=user)


def _checked(field: str, check: Any, upload: Any) -> Any:
    """Run a file check; its error names the form field the file came in."""
    try:
        return check(upload)
    except ValidationError as exc:
        raise ValidationError({field: exc.detail}) from None


# --- catalogue ------------------------------------------------------------------------


@extend_schema(tags=TAGS)
class CategoryListView(APIView):
    """Categories are FitCore's (not tenant-owned): one short list, the same for everyone."""

    scope_area = "workouts"
    permission_classes = [ScopedAccessOrAnonymousRead]

    @extend_schema(summary="Workout and exercise categories", responses={200: CategorySerializer(many=True)})
    def get(self, request: Request) -> Response:
        plan = CategorySerializer.row_plan()
        rows = Category.objects.order_by("name").values(*plan.columns)
        return Response(plan.render_many(rows))


@extend_schema_view(
    list=extend_schema(
        summary="Exercises: FitCore's catalogue and your tenant's own",
        description="Filter by muscle, equipment, movement pattern, mechanics, level, category; search by name.",
    ),
    retrieve=extend_schema(
        summary="An exercise with its instructions",
        parameters=[ID],
        responses={200: ExerciseDetailSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Add an exercise to your tenant's catalogue",
        request=ExerciseInputSerializer,
        responses={
            201: ExerciseDetailSerializer,
            400: problem_response("Invalid exercise.", validation=True),
            403: MANAGERS_ONLY,
        },
    ),
    partial_update=extend_schema(
        summary="Change one of your tenant's exercises",
        parameters=[ID],
        request=ExerciseInputSerializer,
        responses={200: ExerciseDetailSerializer, 403: MANAGERS_ONLY, 404: NOT_FOUND},
    ),
    destroy=extend_schema(
        summary="Delete one of your tenant's exercises",
        parameters=[ID],
        responses={204: None, 403: MANAGERS_ONLY, 404: NOT_FOUND, 409: problem_response("In use (`exercise_in_use`).")},
    ),
    history=extend_schema(
        summary="Your sets of this exercise, newest first",
        parameters=[ID, USER],
        responses={200: HistorySetSerializer(many=True), **FOR_USER},
    ),
)
@extend_schema(tags=TAGS)
class ExerciseViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    TenantScopedViewSet,
):
    model = Exercise
    owner_field = None
    global_rows = True
    anonymous_reads_global = True
    scope_area = "workouts"
    permission_classes = [ScopedAccessOrAnonymousRead]
    pagination_class = CataloguePagination
    filterset_class = ExerciseFilter
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["name", "level", "created_at"]
    ordering = ["name", "id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action == "list":
            return queryset.annotate(is_global=IS_GLOBAL)
        return queryset.select_related("category")

    def get_serializer_class(self) -> Any:
        if self.action == "list":
            return ExerciseListSerializer
        if self.action in {"create", "partial_update"}:
            return ExerciseInputSerializer
        if self.action == "history":
            return HistorySetSerializer
        return ExerciseDetailSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _check_manager(request)
        payload = ExerciseInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        exercise = services.exercise_create(tenant=principal_tenant(request), data=dict(payload.validated_data))
        return Response(ExerciseDetailSerializer(exercise).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        exercise = self.get_object()
        _check_manager(request, exercise)
        payload = ExerciseInputSerializer(data=request.data, partial=True, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        for name, value in payload.validated_data.items():
            setattr(exercise, name, value)
        exercise.save()
        return Response(ExerciseDetailSerializer(exercise).data)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        exercise = self.get_object()
        _check_manager(request, exercise)
        services.exercise_delete(exercise=exercise)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(
        detail=True,
        methods=["get"],
        pagination_class=HistoryPagination,
        filter_backends=[],
        permission_classes=[ScopedAccess],
    )
    def history(self, request: Request, pk: str) -> Response:
        exercise = self.get_object()
        user = acting_user(request)
        rows = selectors.exercise_history(user=user, exercise_id=exercise.pk)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(HistorySetSerializer(page, many=True).data)


def _workout_detail_queryset(request: Request) -> Any:
    return Workout.objects.select_related("category").prefetch_related(
        Prefetch(
            "exercises",
            queryset=WorkoutExercise.objects.select_related("exercise").order_by("position"),
        ),
        Prefetch("videos", queryset=WorkoutVideo.objects.order_by("order_index")),
    )


@extend_schema_view(
    list=extend_schema(
        summary="Workouts: FitCore's catalogue and your tenant's",
        description=(
            "Anonymous callers see FitCore's published workouts. Members see those and their tenant's published "
            "ones; API keys and tenant admins also their tenant's drafts. Limit/offset pagination."
        ),
    ),
    retrieve=extend_schema(
        summary="A workout with its exercises and videos (metadata; URLs from /videos/{id}/url/)",
        parameters=[ID],
        responses={200: WorkoutDetailSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Add a workout to your tenant's catalogue",
        description="`exercises` in order; each with target_reps or target_duration_seconds.",
        request=WorkoutInputSerializer,
        responses={
            201: WorkoutDetailSerializer,
            400: problem_response("Invalid workout.", validation=True),
            403: MANAGERS_ONLY,
        },
    ),
    partial_update=extend_schema(
        summary="Change one of your tenant's workouts",
        description="`exercises`, when given, replaces the whole list.",
        parameters=[ID],
        request=WorkoutInputSerializer,
        responses={200: WorkoutDetailSerializer, 403: MANAGERS_ONLY, 404: NOT_FOUND},
    ),
    destroy=extend_schema(
        summary="Delete one of your tenant's workouts",
        parameters=[ID],
        responses={
            204: None,
            403: MANAGERS_ONLY,
            404: NOT_FOUND,
            409: problem_response("A program uses it (`workout_in_use`)."),
        },
    ),
)
@extend_schema(tags=TAGS)
class WorkoutViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    TenantScopedViewSet,
):
    model = Workout
    owner_field = None
    global_rows = True
    anonymous_reads_global = True
    scope_area = "workouts"
    permission_classes = [ScopedAccessOrAnonymousRead]
    pagination_class = CataloguePagination
    filterset_class = WorkoutFilter
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["title", "duration_minutes", "difficulty", "created_at"]
    ordering = ["title", "id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = queryset.filter(_visible(self.request))
        if self.action in {"list", "favorites"}:
            return queryset.annotate(is_global=IS_GLOBAL)
        return queryset

    def get_serializer_class(self) -> Any:
        if self.action in {"list", "favorites"}:
            return WorkoutListSerializer
        if self.action in {"create", "partial_update"}:
            return WorkoutInputSerializer
        return WorkoutDetailSerializer

    def _detail(self, workout: Workout, status_code: int = status.HTTP_200_OK) -> Response:
        workout = _workout_detail_queryset(self.request).get(pk=workout.pk)
        request = self.request
        favorites: set[int] = set()
        if not _anonymous(request) and not is_api_key(request):
            favorites = selectors.favorite_workout_ids(user=request.user)  # type: ignore[arg-type]
        locked = not is_api_key(request) and (_anonymous(request) or not has_active_access(request.user))  # type: ignore[arg-type]
        context = {"favorite_ids": favorites, "premium_locked": locked}
        return Response(WorkoutDetailSerializer(workout, context=context).data, status=status_code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail(self.get_object())

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _check_manager(request)
        payload = WorkoutInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        exercises = data.pop("exercises", [])
        workout = services.workout_create(tenant=principal_tenant(request), data=data, exercises=exercises)
        return self._detail(workout, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        workout = self.get_object()
        _check_manager(request, workout, owner_may=True)
        payload = WorkoutInputSerializer(data=request.data, partial=True, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        _keep_private(workout, data)
        validate_whole_list(
            request.data,
            data,
            "exercises",
            WorkoutInputSerializer(context=self.get_serializer_context()).fields["exercises"],
        )
        exercises = data.pop("exercises", None)
        workout = services.workout_update(workout=workout, data=data, exercises=exercises)
        return self._detail(workout)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        workout = self.get_object()
        _check_manager(request, workout, owner_may=True)
        services.workout_delete(workout=workout)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Your favourite workouts",
        parameters=[USER],
        responses={200: WorkoutListSerializer(many=True), **FOR_USER},
    )
    @action(detail=False, methods=["get"], filter_backends=[], permission_classes=[ScopedAccess])
    def favorites(self, request: Request) -> Response:
        user = acting_user(request)
        ids = selectors.favorite_workout_ids(user=user)
        plan = WorkoutListSerializer.row_plan()
        rows = self.get_queryset().filter(pk__in=ids).order_by("title", "id").values(*plan.scoped_columns)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(plan.render_many(page or [], principal_tenant(request)))

    @extend_schema(
        summary="Mark a workout as a favourite",
        description="Idempotent. API keys name the user in `?user=`.",
        parameters=[ID, USER],
        request=None,
        responses={204: None, **FOR_USER, 404: problem_response("No such workout, or no such user.")},
    )
    @action(detail=True, methods=["post"], permission_classes=[ScopedAccess])
    def favorite(self, request: Request, pk: str) -> Response:
        workout = self.get_object()
        services.favorite_add(user=acting_user(request), workout=workout)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Remove a favourite",
        parameters=[ID, USER],
        request=None,
        responses={204: None, **FOR_USER, 404: problem_response("No such workout, or no such user.")},
    )
    @favorite.mapping.delete
    def unfavorite(self, request: Request, pk: str) -> Response:
        workout = self.get_object()
        services.favorite_remove(user=acting_user(request), workout=workout)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="A workout's videos (metadata)",
        parameters=[ID],
        responses={200: VideoSerializer(many=True), 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def videos(self, request: Request, pk: str) -> Response:
        workout = self.get_object()
        rows = WorkoutVideo.objects.filter(workout=workout).select_related("workout").order_by("order_index")
        locked = not is_api_key(request) and (_anonymous(request) or not has_active_access(request.user))  # type: ignore[arg-type]
        return Response(VideoSerializer(rows, many=True, context={"premium_locked": locked}).data)

    @extend_schema(
        summary="Upload a video to one of your tenant's workouts",
        description=(
            "Multipart: `video` (MP4, WebM or MOV, recognised by its content; at most WORKOUT_VIDEO_MAX_BYTES), "
            "optional `thumbnail` (an image, re-encoded as a JPEG of at most 640 x 360)."
        ),
        parameters=[ID],
        request={"multipart/form-data": VideoUploadSerializer},
        responses={
            201: VideoSerializer,
            400: problem_response(
                "Not a video (`unsupported_video_type`), empty (`empty_file`), too large (`file_too_large`), "
                "a bad thumbnail (`invalid_image`).",
                validation=True,
            ),
            403: MANAGERS_ONLY,
            404: NOT_FOUND,
        },
    )
    @videos.mapping.post
    def upload_video(self, request: Request, pk: str) -> Response:
        workout = self.get_object()
        _check_manager(request, workout)
        payload = VideoUploadSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        upload = data.pop("video")
        content_type = _checked("video", media.validate_video, upload)
        thumbnail_upload = data.pop("thumbnail", None)
        thumbnail = _checked("thumbnail", media.make_thumbnail, thumbnail_upload) if thumbnail_upload else None
        video = services.video_create(
            workout=workout, upload=upload, content_type=content_type, thumbnail=thumbnail, data=data
        )
        return Response(VideoSerializer(video).data, status=status.HTTP_201_CREATED)

    def get_parsers(self) -> list[Any]:
        if getattr(self, "action", None) == "upload_video" or (
            self.request is not None and self.request.method == "POST" and self.request.path.endswith("/videos/")
        ):
            return [MultiPartParser(), FormParser()]
        return super().get_parsers()


@extend_schema_view(
    retrieve=extend_schema(
        summary="A video's metadata", parameters=[ID], responses={200: VideoSerializer, 404: NOT_FOUND}
    ),
    partial_update=extend_schema(
        summary="Change a video of your tenant's workout",
        parameters=[ID],
        request={"multipart/form-data": VideoUpdateSerializer, "application/json": VideoUpdateSerializer},
        responses={
            200: VideoSerializer,
            400: problem_response("Invalid change.", validation=True),
            403: MANAGERS_ONLY,
            404: NOT_FOUND,
        },
    ),
    destroy=extend_schema(
        summary="Delete a video of your tenant's workout",
        parameters=[ID],
        responses={204: None, 403: MANAGERS_ONLY, 404: NOT_FOUND},
    ),
)
@extend_schema(tags=TAGS)
class VideoViewSet(
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    TenantScopedViewSet,
):
    model = WorkoutVideo
    owner_field = None
    global_rows = True
    anonymous_reads_global = True
    scope_area = "workouts"
    permission_classes = [ScopedAccessOrAnonymousRead]
    serializer_class = VideoSerializer
    filter_backends: list[Any] = []
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(_visible(self.request, prefix="workout__")).select_related("workout")

    def get_parsers(self) -> list[Any]:
        return [*super().get_parsers(), MultiPartParser(), FormParser()]

    def _locked(self) -> bool:
        request = self.request
        return not is_api_key(request) and (_anonymous(request) or not has_active_access(request.user))  # type: ignore[arg-type]

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(VideoSerializer(self.get_object(), context={"premium_locked": self._locked()}).data)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        video = self.get_object()
        _check_manager(request, video)
        payload = VideoUpdateSerializer(data=request.data, partial=True, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        thumbnail_upload = data.pop("thumbnail", None)
        thumbnail = _checked("thumbnail", media.make_thumbnail, thumbnail_upload) if thumbnail_upload else None
        video = services.video_update(video=video, data=data, thumbnail=thumbnail)
        return Response(VideoSerializer(video).data)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        video = self.get_object()
        _check_manager(request, video)
        services.video_delete(video=video)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="A signed, expiring URL to watch the video",
        description=(
            "Videos of free workouts, and free previews of premium ones, for every signed-in caller; other videos of "
            "premium workouts need an active subscription (a canceled one counts until its paid period ends). "
            "API keys get every URL of their catalogue. Anonymous callers: 403 `subscription_required` for premium "
            "videos, 401 for the others (sign in to watch)."
        ),
        parameters=[ID],
        responses={
            200: VideoUrlSerializer,
            401: problem_response("Sign in to watch."),
            403: problem_response("A premium video: needs an active subscription (`subscription_required`)."),
            404: NOT_FOUND,
        },
    )
    @action(detail=True, methods=["get"])
    def url(self, request: Request, pk: str) -> Response:
        video = self.get_object()
        premium = video.workout.is_premium and not video.is_free
        if premium and self._locked():
            raise SubscriptionRequired()
        if _anonymous(request):
            raise NotAuthenticated("Sign in to watch videos.")
        link, expires_at = media.video_url(video, request=request)
        return Response(VideoUrlSerializer({"url": link, "expires_at": expires_at}).data)


# --- progress -------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Your progress through workouts, most recently updated first",
        parameters=[USER],
        responses={200: ProgressSerializer(many=True), **FOR_USER},
    ),
    create=extend_schema(
        summary="Record progress through a workout",
        description=(
            "One row per user and workout, created on the first update. Idempotent: the same value again changes "
            "nothing. Progress never goes back (409 `progress_backwards`) unless `reset: true`. `completed_at` is "
            "set the first time it reaches 100 and never unset."
        ),
        request=ProgressInputSerializer,
        responses={
            200: ProgressSerializer,
            201: ProgressSerializer,
            400: problem_response("Invalid progress (0-100).", validation=True),
            409: problem_response("Lower than before without `reset` (`progress_backwards`)."),
        },
    ),
)
@extend_schema(tags=TAGS)
class ProgressViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, TenantScopedViewSet):
    model = WorkoutProgress
    scope_area = "workouts"
    permission_classes = [ScopedAccess]
    serializer_class = ProgressSerializer
    pagination_class = CataloguePagination
    filter_backends: list[Any] = []

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = ProgressInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        user = owner_for_write(request, data.get("user"))
        workout: Workout = data["workout"]
        last_video = None
        if data.get("last_video") is not None:
            last_video = WorkoutVideo.objects.filter(workout=workout, pk=data["last_video"]).first()
            if last_video is None:
                raise ValidationError({"last_video": ["Not a video of this workout."]}, code="does_not_exist")
        progress, created = services.progress_update(
            user=user,
            workout=workout,
            percentage=data["progress_percentage"],
            last_video=last_video,
            reset=data.get("reset", False),
        )
        return Response(
            ProgressSerializer(progress).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


# --- sessions -------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Your training history, newest first",
        description="Cursor pagination; filter by start time, workout, source, sport. Each with set count and volume.",
        parameters=[USER],
    ),
    retrieve=extend_schema(
        summary="A session with its sets", parameters=[ID], responses={200: SessionSerializer, 404: NOT_FOUND}
    ),
    create=extend_schema(
        summary="Log a session (back-dating allowed)",
        description=(
            "`started_at` may be any past time. `sets` in any order; `set_number` defaults to the next one per "
            "exercise. A partner's `external_id` sent again updates that session instead of adding one."
        ),
        request=SessionInputSerializer,
        responses={
            201: SessionSerializer,
            400: problem_response("Invalid session (end before start, negative weight...).", validation=True),
        },
    ),
    partial_update=extend_schema(
        summary="Change a session",
        description="`sets`, when given, replaces them all.",
        parameters=[ID],
        request=SessionUpdateSerializer,
        responses={200: SessionSerializer, 400: problem_response("Invalid change.", validation=True), 404: NOT_FOUND},
    ),
    destroy=extend_schema(summary="Delete a session", parameters=[ID], responses={204: None, 404: NOT_FOUND}),
)
@extend_schema(tags=TAGS)
class SessionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    TenantScopedViewSet,
):
    model = WorkoutSession
    scope_area = "workouts"
    permission_classes = [ScopedAccess]
    pagination_class = SessionPagination
    filterset_class = SessionFilter
    filter_backends = [DjangoFilterBackend]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        has_route = Exists(SessionTrack.unscoped.filter(session=OuterRef("pk")))
        if self.action == "list":
            # Per-row subqueries on the sets' session index, not a join and GROUP BY: the page's
            # LIMIT then applies to an index scan of the history, whatever its length.
            sets_of = ExerciseSet.unscoped.filter(session=OuterRef("pk")).order_by().values("session")
            return queryset.annotate(
                has_route=has_route,
                set_count=Coalesce(Subquery(sets_of.annotate(n=Count("id")).values("n")[:1]), 0),
                volume_kg=Coalesce(
                    Subquery(sets_of.filter(is_warmup=False).annotate(total=Sum(selectors.VOLUME)).values("total")[:1]),
                    ZERO_KG,
                ),
            )
        if self.action in {"retrieve", "route"}:
            return queryset.annotate(has_route=has_route).prefetch_related(
                Prefetch("sets", queryset=ExerciseSet.unscoped.select_related("exercise").order_by("id"))
            )
        return queryset

    def get_serializer_class(self) -> Any:
        if self.action == "list":
            return SessionListSerializer
        if self.action == "create":
            return SessionInputSerializer
        if self.action == "partial_update":
            return SessionUpdateSerializer
        return SessionSerializer

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(SessionListSerializer(page or [], many=True).data)

    def _detail(self, session: WorkoutSession, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = (
            WorkoutSession.objects.for_tenant(session.tenant_id)
            .annotate(has_route=Exists(SessionTrack.unscoped.filter(session=OuterRef("pk"))))
            .prefetch_related(Prefetch("sets", queryset=ExerciseSet.unscoped.select_related("exercise").order_by("id")))
            .get(pk=session.pk)
        )
        return Response(SessionSerializer(fresh).data, status=status_code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = SessionInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        user = owner_for_write(request, data.pop("user", None))
        sets = data.pop("sets", [])
        data.setdefault("source", SessionSource.PARTNER if is_api_key(request) else SessionSource.MANUAL)
        session = services.session_create(user=user, data=data, sets=sets)
        return self._detail(session, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        session = self.get_object()
        payload = SessionUpdateSerializer(data=request.data, partial=True, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        validate_whole_list(
            request.data, data, "sets", SessionUpdateSerializer(context=self.get_serializer_context()).fields["sets"]
        )
        sets = data.pop("sets", None)
        session = services.session_update(session=session, data=data, sets=sets)
        return self._detail(session)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.session_delete(session=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="The session's recorded route as GeoJSON",
        parameters=[ID],
        responses={200: RouteSerializer, 404: problem_response("No such session, or it has no route (`no_route`).")},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def route(self, request: Request, pk: str) -> Response:
        session = self.get_object()
        track = SessionTrack.objects.for_tenant(session.tenant_id).filter(session=session).first()
        if track is None:
            raise ApplicationError(code="no_route", message="This session has no recorded route.", status=404)
        coordinates = [[p[0], p[1]] if p[2] is None else [p[0], p[1], p[2]] for p in track.points]
        body = {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": coordinates},
            "properties": {
                "session": session.pk,
                "times": [p[3] for p in track.points],
                "heart_rates": [p[4] for p in track.points],
            },
        }
        return Response(body)

    @extend_schema(
        summary="Import a GPX, TCX or FIT file as a session",
        description=(
            "Multipart `file` (optionally gzipped). Answers 202 with the import and its status URL; a worker reads "
            "the file. The same file again (by content) is the same import: 200 with it, nothing queued."
        ),
        request={"multipart/form-data": ActivityUploadSerializer},
        responses={
            200: ActivityImportSerializer,
            202: ActivityImportSerializer,
            400: problem_response("No file, or an empty one.", validation=True),
        },
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_file(self, request: Request) -> Response:
        payload = ActivityUploadSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        user = owner_for_write(request, payload.validated_data.get("user"))
        record, queued = services.activity_import_create(user=user, upload=payload.validated_data["file"])
        record.refresh_from_db()
        return Response(
            ActivityImportSerializer(record).data, status=status.HTTP_202_ACCEPTED if queued else status.HTTP_200_OK
        )


@extend_schema_view(
    list=extend_schema(summary="Your activity-file imports, newest first", parameters=[USER]),
    retrieve=extend_schema(
        summary="An import's status", parameters=[ID], responses={200: ActivityImportSerializer, 404: NOT_FOUND}
    ),
)
@extend_schema(tags=TAGS)
class ImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    model = ActivityImport
    scope_area = "workouts"
    permission_classes = [ScopedAccess]
    serializer_class = ActivityImportSerializer
    pagination_class = CataloguePagination
    filter_backends: list[Any] = []


# --- records and achievements -----------------------------------------------------------


@extend_schema(tags=TAGS)
class RecordListView(APIView):
    """Personal records per exercise, computed by the database from the acting user's working sets.

    No queryset of its own: the user comes from ``acting_user`` (the tenancy layer) and the
    rows from the selector, keyed by that user."""

    scope_area = "workouts"
    permission_classes = [ScopedAccess]

    @extend_schema(
        summary="Your personal records per exercise",
        description=(
            "Heaviest weight (and the reps done at it), most reps, best estimated one-rep maximum by Epley "
            "(weight x (1 + reps / 30), sets of at most 12 reps), best set volume and best session volume. "
            "Warm-up sets do not count."
        ),
        parameters=[
            USER,
            OpenApiParameter(
                "exercise",
                {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
                required=False,
                description="Only this exercise.",
            ),
        ],
        responses={200: RecordSerializer(many=True), **FOR_USER},
    )
    def get(self, request: Request) -> Response:
        user = acting_user(request)
        exercise = request.query_params.get("exercise")
        exercise_id = None
        if exercise is not None:
            exercise_id = parse_object_id(exercise)
            if exercise_id is None:
                raise ValidationError({"exercise": ["Expected a positive whole number id."]}, code="invalid")
        records = selectors.personal_records(user=user, exercise_id=exercise_id)
        return Response(RecordSerializer(records, many=True).data)


@extend_schema(tags=TAGS)
class AchievementListView(APIView):
    """Every achievement rule, earned or locked with progress; read for the acting user only."""

    scope_area = "workouts"
    permission_classes = [ScopedAccess]

    @extend_schema(
        summary="Achievements: earned, and locked with your progress toward them",
        parameters=[USER],
        responses={200: AchievementSerializer(many=True), **FOR_USER},
    )
    def get(self, request: Request) -> Response:
        user = acting_user(request)
        return Response(AchievementSerializer(achievements.achievements_for(user), many=True).data)


# --- programs -------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Programs: FitCore's and your tenant's", description="Limit/offset pagination."),
    retrieve=extend_schema(
        summary="A program with every day", parameters=[ID], responses={200: ProgramDetailSerializer, 404: NOT_FOUND}
    ),
    create=extend_schema(
        summary="Add a program to your tenant's catalogue",
        description="`days`: each day 1..weeks x 7 once; `workout` null is a rest day.",
        request=ProgramInputSerializer,
        responses={
            201: ProgramDetailSerializer,
            400: problem_response("Invalid program.", validation=True),
            403: MANAGERS_ONLY,
        },
    ),
    partial_update=extend_schema(
        summary="Change one of your tenant's programs",
        description="`days`, when given, replaces them all (and must cover the weeks).",
        parameters=[ID],
        request=ProgramInputSerializer,
        responses={
            200: ProgramDetailSerializer,
            403: MANAGERS_ONLY,
            404: NOT_FOUND,
            409: problem_response("Still being generated (`generation_pending`)."),
        },
    ),
    destroy=extend_schema(
        summary="Delete one of your tenant's programs",
        parameters=[ID],
        responses={
            204: None,
            403: MANAGERS_ONLY,
            404: NOT_FOUND,
            409: problem_response("Followed by users (`program_in_use`)."),
        },
    ),
    generate=extend_schema(
        summary="Generate a program for your goal, time and equipment",
        description=(
            "A premium feature (API keys: within the generation quota). Answers 202; a worker builds a private "
            "program from the exercise catalogue by rules — a split by days per week, push/pull/hinge/squat/core "
            "every week, volume by experience, only your equipment, progressive overload week to week, a deload "
            "week, warm-up sets — with an LLM choosing among valid exercises when configured (validated; any "
            "failure falls back to the rules and is recorded in `generation`). Poll `status_url` until "
            "`generation_status` is `ready`. The program is yours to edit and enroll in."
        ),
        request=ProgramGenerateSerializer,
        responses={
            202: ProgramGenerationAcceptedSerializer,
            400: problem_response(
                "Invalid request (an unknown equipment code, weeks out of 4-12...).", validation=True
            ),
            403: problem_response("Needs an active subscription (`subscription_required`)."),
            404: problem_response("No such user in your tenant."),
            429: problem_response("Generation quota used up; retry later."),
        },
    ),
)
@extend_schema(tags=TAGS)
class ProgramViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    TenantScopedViewSet,
):
    model = Program
    owner_field = None
    global_rows = True
    anonymous_reads_global = True
    scope_area = "workouts"
    permission_classes = [ScopedAccessOrAnonymousRead]
    pagination_class = CataloguePagination
    filterset_class = ProgramFilter
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["title", "weeks", "difficulty", "created_at"]
    ordering = ["title", "id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = queryset.filter(_visible(self.request))
        if self.action == "list":
            return queryset.annotate(is_global=IS_GLOBAL)
        return queryset

    def get_serializer_class(self) -> Any:
        if self.action == "list":
            return ProgramListSerializer
        if self.action in {"create", "partial_update"}:
            return ProgramInputSerializer
        if self.action == "enroll":
            return EnrollInputSerializer
        if self.action == "generate":
            return ProgramGenerateSerializer
        if self.action == "today":
            return TodaySerializer
        return ProgramDetailSerializer

    def _detail(self, program: Program, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = (
            Program.objects.select_related("category")
            .prefetch_related(
                Prefetch("days", queryset=ProgramDay.objects.select_related("workout").order_by("day_number"))
            )
            .get(pk=program.pk)
        )
        context = {
            "manages": acts_for_tenant(self.request) and fresh.tenant_id is not None,
            "viewer": None if is_api_key(self.request) else getattr(self.request.user, "pk", None),
        }
        return Response(ProgramDetailSerializer(fresh, context=context).data, status=status_code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail(self.get_object())

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _check_manager(request)
        payload = ProgramInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        days = data.pop("days")
        program = services.program_create(tenant=principal_tenant(request), data=data, days=days)
        return self._detail(program, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        program = self.get_object()
        _check_manager(request, program, owner_may=True)
        if program.generation_status == GenerationStatus.PENDING:
            raise ApplicationError(
                code="generation_pending",
                message="The program is still being generated; try again shortly.",
                status=409,
            )
        payload = ProgramInputSerializer(
            program, data=request.data, partial=True, context=self.get_serializer_context()
        )
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        _keep_private(program, data)
        validate_whole_list(
            request.data, data, "days", ProgramInputSerializer(context=self.get_serializer_context()).fields["days"]
        )
        if "weeks" in data and "days" not in data and data["weeks"] != program.weeks:
            raise ValidationError({"days": ["Changing weeks needs the whole new list of days."]}, code="required")
        days = data.pop("days", None)
        program = services.program_update(program=program, data=data, days=days)
        return self._detail(program)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        program = self.get_object()
        _check_manager(request, program, owner_may=True)
        services.program_delete(program=program)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def get_throttles(self) -> list[Any]:
        throttles = super().get_throttles()
        if self.action == "generate":
            throttles.append(GenerationThrottle())
        return throttles

    @action(detail=False, methods=["post"], permission_classes=[ScopedAccess])
    def generate(self, request: Request) -> Response:
        payload = ProgramGenerateSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        user = owner_for_write(request, data.pop("user", None))
        if not is_api_key(request) and not has_active_access(user):
            raise SubscriptionRequired()
        with transaction.atomic():
            program = program_planning.request_program(user=user, request=data)
        url = request.build_absolute_uri(f"/api/v1/workouts/programs/{program.pk}/")
        body = {"program": program.pk, "status": program.generation_status, "status_url": url}
        return Response(
            ProgramGenerationAcceptedSerializer(body).data, status=status.HTTP_202_ACCEPTED, headers={"Location": url}
        )

    @extend_schema(
        summary="Start following a program",
        description=(
            "From `start_date` (default: today in your time zone). Premium programs need an active subscription."
        ),
        parameters=[ID],
        request=EnrollInputSerializer,
        responses={
            201: EnrollmentSerializer,
            400: problem_response("Invalid enrollment.", validation=True),
            403: problem_response("A premium program (`subscription_required`)."),
            404: NOT_FOUND,
            409: problem_response("Already following it (`already_enrolled`)."),
        },
    )
    @action(detail=True, methods=["post"], permission_classes=[ScopedAccess])
    def enroll(self, request: Request, pk: str) -> Response:
        program = self.get_object()
        payload = EnrollInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        user = owner_for_write(request, data.get("user"))
        if program.is_premium and not is_api_key(request) and not has_active_access(user):
            raise SubscriptionRequired()
        start = data.get("start_date") or _profile(user).local_today
        enrollment = services.enrollment_create(
            user=user, program=program, start_date=start, reminder_time=data.get("reminder_time")
        )
        return Response(_enrollment_body(enrollment, _profile(user)), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="What to do today in this program",
        description="Today in the user's time zone, from the user's active enrollment.",
        parameters=[ID, USER],
        responses={200: TodaySerializer, **FOR_USER},
    )
    @action(detail=True, methods=["get"], filter_backends=[], permission_classes=[ScopedAccess])
    def today(self, request: Request, pk: str) -> Response:
        program = self.get_object()
        user = acting_user(request)
        profile = _profile(user)
        today = profile.local_today
        enrollment = (
            ProgramEnrollment.objects.for_tenant(user.tenant_id)
            .filter(user=user, program=program, status=ProgramEnrollment.Status.ACTIVE)
            .first()
        )
        body: dict[str, Any] = {
            "date": today,
            "enrolled": enrollment is not None,
            "enrollment": enrollment.pk if enrollment else None,
            "day_number": None,
            "state": "not_enrolled",
            "workout": None,
            "notes": "",
            "done_today": False,
        }
        if enrollment is not None:
            number = enrollment.day_on(today)
            body["day_number"] = number
            if number < 1:
                body["state"] = "not_started"
            elif number > program.length_days:
                body["state"] = "finished"
            else:
                day = (
                    ProgramDay.objects.filter(program=program, day_number=number)
                    .select_related("workout__category")
                    .first()
                )
                workout = day.workout if day is not None else None
                body["notes"] = day.notes if day is not None else ""
                body["state"] = "rest" if workout is None else "workout"
                own = workout is not None and workout.owner_id is not None and workout.owner_id == user.pk
                if workout is not None and not workout.published and not acts_for_tenant(request) and not own:
                    workout, body["state"] = None, "unavailable"  # unpublished since the program was written
                if workout is not None:
                    body["workout"] = _workout_row(workout)
                    body["done_today"] = _done_on(user, profile, workout, today)
        return Response(TodaySerializer(body).data)


def _workout_row(workout: Workout) -> dict[str, Any]:
    return {
        "id": workout.pk,
        "title": workout.title,
        "duration_minutes": workout.duration_minutes,
        "difficulty": workout.difficulty,
        "goals": workout.goals,
        "equipment": workout.equipment,
        "category": {"slug": workout.category.slug} if workout.category else None,
        "is_premium": workout.is_premium,
        "published": workout.published,
        "is_global": workout.tenant_id is None,
    }


def _done_on(user: User, profile: Profile, workout: Workout, day: Any) -> bool:
    import zoneinfo
    from datetime import time, timedelta

    zone = zoneinfo.ZoneInfo(profile.timezone)
    start = datetime.combine(day, time(0), tzinfo=zone)
    return (
        WorkoutSession.objects.for_tenant(user.tenant_id)
        .filter(user=user, workout=workout, started_at__gte=start, started_at__lt=start + timedelta(days=1))
        .exists()
    )


def _enrollment_body(enrollment: ProgramEnrollment, profile: Profile) -> dict[str, Any]:
    enrollment.current_day = enrollment.day_on(profile.local_today)  # type: ignore[attr-defined]
    return dict(EnrollmentSerializer(enrollment).data)


@extend_schema_view(
    list=extend_schema(summary="Programs you follow or followed", parameters=[USER]),
    retrieve=extend_schema(
        summary="An enrollment", parameters=[ID], responses={200: EnrollmentSerializer, 404: NOT_FOUND}
    ),
    partial_update=extend_schema(
        summary="Change the reminder time, finish or abandon",
        description="`completed` once the program's last day has come (409 `program_not_finished` before).",
        parameters=[ID],
        request=EnrollmentUpdateSerializer,
        responses={
            200: EnrollmentSerializer,
            400: problem_response("Invalid change.", validation=True),
            404: NOT_FOUND,
            409: problem_response("Already closed (`enrollment_closed`) or not finished (`program_not_finished`)."),
        },
    ),
)
@extend_schema(tags=TAGS)
class EnrollmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, TenantScopedViewSet):
    model = ProgramEnrollment
    scope_area = "workouts"
    permission_classes = [ScopedAccess]
    serializer_class = EnrollmentSerializer
    pagination_class = CataloguePagination
    filter_backends: list[Any] = []
    http_method_names = ["get", "patch", "head", "options"]

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.select_related("program", "user__profile")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([_enrollment_body(row, row.user.profile) for row in page or []])

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        enrollment = self.get_object()
        return Response(_enrollment_body(enrollment, enrollment.user.profile))

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        enrollment = self.get_object()
        payload = EnrollmentUpdateSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        profile = enrollment.user.profile
        enrollment = services.enrollment_update(
            enrollment=enrollment, data=dict(payload.validated_data), today=profile.local_today
        )
        return Response(_enrollment_body(enrollment, profile))

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)
