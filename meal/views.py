"""/api/v1/nutrition/: foods, meals, meal plans, the food diary and daily targets.

Who sees what (``TenantScopedViewSet`` with ``global_rows`` / ``tenant_shared``):
- foods: FitCore's catalogue, plus private foods (a user's own; an API key's tenant's);
- meals and plans: a user's own, the tenant's templates and FitCore's templates.
FitCore's rows are read-only through the API (staff edit them in the admin); a tenant's
templates are changed by its API keys and tenant admins, never by members.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fitcore.api.exceptions import ApplicationError
from fitcore.api.filters import DjangoFilterBackend, OrderingFilter
from fitcore.api.pagination import CursorPagination, LimitOffsetPagination
from fitcore.api.permissions import ScopedAccess
from fitcore.api.schema import ACTING_USER, OBJECT_ID, AutoSchema, problem_response
from fitcore.api.serializers import validate_whole_list
from fitcore.api.tenancy import (
    TenantScopedViewSet,
    acting_user,
    acts_for_tenant,
    is_api_key,
    owner_for_write,
    principal_tenant,
)
from fitcore.api.throttling import GenerationThrottle
from payment.permissions import SubscriptionRequired
from payment.selectors import has_active_access
from users.models import Allergen, Profile, User

from . import selectors, services
from .barcodes import BarcodeError, normalize_barcode
from .filters import FoodFilter, MealFilter, MealPlanFilter
from .models import Food, FoodCategory, FoodLogEntry, FoodPortion, Meal, MealPlan, ScheduledMeal, TargetChange
from .nutrients import MAX_KCAL_PER_100G
from .planning import editing, generation, replanning
from .serializers import (
    ActivateInputSerializer,
    AdaptResultSerializer,
    DiaryDaySerializer,
    DiaryEntryInputSerializer,
    DiaryEntrySerializer,
    DiaryEntryUpdateSerializer,
    DiarySummarySerializer,
    FoodCategorySerializer,
    FoodDetailSerializer,
    FoodInputSerializer,
    FoodListSerializer,
    FoodUpdateSerializer,
    GenerationAcceptedSerializer,
    LogPlanDayInputSerializer,
    MealCopyInputSerializer,
    MealInputSerializer,
    MealPlanDetailSerializer,
    MealPlanGenerateSerializer,
    MealPlanInputSerializer,
    MealPlanListSerializer,
    MealPlanUpdateSerializer,
    MealSerializer,
    MealUpdateSerializer,
    PlanCopyInputSerializer,
    ShoppingListSerializer,
    ShoppingQuerySerializer,
    SwapResultSerializer,
    TargetChangeSerializer,
    TargetOverrideInputSerializer,
    TargetsSerializer,
)
from .targets import MissingProfileData

TAGS = ["nutrition"]
MAX_SUMMARY_DAYS = 92
ID = OBJECT_ID
USER = ACTING_USER
NOT_FOUND = problem_response("No such object, or not yours.")
# What an endpoint about one user (``acting_user``) may answer besides its own codes.
FOR_USER = {
    400: problem_response("API keys: `?user=` missing or not an id.", validation=True),
    404: problem_response("No such user in your tenant (or, for a login, not you)."),
}


BARCODE_PATTERN = r"^(?:[0-9]{8}|[0-9]{12,13})$"
PORTIONS = Prefetch("portions", queryset=FoodPortion.objects.order_by("position", "id"))


class CataloguePagination(LimitOffsetPagination):
    default_limit = 20
    max_limit = 100


def _check_writable(request: Request, obj: Any, *, owner_field: str = "user") -> None:
    """FitCore's rows are read-only here; a tenant's templates are its admins' and keys' to change."""
    if obj.tenant_id is None:
        raise ApplicationError(
            code="read_only", message="FitCore's catalogue is read-only; copy it to make it yours.", status=403
        )
    if getattr(obj, owner_field) is None and not acts_for_tenant(request):
        raise ApplicationError(
            code="tenant_admin_required", message="Only tenant admins and API keys change templates.", status=403
        )


def _profile(user: User) -> Profile:
    return Profile.objects.for_tenant(user.tenant_id).get(user=user)


def _whole_list(request: Request, payload: dict[str, Any], key: str, serializer: Any) -> None:
    validate_whole_list(request.data, payload, key, serializer)


def _local_today(user: User) -> date:
    return _profile(user).local_today


# --- foods ----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Search and filter foods",
        description=(
            "FitCore's food database (USDA FoodData Central, SR28, Open Food Facts) and your private foods. "
            "`search` ranks the best match first: on PostgreSQL full-text search plus trigram similarity, so "
            "typos still match. Nutrients are per 100 g. Limit/offset pagination."
        ),
        # Also declared by FoodFilter; stated here so that the schema carries bounds and choices.
        parameters=[
            USER,
            OpenApiParameter(
                "allergen_free",
                {"type": "array", "items": {"type": "string", "enum": list(Allergen.values)}, "maxItems": 14},
                style="form",
                explode=False,
                description="Leave out foods that contain any of these allergens (milk,gluten).",
            ),
            OpenApiParameter(
                "max_kcal", {"type": "number", "minimum": 0, "maximum": MAX_KCAL_PER_100G}, description="Per 100 g."
            ),
            OpenApiParameter(
                "min_protein", {"type": "number", "minimum": 0, "maximum": 100}, description="Grams per 100 g."
            ),
        ],
    ),
    retrieve=extend_schema(
        summary="A food with every nutrient and its portions",
        parameters=[ID],
        responses={200: FoodDetailSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Add a private food",
        description="Visible only to its owner (and your API keys). Barcodes are check-digit validated.",
        request=FoodInputSerializer,
        responses={201: FoodDetailSerializer, 400: problem_response("Invalid food.", validation=True)},
    ),
    partial_update=extend_schema(
        summary="Change a private food",
        description="`portions`, when given, replaces them all. FitCore's foods are read-only (403 `read_only`).",
        parameters=[ID],
        request=FoodUpdateSerializer,
        responses={
            200: FoodDetailSerializer,
            403: problem_response("Not yours to change (`read_only`)."),
            404: NOT_FOUND,
        },
    ),
    destroy=extend_schema(
        summary="Delete a private food",
        parameters=[ID],
        responses={
            204: None,
            403: problem_response("Not yours to delete (`read_only`)."),
            409: problem_response("Used in meals or the diary (`food_in_use`)."),
        },
    ),
)
@extend_schema(tags=TAGS)
class FoodViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    TenantScopedViewSet,
):
    model = Food
    owner_field = "owner"
    global_rows = True
    scope_area = "nutrition"
    permission_classes = [ScopedAccess]
    pagination_class = CataloguePagination
    filterset_class = FoodFilter
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["name", "energy_kcal", "protein_g", "carbohydrate_g", "fat_g", "created_at"]
    ordering = None  # by relevance when searching, else by name (the model's order)
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action in {"retrieve", "barcode"}:
            return queryset.select_related("category").prefetch_related(PORTIONS)
        return queryset

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        if self.action in {"list", "favorites", "recent"}:
            return FoodListSerializer
        if self.action == "create":
            return FoodInputSerializer
        if self.action == "partial_update":
            return FoodUpdateSerializer
        return FoodDetailSerializer

    def _detail(self, food: Food, status_code: int = status.HTTP_200_OK) -> Response:
        if "portions" not in getattr(food, "_prefetched_objects_cache", {}):
            food = Food.objects.select_related("category").prefetch_related(PORTIONS).get(pk=food.pk)
        favorites = set() if is_api_key(self.request) else selectors.favorite_food_ids(user=self.request.user)  # type: ignore[arg-type]
        return Response(FoodDetailSerializer(food, context={"favorite_ids": favorites}).data, status=status_code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail(self.get_object())

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = FoodInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        owner = owner_for_write(request, data.pop("user", None))
        portions = data.pop("portions", [])
        food = services.food_create(tenant=principal_tenant(request), owner=owner, data=data, portions=portions)
        return self._detail(food, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        food = self.get_object()
        if food.tenant_id is None:
            _check_writable(request, food, owner_field="owner")
        payload = FoodUpdateSerializer(data=request.data, partial=True, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        _whole_list(
            request, data, "portions", FoodInputSerializer(context=self.get_serializer_context()).fields["portions"]
        )
        portions = data.pop("portions", None)
        food = services.food_update(food=food, data=data, portions=portions)
        return self._detail(food)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        food = self.get_object()
        if food.tenant_id is None:
            _check_writable(request, food, owner_field="owner")
        services.food_delete(food=food)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Look a food up by barcode",
        description="EAN-13, EAN-8 or UPC-A; a UPC-A code also finds its EAN-13 form. Your private foods first.",
        parameters=[
            OpenApiParameter(
                "code",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="The barcode's digits: 8 (EAN-8), 12 (UPC-A) or 13 (EAN-13).",
                pattern=BARCODE_PATTERN,
            )
        ],
        responses={
            200: FoodDetailSerializer,
            400: problem_response("Not a barcode, or a wrong check digit (`invalid_barcode`)."),
            404: problem_response("No food with this barcode (`food_not_found`)."),
        },
    )
    @action(detail=False, methods=["get"], url_path=r"barcode/(?P<code>[^/]{1,64})")
    def barcode(self, request: Request, code: str) -> Response:
        try:
            if not re.fullmatch(BARCODE_PATTERN, code):  # digits only here: no spaces or hyphens in a path
                raise BarcodeError("invalid_format", "A barcode is 8 (EAN-8), 12 (UPC-A) or 13 (EAN-13) digits.")
            normalised = normalize_barcode(code)
        except BarcodeError as exc:
            raise ApplicationError(
                code="invalid_barcode",
                message=str(exc),
                status=400,
                errors=[{"field": "code", "code": exc.code, "message": str(exc)}],
            ) from None
        # Private foods (tenant set) before the catalogue: a user's correction wins.
        food = (
            self.get_queryset()
            .filter(barcode=normalised)
            .order_by(F("tenant_id").asc(nulls_first=True), "id")  # NULLs sort last by default on PostgreSQL
            .last()
        )
        if food is None:
            raise ApplicationError(code="food_not_found", message="No food with this barcode.", status=404)
        return self._detail(food)

    @extend_schema(
        summary="Your favourite foods", parameters=[USER], responses={200: FoodListSerializer(many=True), **FOR_USER}
    )
    @action(detail=False, methods=["get"], filter_backends=[])
    def favorites(self, request: Request) -> Response:
        user = acting_user(request)
        ids = selectors.favorite_food_ids(user=user)
        return self._food_rows(self.get_queryset().filter(pk__in=ids).order_by("name", "id"))

    @extend_schema(
        summary="Foods you logged most recently, newest first (at most 20)",
        parameters=[USER],
        responses={200: FoodListSerializer(many=True), **FOR_USER},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def recent(self, request: Request) -> Response:
        user = acting_user(request)
        ids = selectors.recent_food_ids(user=user)
        rank = {pk: index for index, pk in enumerate(ids)}
        rows = list(self.get_queryset().filter(pk__in=ids).values(*FoodListSerializer.row_plan().scoped_columns))
        rows.sort(key=lambda row: rank[row["id"]])
        return Response(FoodListSerializer.row_plan().render_many(rows, principal_tenant(request)))

    def _food_rows(self, queryset: QuerySet[Any]) -> Response:
        plan = FoodListSerializer.row_plan()
        rows = queryset.values(*plan.scoped_columns)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(plan.render_many(page or [], principal_tenant(self.request)))

    @extend_schema(
        summary="Mark a food as a favourite",
        description="Idempotent. API keys name the user in `?user=`.",
        parameters=[ID, USER],
        request=None,
        responses={204: None, **FOR_USER, 404: problem_response("No such food, or no such user.")},
    )
    @action(detail=True, methods=["post"])
    def favorite(self, request: Request, pk: str) -> Response:
        food = self.get_object()
        user = acting_user(request)
        services.favorite_food_add(tenant=principal_tenant(request), user=user, food=food)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Remove a favourite",
        parameters=[ID, USER],
        request=None,
        responses={204: None, **FOR_USER, 404: problem_response("No such food, or no such user.")},
    )
    @favorite.mapping.delete
    def unfavorite(self, request: Request, pk: str) -> Response:
        food = self.get_object()
        services.favorite_food_remove(user=acting_user(request), food=food)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="Food categories", responses={200: FoodCategorySerializer(many=True)})
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def categories(self, request: Request) -> Response:
        plan = FoodCategorySerializer.row_plan()
        rows = FoodCategory.objects.order_by("name").values(*plan.scoped_columns)
        return Response(plan.render_many(rows, principal_tenant(request)))


# --- meals ----------------------------------------------------------------------------


def _template_or_owner(request: Request, data: dict[str, Any]) -> User | None:
    """A new meal's or plan's owner, or None for a tenant template (API keys and tenant admins only)."""
    if data.pop("is_template", False):
        if not acts_for_tenant(request):
            raise ApplicationError(
                code="tenant_admin_required", message="Only tenant admins and API keys create templates.", status=403
            )
        if data.get("user") is not None:
            raise ValidationError({"user": ["A template belongs to no user: leave user out."]}, code="invalid")
        data.pop("user", None)
        return None
    return owner_for_write(request, data.pop("user", None))


@extend_schema_view(
    list=extend_schema(
        summary="Meals: yours, your app's templates and FitCore's",
        description="Each with its items and totals (kcal, macros) summed in SQL. Limit/offset pagination.",
        parameters=[USER],
    ),
    retrieve=extend_schema(
        summary="A meal with its items and totals", parameters=[ID], responses={200: MealSerializer, 404: NOT_FOUND}
    ),
    create=extend_schema(
        summary="Create a meal",
        description=(
            "Items are a food with `grams`, or with one of its `portion`s times `portion_count`. "
            "`is_template: true` (API keys and tenant admins) makes a template every member of your app can copy."
        ),
        request=MealInputSerializer,
        responses={201: MealSerializer, 400: problem_response("Invalid meal.", validation=True)},
    ),
    partial_update=extend_schema(
        summary="Change a meal",
        description="`items`, when given, replaces them all.",
        parameters=[ID],
        request=MealUpdateSerializer,
        responses={200: MealSerializer, 403: problem_response("Not yours to change."), 404: NOT_FOUND},
    ),
    destroy=extend_schema(
        summary="Delete a meal",
        parameters=[ID],
        responses={
            204: None,
            403: problem_response("Not yours to delete."),
            409: problem_response("In a plan (`meal_in_use`)."),
        },
    ),
    copy=extend_schema(
        summary="Copy a meal into your own",
        description="Typically a template: the copy is yours to change. API keys name the user in `user`.",
        parameters=[ID],
        request=MealCopyInputSerializer,
        responses={201: MealSerializer, 404: NOT_FOUND},
    ),
)
@extend_schema(tags=TAGS)
class MealViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    TenantScopedViewSet,
):
    model = Meal
    global_rows = True
    tenant_shared = {"is_template": True}
    scope_area = "nutrition"
    permission_classes = [ScopedAccess]
    pagination_class = CataloguePagination
    filterset_class = MealFilter
    filter_backends = [DjangoFilterBackend]
    serializer_class = MealSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def _render(self, meals: list[Meal]) -> Any:
        items = selectors.meal_items(meal.pk for meal in meals)
        return MealSerializer(meals, many=True, context={"items": items}).data

    def _one(self, meal: Meal, status_code: int = status.HTTP_200_OK) -> Response:
        meal = selectors.meals_with_totals(Meal.objects.filter(pk=meal.pk)).get()
        return Response(self._render([meal])[0], status=status_code)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = selectors.meals_with_totals(self.filter_queryset(self.get_queryset())).order_by("name", "id")
        page = self.paginate_queryset(queryset) or []
        return self.get_paginated_response(self._render(page))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._one(self.get_object())

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = MealInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        owner = _template_or_owner(request, data)
        meal = services.meal_create(
            tenant=principal_tenant(request),
            user=owner,
            name=data["name"],
            meal_time=data["meal_time"],
            description=data.get("description", ""),
            items=data.get("items", []),
        )
        return self._one(meal, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        meal = self.get_object()
        _check_writable(request, meal)
        payload = MealUpdateSerializer(data=request.data, partial=True, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        _whole_list(request, data, "items", MealInputSerializer(context=self.get_serializer_context()).fields["items"])
        items = data.pop("items", None)
        meal = services.meal_update(meal=meal, data=data, items=items)
        return self._one(meal)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        meal = self.get_object()
        _check_writable(request, meal)
        services.meal_delete(meal=meal)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def copy(self, request: Request, pk: str) -> Response:
        meal = self.get_object()
        payload = MealCopyInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        owner = owner_for_write(request, payload.validated_data.get("user"))
        if meal.user_id not in (None, owner.pk):
            raise ApplicationError(code="not_found", message="Not found.", status=404)
        copy = services.meal_copy(meal=meal, tenant=principal_tenant(request), user=owner)
        return self._one(copy, status.HTTP_201_CREATED)


# --- plans ----------------------------------------------------------------------------


def _plan_detail(plan: MealPlan) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "name": plan.name,
        "description": plan.description,
        "goal": plan.goal,
        "duration_days": plan.duration_days,
        "start_date": plan.start_date,
        "targets": selectors.plan_targets(plan),
        "is_template": plan.is_template,
        "is_global": plan.tenant_id is None,
        "source": plan.source,
        "status": plan.status,
        "generation": plan.generation,
        "generation_status": plan.generation_status,
        "user": plan.user_id,
        "copied_from": plan.copied_from_id,
        "days": selectors.plan_days(plan),
        "created_at": plan.created_at,
        "updated_at": plan.updated_at,
    }


@extend_schema_view(
    list=extend_schema(
        summary="Meal plans: yours, your app's templates and FitCore's",
        description="Filter with `status`, `is_template`, `source`. Limit/offset pagination.",
        parameters=[USER],
    ),
    retrieve=extend_schema(
        summary="A plan, day by day",
        description="Each day's meals and totals, and the difference to the plan's daily targets.",
        parameters=[ID],
        responses={200: MealPlanDetailSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Create a meal plan",
        description=(
            "`schedule` places meals (yours or templates) on days 1..`duration_days`. `is_template: true` (API keys "
            "and tenant admins) makes a template. Plans start as drafts; activate one with `.../activate/`."
        ),
        request=MealPlanInputSerializer,
        responses={201: MealPlanDetailSerializer, 400: problem_response("Invalid plan.", validation=True)},
    ),
    partial_update=extend_schema(
        summary="Change a meal plan",
        description="`schedule`, when given, replaces it whole.",
        parameters=[ID],
        request=MealPlanUpdateSerializer,
        responses={
            200: MealPlanDetailSerializer,
            403: problem_response("Not yours to change."),
            404: NOT_FOUND,
            409: problem_response("Still being generated (`generation_pending`)."),
        },
    ),
    destroy=extend_schema(
        summary="Delete a meal plan",
        parameters=[ID],
        responses={204: None, 403: problem_response("Not yours to delete.")},
    ),
    copy=extend_schema(
        summary="Copy a plan into your own",
        description="Typically a template; the copy is a draft. API keys name the user in `user`.",
        parameters=[ID],
        request=PlanCopyInputSerializer,
        responses={201: MealPlanDetailSerializer, 404: NOT_FOUND},
    ),
    activate=extend_schema(
        summary="Make this your active plan",
        description="One active plan per user: the previous one is archived.",
        parameters=[ID],
        request=ActivateInputSerializer,
        responses={
            200: MealPlanDetailSerializer,
            409: problem_response("A template (`plan_is_template`), or still being generated (`generation_pending`)."),
        },
    ),
    archive=extend_schema(
        summary="Archive a plan", parameters=[ID], request=None, responses={200: MealPlanDetailSerializer}
    ),
    generate=extend_schema(
        summary="Generate a meal plan for your targets",
        description=(
            "A premium feature (API keys: within the generation quota). Answers 202 with the plan's id; a worker "
            "builds it — a mixed-integer program picks foods and portions so each day's energy is within 5 % and "
            "protein, carbohydrate and fat each within 10 % of the targets, respecting your dietary pattern, "
            "allergens and excluded foods — and you are notified (`meal_plan_ready`). Poll `status_url`: "
            "`generation_status` turns `ready` (or `failed`). `generation` records the generator, the targets, the "
            "seed, the LLM used (when configured) and, for targets the allowed foods cannot meet, the largest "
            "deviation per nutrient and why."
        ),
        request=MealPlanGenerateSerializer,
        responses={
            202: GenerationAcceptedSerializer,
            400: problem_response("Invalid request, or a food to include your profile forbids.", validation=True),
            403: problem_response("Needs an active subscription (`subscription_required`)."),
            404: problem_response("No such user in your tenant."),
            422: problem_response("The profile lacks what the targets are computed from (`profile_incomplete`)."),
            429: problem_response("Generation quota used up; retry later."),
        },
    ),
    swap=extend_schema(
        summary="Swap one meal for another with the same macros",
        description=(
            "`meal` is the scheduled meal's id (`days[].meals[].id`). The new meal uses none of the old one's foods "
            "and matches its energy within 5 % and each macro within 10 % where the foods allow (`within`)."
        ),
        parameters=[
            ID,
            OpenApiParameter("day", OpenApiTypes.INT, OpenApiParameter.PATH, description="The day of the plan."),
            OpenApiParameter("meal", OpenApiTypes.INT, OpenApiParameter.PATH, description="The scheduled meal's id."),
        ],
        request=None,
        responses={
            200: SwapResultSerializer,
            403: problem_response("Not yours, or a template (`read_only`), or no subscription."),
            404: problem_response("No such plan, day or meal."),
            409: problem_response(
                "The meal has no energy to match (`empty_meal`), no other food fits (`no_alternative`), or the plan "
                "is still being generated (`generation_pending`)."
            ),
            429: problem_response("Generation quota used up; retry later."),
        },
    ),
    shopping_list=extend_schema(
        summary="What to buy for the plan, by food category",
        description="Grams of every food the days `from_day`..`to_day` (default: the whole plan) use.",
        parameters=[ID, ShoppingQuerySerializer],
        responses={200: ShoppingListSerializer, 400: problem_response("Bad days.", validation=True), 404: NOT_FOUND},
    ),
    adapt=extend_schema(
        summary="Re-plan from your measured energy balance",
        description=(
            "Estimates your real daily expenditure from the diary and your weight trend (health data), moves the "
            "targets at most 250 kcal toward the goal (never below the safety floor; not at all with fewer than "
            "14 logged days and 8 weights over two weeks) and, when they change, generates next week's plan "
            "(202). With no change: 200, and the reason. Every decision is in GET /nutrition/targets/history/."
        ),
        parameters=[ID],
        request=None,
        responses={
            200: AdaptResultSerializer,
            202: AdaptResultSerializer,
            403: problem_response("Not yours, a template, or no subscription."),
            404: NOT_FOUND,
            409: problem_response(
                "The targets changed less than a week ago (`adapted_recently`), or the plan is still being "
                "generated (`generation_pending`)."
            ),
            422: problem_response("The profile lacks what the targets are computed from (`profile_incomplete`)."),
            429: problem_response("Generation quota used up; retry later."),
        },
    ),
)
@extend_schema(tags=TAGS)
class MealPlanViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    TenantScopedViewSet,
):
    model = MealPlan
    global_rows = True
    tenant_shared = {"is_template": True}
    scope_area = "nutrition"
    permission_classes = [ScopedAccess]
    pagination_class = CataloguePagination
    filterset_class = MealPlanFilter
    filter_backends = [DjangoFilterBackend]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return {
            "list": MealPlanListSerializer,
            "generate": MealPlanGenerateSerializer,
            "swap": SwapResultSerializer,
            "shopping_list": ShoppingListSerializer,
            "adapt": AdaptResultSerializer,
        }.get(self.action or "", MealPlanDetailSerializer)

    def get_throttles(self) -> list[Any]:
        throttles = super().get_throttles()
        if self.action in GENERATING_ACTIONS:
            throttles.append(GenerationThrottle())
        return throttles

    def _detail(self, plan: MealPlan, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(MealPlanDetailSerializer(_plan_detail(plan)).data, status=status_code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail(self.get_object())

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = MealPlanInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        owner = _template_or_owner(request, data)
        schedule = data.pop("schedule", [])
        plan = services.meal_plan_create(tenant=principal_tenant(request), user=owner, data=data, schedule=schedule)
        return self._detail(plan, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        plan = self.get_object()
        _check_writable(request, plan)
        _check_not_pending(plan)
        payload = MealPlanUpdateSerializer(data=request.data, partial=True, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        data.pop("is_template", None)
        context = self.get_serializer_context()
        _whole_list(request, data, "schedule", MealPlanInputSerializer(context=context).fields["schedule"])
        schedule = data.pop("schedule", None)
        plan = services.meal_plan_update(plan=plan, data=data, schedule=schedule)
        return self._detail(plan)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        plan = self.get_object()
        _check_writable(request, plan)
        generation.delete_plan(plan=plan)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=False, methods=["post"])
    def generate(self, request: Request) -> Response:
        payload = MealPlanGenerateSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        user = owner_for_write(request, data.pop("user", None))
        _check_generation_access(request, user)
        with transaction.atomic():
            try:
                plan = generation.request_plan(
                    user=user, request=data, requested_by="api_key" if is_api_key(request) else "user"
                )
            except MissingProfileData as exc:
                raise _profile_incomplete(exc) from None
        return _accepted(request, plan)

    @action(detail=True, methods=["post"], url_path=r"days/(?P<day>[0-9]{1,3})/meals/(?P<meal>[0-9]{1,12})/swap")
    def swap(self, request: Request, pk: str, day: str, meal: str) -> Response:
        plan = self._own_plan(request)
        scheduled = ScheduledMeal.objects.filter(plan=plan, day_of_plan=int(day), pk=int(meal)).first()
        if scheduled is None:
            raise ApplicationError(code="not_found", message="The plan has no such meal on that day.", status=404)
        return Response(SwapResultSerializer(editing.swap_meal(plan=plan, scheduled=scheduled)).data)

    @action(detail=True, methods=["get"], url_path="shopping-list", filter_backends=[])
    def shopping_list(self, request: Request, pk: str) -> Response:
        plan = self.get_object()
        query = ShoppingQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        first = query.validated_data.get("from_day", 1)
        last = query.validated_data.get("to_day", plan.duration_days)
        if first > last or last > plan.duration_days:
            raise ValidationError(
                {"to_day": [f"Choose days within 1-{plan.duration_days}, from_day first."]}, code="invalid"
            )
        body = editing.shopping_list(plan=plan, first_day=first, last_day=last)
        return Response(ShoppingListSerializer(body).data)

    @action(detail=True, methods=["post"])
    def adapt(self, request: Request, pk: str) -> Response:
        plan = self._own_plan(request)
        with transaction.atomic():
            try:
                change, new_plan, _ = replanning.adapt(plan=plan, trigger=TargetChange.Trigger.ADAPT)
            except MissingProfileData as exc:
                raise _profile_incomplete(exc) from None
        body = {
            "change": change,
            "plan": new_plan.pk if new_plan else None,
            "status_url": _plan_url(request, new_plan) if new_plan else None,
        }
        code = status.HTTP_202_ACCEPTED if new_plan else status.HTTP_200_OK
        return Response(AdaptResultSerializer(body).data, status=code)

    def _own_plan(self, request: Request) -> MealPlan:
        """A user's plan (not a template) the caller may change, with premium access checked."""
        plan = self.get_object()
        if plan.user is None:
            raise ApplicationError(code="read_only", message="Templates are not re-planned; copy one.", status=403)
        _check_writable(request, plan)
        _check_not_pending(plan)
        _check_generation_access(request, plan.user)
        return plan

    @action(detail=True, methods=["post"])
    def copy(self, request: Request, pk: str) -> Response:
        plan = self.get_object()
        payload = PlanCopyInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        owner = owner_for_write(request, payload.validated_data.get("user"))
        if plan.user_id not in (None, owner.pk):
            raise ApplicationError(code="not_found", message="Not found.", status=404)
        copy = services.meal_plan_copy(plan=plan, tenant=principal_tenant(request), user=owner)
        return self._detail(copy, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str) -> Response:
        plan = self.get_object()
        _check_writable(request, plan)
        _check_not_pending(plan)
        payload = ActivateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        plan = services.meal_plan_activate(plan=plan, start_date=payload.validated_data.get("start_date"))
        return self._detail(plan)

    @action(detail=True, methods=["post"])
    def archive(self, request: Request, pk: str) -> Response:
        plan = self.get_object()
        _check_writable(request, plan)
        return self._detail(services.meal_plan_archive(plan=plan))


GENERATING_ACTIONS = {"generate", "swap", "adapt"}


def _check_not_pending(plan: MealPlan) -> None:
    """A plan a worker is still writing is not changed under it (the worker would mix its days in)."""
    if plan.generation_status == MealPlan.GenerationStatus.PENDING:
        raise ApplicationError(
            code="generation_pending", message="The plan is still being generated; retry shortly.", status=409
        )


def _check_generation_access(request: Request, user: User) -> None:
    """Generation is premium for end users; API keys generate for their users within their quota."""
    if not is_api_key(request) and not has_active_access(user):
        raise SubscriptionRequired()


def _profile_incomplete(exc: MissingProfileData) -> ApplicationError:
    return ApplicationError(
        code="profile_incomplete",
        message="The profile lacks what the targets are computed from: " + ", ".join(exc.fields) + ".",
        status=422,
        errors=[
            {"field": name, "code": "required", "message": "Set it in the profile, or give the targets."}
            for name in exc.fields
        ],
    )


def _plan_url(request: Request, plan: MealPlan) -> str:
    return request.build_absolute_uri(f"/api/v1/nutrition/plans/{plan.pk}/")


def _accepted(request: Request, plan: MealPlan) -> Response:
    url = _plan_url(request, plan)
    body = {"plan": plan.pk, "status": plan.generation_status, "status_url": url}
    return Response(GenerationAcceptedSerializer(body).data, status=status.HTTP_202_ACCEPTED, headers={"Location": url})


class TargetHistoryPagination(CursorPagination):
    page_size = 20
    max_page_size = 100
    ordering = ("-created_at", "-id")  # type: ignore[assignment]  # DRF takes a tuple too


@extend_schema_view(
    list=extend_schema(
        summary="How your daily targets changed, and why",
        description=(
            "Newest first: weekly adaptive re-planning, re-planning you asked for, and targets you set, each with "
            "the targets before and after, the measured TDEE and every number used. Runs that kept the targets "
            "are listed too (`changed: false`, with the reason). Cursor-paginated; API keys name the user."
        ),
        parameters=[USER],
    )
)
@extend_schema(tags=TAGS)
class TargetHistoryViewSet(mixins.ListModelMixin, TenantScopedViewSet):
    model = TargetChange
    scope_area = "nutrition"
    permission_classes = [ScopedAccess]
    serializer_class = TargetChangeSerializer
    pagination_class = TargetHistoryPagination
    filter_backends: list[Any] = []  # newest first, always: the cursor's order


# --- diary ----------------------------------------------------------------------------


class DayQuerySerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="Default: today in the user's time zone.")


class RangeQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="Default: 6 days before `end`.")
    end = serializers.DateField(required=False, help_text="Default: today in the user's time zone.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("start"), attrs.get("end")
        if start is not None and end is not None:
            if end < start:
                raise serializers.ValidationError({"end": ["The end is before the start."]}, code="invalid")
            if (end - start).days + 1 > MAX_SUMMARY_DAYS:
                raise serializers.ValidationError(
                    {"end": [f"At most {MAX_SUMMARY_DAYS} days at once."]}, code="invalid"
                )
        return attrs


def _query(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    names = set(serializer_class().fields)
    payload = serializer_class(data={k: v for k, v in request.query_params.items() if k in names})
    payload.is_valid(raise_exception=True)
    return dict(payload.validated_data)


class DiarySchema(AutoSchema):
    """``GET /diary/`` is the router's ``list`` but answers one day (an object), not an array."""

    def _is_list_view(self, serializer: Any = None) -> bool:
        if getattr(self.view, "action", None) == "list":
            return False
        return bool(super()._is_list_view(serializer))


@extend_schema_view(
    list=extend_schema(
        operation_id="nutrition_diary_day",
        summary="One day of your food diary",
        description="The day's entries with their energy and macros, the day's totals, targets and what remains.",
        parameters=[
            OpenApiParameter(
                "date", OpenApiTypes.DATE, required=False, description="Default: today in your time zone."
            ),
            USER,
        ],
        responses={
            200: DiaryDaySerializer,
            **FOR_USER,
            400: problem_response("Bad date, or API keys: `?user=` missing.", validation=True),
        },
    ),
    retrieve=extend_schema(
        summary="One diary entry", parameters=[ID], responses={200: DiaryEntrySerializer, 404: NOT_FOUND}
    ),
    create=extend_schema(
        summary="Log food",
        description=(
            "A food with `grams`, or with a `portion` times `portion_count`; or a whole `meal`, expanded into one "
            "entry per item. Answers the entries written."
        ),
        request=DiaryEntryInputSerializer,
        responses={
            201: DiaryEntrySerializer(many=True),
            400: problem_response("Invalid entry.", validation=True),
            409: problem_response("The day is full (`diary_day_full`)."),
        },
    ),
    partial_update=extend_schema(
        summary="Change a diary entry",
        parameters=[ID],
        request=DiaryEntryUpdateSerializer,
        responses={200: DiaryEntrySerializer},
    ),
    destroy=extend_schema(summary="Delete a diary entry", parameters=[ID], responses={204: None, 404: NOT_FOUND}),
    summary=extend_schema(
        summary="Your diary over a range of days",
        description=(
            f"Per day: totals, targets, remaining and adherence; weekly averages; micronutrient totals against "
            f"reference daily intakes. At most {MAX_SUMMARY_DAYS} days; default the last 7."
        ),
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, required=False),
            OpenApiParameter("end", OpenApiTypes.DATE, required=False),
            USER,
        ],
        responses={
            200: DiarySummarySerializer,
            **FOR_USER,
            400: problem_response("Bad range, or API keys: `?user=` missing.", validation=True),
        },
    ),
    log_plan_day=extend_schema(
        summary="Log one day of a meal plan",
        description="Every item of every meal scheduled on `day_of_plan` becomes an entry on `date`.",
        request=LogPlanDayInputSerializer,
        responses={201: DiaryEntrySerializer(many=True), 400: problem_response("Invalid day.", validation=True)},
    ),
)
@extend_schema(tags=TAGS)
class DiaryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    TenantScopedViewSet,
):
    model = FoodLogEntry
    scope_area = "nutrition"
    permission_classes = [ScopedAccess]
    schema = DiarySchema()
    serializer_class = DiaryEntrySerializer
    pagination_class = None
    filter_backends: list[Any] = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.select_related("food")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = acting_user(request)
        query = _query(DayQuerySerializer, request)
        profile = _profile(user)
        day = query.get("date") or profile.local_today
        scoped = self.get_queryset().filter(user=user)
        entries = list(selectors.diary_entries(scoped, day))
        totals = selectors.day_totals(scoped, day)
        targets = selectors.effective_targets(user=user, profile=profile, today=profile.local_today)
        body = {
            "date": day,
            "entries": entries,
            "totals": totals,
            "targets": targets,
            "remaining": selectors.remaining(targets, totals),
        }
        return Response(DiaryDaySerializer(body).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = DiaryEntryInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        user = owner_for_write(request, data.get("user"))
        day = data.get("date") or _local_today(user)
        entries = services.diary_entry_create(
            tenant=principal_tenant(request),
            user=user,
            day=day,
            meal_time=data["meal_time"],
            food=data.get("food"),
            grams=data.get("grams"),
            portion=data.get("portion"),
            portion_count=data.get("portion_count"),
            meal=data.get("meal"),
            note=data.get("note", ""),
            source=data.get("source") or ("partner" if is_api_key(request) else "manual"),
        )
        fresh = FoodLogEntry.objects.for_tenant(user.tenant_id).filter(pk__in=[e.pk for e in entries])
        rows = fresh.select_related("food").order_by("id")
        return Response(DiaryEntrySerializer(rows, many=True).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        entry = self.get_object()
        payload = DiaryEntryUpdateSerializer(data=request.data, partial=True, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        entry = services.diary_entry_update(entry=entry, data=dict(payload.validated_data))
        return Response(DiaryEntrySerializer(entry).data)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)

    @action(detail=False, methods=["get"])
    def summary(self, request: Request) -> Response:
        user = acting_user(request)
        query = _query(RangeQuerySerializer, request)
        profile = _profile(user)
        today = profile.local_today
        try:
            end = query.get("end") or (query["start"] + timedelta(days=6) if query.get("start") else today)
            start = query.get("start") or end - timedelta(days=6)
        except OverflowError:  # a week around year 1 or 9999
            raise ValidationError({"start": ["Give dates between years 1 and 9999."]}, code="invalid") from None
        if end < start or (end - start).days + 1 > MAX_SUMMARY_DAYS:
            raise ValidationError({"end": [f"Give a range of 1-{MAX_SUMMARY_DAYS} days."]}, code="invalid")
        targets = selectors.effective_targets(user=user, profile=profile, today=today)
        body = selectors.diary_summary(self.get_queryset().filter(user=user), start=start, end=end, targets=targets)
        return Response(DiarySummarySerializer(body).data)

    @action(detail=False, methods=["post"], url_path="log-plan-day")
    def log_plan_day(self, request: Request) -> Response:
        payload = LogPlanDayInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        user = owner_for_write(request, data.get("user"))
        plan: MealPlan = data["plan"]
        if plan.user_id not in (None, user.pk):
            raise ValidationError({"plan": [f'Invalid pk "{plan.pk}" - object does not exist.']}, code="does_not_exist")
        entries = services.diary_log_plan_day(
            plan=plan, day_of_plan=data["day_of_plan"], day=data.get("date") or _local_today(user), user=user
        )
        rows = FoodLogEntry.objects.for_tenant(user.tenant_id).filter(pk__in=[e.pk for e in entries])
        return Response(
            DiaryEntrySerializer(rows.select_related("food").order_by("id"), many=True).data,
            status=status.HTTP_201_CREATED,
        )


# --- targets --------------------------------------------------------------------------


@extend_schema(tags=TAGS)
class TargetsView(APIView):
    """Daily targets from the profile (Mifflin-St Jeor), and the user's own overrides.

    No queryset of its own: the user comes from ``acting_user`` (the tenancy layer) and the
    rows from the selectors, keyed by that user."""

    scope_area = "nutrition"
    permission_classes = [ScopedAccess]

    def get_serializer_context(self) -> dict[str, Any]:
        return {"request": self.request, "view": self}

    def _body(self, user: User) -> Response:
        profile = _profile(user)
        try:
            body = selectors.targets_for(user=user, profile=profile, today=profile.local_today)
        except MissingProfileData as exc:
            raise ApplicationError(
                code="profile_incomplete",
                message="The profile lacks what the targets are computed from: " + ", ".join(exc.fields) + ".",
                status=422,
                errors=[
                    {
                        "field": name,
                        "code": "required",
                        "message": "Set this in the profile (PATCH /users/me/profile/).",
                    }
                    for name in exc.fields
                ],
            ) from None
        return Response(TargetsSerializer(body).data)

    @extend_schema(
        summary="Your daily targets, explained",
        description=(
            "BMR by Mifflin-St Jeor x activity factor = TDEE, adjusted for the goal and never below a safety floor; "
            "macros by goal and dietary pattern. `explanation` shows the method, the inputs and each step; your "
            "overrides win where set."
        ),
        parameters=[USER],
        responses={
            200: TargetsSerializer,
            **FOR_USER,
            422: problem_response("The profile lacks data (`profile_incomplete`)."),
        },
    )
    def get(self, request: Request) -> Response:
        return self._body(acting_user(request))

    @extend_schema(
        summary="Set your own targets",
        description="The whole set: a target left out or null goes back to the computed value.",
        request=TargetOverrideInputSerializer,
        responses={200: TargetsSerializer, 422: problem_response("The profile lacks data (`profile_incomplete`).")},
    )
    def put(self, request: Request) -> Response:
        payload = TargetOverrideInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        user = owner_for_write(request, data.pop("user", None))
        profile = _profile(user)
        with transaction.atomic():  # a 422 below (profile incomplete) keeps nothing
            before = selectors.effective_targets(user=user, profile=profile, today=profile.local_today)
            services.target_override_set(user=user, values=data)
            response = self._body(user)
            replanning.record_manual_change(user=user, before=before, after=dict(response.data["targets"]))
            return response
