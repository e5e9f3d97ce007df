"""Compiled output (fitcore.api.serializers) renders exactly what DRF would.

Each serializer on the fast path renders the same objects both ways: through its compiled
plan, and through DRF's own ``to_representation``. Every compiled serializer class of the
project must appear here (the last test checks), so a new one cannot skip the comparison.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.base import ContentFile
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from authapp.serializers_api_keys import ApiKeyCreatedSerializer, ApiKeySerializer
from authapp.tests.factories import make_api_key
from fitcore.api.serializers import CompiledOutputMixin, OutputPlan, RowSerializer
from health import serializers as health_serializers
from meal import serializers as meal_serializers
from meal.models import Food, FoodCategory, MealPlan
from notification import selectors as notification_selectors
from notification import serializers as notification_serializers
from notification.models import Device, Notification
from notification.services import device_register, notification_mark_read, notify, preferences_set
from payment import serializers as payment_serializers
from payment.models import Plan, Subscription, Transaction
from payment.services import CheckoutSession
from users import selectors
from users import serializers as user_serializers
from users.models import Profile, User
from users.tests.factories import ProfileFactory, UserFactory
from workout import serializers as workout_serializers
from workout.models import Category, Exercise, Program, Workout

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def compiled_output_off() -> Iterator[None]:
    """Every compiled serializer renders as DRF does, nested ones included, for the block."""
    classes = [CompiledOutputMixin, *subclasses(CompiledOutputMixin)]
    saved = {cls: cls.__dict__["compiled_output"] for cls in classes if "compiled_output" in cls.__dict__}
    try:
        for cls in classes:
            setattr(cls, "compiled_output", False)  # noqa: B010 - on classes mypy knows only as type
        yield
    finally:
        for cls in classes:
            if cls in saved:
                setattr(cls, "compiled_output", saved[cls])  # noqa: B010
            else:
                delattr(cls, "compiled_output")


def subclasses(cls: type) -> set[type]:
    found: set[type] = set(cls.__subclasses__())
    return found | {sub for child in found for sub in subclasses(child)}


def drf(serializer_class: type, instance: Any, context: dict[str, Any]) -> Any:
    """DRF's own rendering, past the compiled path at every level."""
    with compiled_output_off():
        serializer = serializer_class(instance, context=context)
        return serializers.Serializer.to_representation(serializer, instance)


def both(serializer_class: type, instance: Any, context: dict[str, Any] | None = None) -> tuple[Any, Any]:
    context = context or {}
    return dict(serializer_class(instance, context=context).data), drf(serializer_class, instance, context)


@pytest.fixture
def people(tenant) -> list[User]:
    full = UserFactory.create(tenant=tenant, email="full@acme.example", role=User.Role.TENANT_ADMIN)
    profile = ProfileFactory.create(
        user=full,
        birth_date=date(1990, 5, 1),
        sex=Profile.Sex.FEMALE,
        height_cm=Decimal("168.5"),
        weight_kg=Decimal("61.25"),
        activity_level=Profile.ActivityLevel.MODERATE,
        allergens=["milk", "peanuts"],
        excluded_foods=["okra"],
        timezone="Europe/Berlin",
    )
    profile.image.save("x.webp", ContentFile(b"fake"), save=True)
    empty = UserFactory.create(tenant=tenant, email="empty@acme.example")  # every choice unset, no image
    empty.set_unusable_password()
    empty.save()
    return [User.objects.select_related("tenant", "profile").get(pk=u.pk) for u in (full, empty)]


# What the tests above compare (nested serializers through their parents).
COMPARED: set[type] = {
    user_serializers.UserSerializer,
    user_serializers.MeSerializer,
    user_serializers.ManagedUserSerializer,
    user_serializers.ProfileSerializer,
    user_serializers.UserSettingsSerializer,
    user_serializers.UserDashboardSerializer,
    user_serializers.DashboardProfileSerializer,
    user_serializers.DashboardMetricsSerializer,
    user_serializers.BmiSerializer,
    user_serializers.EnergyMetricSerializer,
    user_serializers._MetricSerializer,  # the base of the two above
    user_serializers.UserTokenPairSerializer,
    user_serializers.PersonalDataExportSerializer,
    user_serializers.ImageErrorSerializer,
    user_serializers.ManagedUserListSerializer,
    ApiKeySerializer,
    ApiKeyCreatedSerializer,
    notification_serializers.NotificationSerializer,
    notification_serializers.DeviceSerializer,
    notification_serializers.PreferencesSerializer,
    notification_serializers.NotificationTypeSwitchesOutputSerializer,
    notification_serializers.ChannelSwitchesOutputSerializer,
    notification_serializers.QuietHoursOutputSerializer,
    notification_serializers.ReadAllSerializer,
    notification_serializers.UnreadCountSerializer,
    payment_serializers.PlanSerializer,
    payment_serializers.CheckoutSessionSerializer,
    payment_serializers.PortalSessionSerializer,
    payment_serializers.SubscriptionPlanSerializer,
    payment_serializers.SubscriptionSerializer,
    payment_serializers.TransactionSerializer,
    payment_serializers.WebhookAckSerializer,
    meal_serializers.FoodCategorySerializer,
    meal_serializers.FoodListSerializer,
    meal_serializers.MealPlanListSerializer,
    workout_serializers.CategorySerializer,
    workout_serializers.ExerciseListSerializer,
    workout_serializers.WorkoutListSerializer,
    workout_serializers.ProgramListSerializer,
    health_serializers.SampleSerializer,
}


@pytest.mark.parametrize(
    "serializer_class",
    [
        user_serializers.UserSerializer,
        user_serializers.MeSerializer,
        user_serializers.ManagedUserSerializer,
    ],
)
def test_users_render_the_same(people: list[User], serializer_class: type) -> None:
    request = APIRequestFactory().get("/api/v1/users/me/")
    for user in people:
        compiled, reference = both(serializer_class, user, {"request": request})
        assert compiled == reference


@pytest.mark.parametrize(
    "serializer_class", [user_serializers.ProfileSerializer, user_serializers.UserSettingsSerializer]
)
@pytest.mark.parametrize("with_request", [True, False])
def test_profiles_render_the_same(people: list[User], serializer_class: type, with_request: bool) -> None:
    context = {"request": APIRequestFactory().get("/")} if with_request else {}
    for user in people:
        compiled, reference = both(serializer_class, user.profile, context)
        assert compiled == reference
    assert people[0].profile.image  # the URL case is among them


def test_dashboard_and_small_shapes_render_the_same(people: list[User]) -> None:
    samples: list[tuple[type, Any]] = [
        *((user_serializers.UserDashboardSerializer, selectors.user_dashboard_get(user=user)) for user in people),
        (user_serializers.UserTokenPairSerializer, {"access": "a", "refresh": "r"}),
        (user_serializers.PersonalDataExportSerializer, selectors.user_export_get(user=people[0])),
        (user_serializers.ImageErrorSerializer, {"code": "invalid_image", "message": "Broken."}),
    ]
    for serializer_class, data in samples:
        compiled, reference = both(serializer_class, data)
        assert compiled == reference, serializer_class


def test_api_keys_render_the_same(tenant, tenant_admin) -> None:
    from authapp.services import api_key_rotate

    issued = make_api_key(tenant)
    issued.api_key.created_by = tenant_admin
    issued.api_key.save()
    replacement = api_key_rotate(api_key=issued.api_key, created_by=tenant_admin).api_key
    for key in (issued.api_key, replacement, make_api_key(tenant).api_key):
        compiled, reference = both(ApiKeySerializer, key)
        assert compiled == reference
        key.key = "fc_live_secret"  # type: ignore[attr-defined]  # as the create view adds it, once
        compiled, reference = both(ApiKeyCreatedSerializer, key)
        assert compiled == reference


def test_list_rows_render_what_the_serializer_renders_for_instances(people: list[User]) -> None:
    """A RowSerializer's plan on a ``.values()`` row equals DRF's rendering of the instance."""
    row_serializer = user_serializers.ManagedUserListSerializer
    plan = row_serializer.row_plan()
    for user in people:
        row = User.objects.filter(pk=user.pk).values(*plan.columns).get()
        assert plan.render(row) == drf(row_serializer, user, {})
        # As a tenant-scoped list reads it: no join, tenant.* from the principal's tenant.
        assert not any(column.startswith("tenant__") for column in plan.scoped_columns)
        scoped = User.objects.filter(pk=user.pk).values(*plan.scoped_columns).get()
        assert plan.render_many([scoped], user.tenant) == [drf(row_serializer, user, {})]


def test_the_reference_renders_nested_serializers_without_their_plans(people: list[User]) -> None:
    """A broken nested plan shows as a difference: the reference does not go through it."""
    data = selectors.user_dashboard_get(user=people[0])

    def forget_plans() -> None:  # parents compile their children's plans in: start from nothing
        for cls in subclasses(CompiledOutputMixin):
            if "_output" in cls.__dict__:
                setattr(cls, "_output", None)  # noqa: B010

    forget_plans()
    user_serializers.BmiSerializer._output = OutputPlan(fields=())
    try:
        compiled, reference = both(user_serializers.UserDashboardSerializer, data)
    finally:
        forget_plans()
    assert compiled["metrics"]["bmi"] == {}
    assert reference["metrics"]["bmi"]["unit"] == "kg/m2"


def test_every_compiled_serializer_is_compared() -> None:
    import authapp.serializers  # noqa: F401 - every module with serializers is loaded by now anyway

    ours = {
        cls
        for cls in subclasses(CompiledOutputMixin) | subclasses(RowSerializer)
        if not cls.__module__.startswith(("fitcore.api.serializers",)) and ".tests." not in cls.__module__
    }
    missing = sorted(cls.__qualname__ for cls in ours - COMPARED)
    assert not missing, f"compare these in this module: {missing}"


def test_notification_shapes_render_the_same(people: list[User]) -> None:
    from datetime import time

    from notification.services import QuietHoursInput

    user = people[0]
    plain = notify(user=user, type="system", title="Plain", body="No link, unread.")
    linked = notify(user=user, type="partner", title="Linked", body="Read.", data={"n": [1, 2]}, link="/plans/3")
    notification_mark_read(notification=linked)
    for notification in (plain, linked):
        instance = Notification.unscoped.get(pk=notification.pk)
        row_serializer = notification_serializers.NotificationSerializer
        plan = row_serializer.row_plan()
        row = Notification.unscoped.filter(pk=instance.pk).values(*plan.scoped_columns).get()
        assert plan.render_many([row], user.tenant) == [drf(row_serializer, instance, {})]
    for version in ("", "2.3.1"):
        device, _ = device_register(user=user, platform=Device.Platform.IOS, token=f"tok{version}", app_version=version)
        plan = notification_serializers.DeviceSerializer.row_plan()
        row = Device.unscoped.filter(pk=device.pk).values(*plan.scoped_columns).get()
        assert plan.render_many([row], user.tenant) == [drf(notification_serializers.DeviceSerializer, device, {})]
    samples: list[tuple[type, Any]] = [
        (notification_serializers.PreferencesSerializer, notification_selectors.preferences_get(user=user)),
        (notification_serializers.ReadAllSerializer, {"marked": 3}),
        (notification_serializers.UnreadCountSerializer, {"count": 1}),
    ]
    preferences_set(
        user=user,
        matrix={"partner": {"in_app": True, "email": True, "push": False}},
        quiet_hours=QuietHoursInput(start=time(22), end=time(7, 30)),
        daily_digest=True,
    )
    samples.append((notification_serializers.PreferencesSerializer, notification_selectors.preferences_get(user=user)))
    for serializer_class, data in samples:
        compiled, reference = both(serializer_class, data)
        assert compiled == reference, serializer_class


def test_payment_shapes_render_the_same(people: list[User]) -> None:
    from datetime import UTC, datetime

    user = people[0]
    monthly = Plan.objects.create(code="m", name="Monthly", interval="monthly", stripe_price_id="p_m", amount=999)
    lifetime = Plan.objects.create(
        tenant=user.tenant,
        code="l",
        name="Life",
        description="Once",
        interval="lifetime",
        stripe_price_id="p_l",
        amount=1,
    )
    when = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    row = Subscription.objects.create(
        tenant=user.tenant, user=user, plan=monthly, status="canceled", current_period_end=when, canceled_at=when
    )
    bare = Subscription.objects.create(tenant=people[1].tenant, user=people[1])
    samples: list[tuple[type, Any]] = [
        (payment_serializers.PlanSerializer, monthly),
        (payment_serializers.PlanSerializer, lifetime),
        (
            payment_serializers.CheckoutSessionSerializer,
            CheckoutSession(id="cs_1", url="https://x.test/a", expires_at=when),
        ),
        (
            payment_serializers.CheckoutSessionSerializer,
            CheckoutSession(id="cs_2", url="https://x.test/b", expires_at=None),
        ),
        (payment_serializers.PortalSessionSerializer, {"url": "https://billing.test/p"}),
        (payment_serializers.SubscriptionPlanSerializer, monthly),
        (payment_serializers.SubscriptionSerializer, row),
        (payment_serializers.SubscriptionSerializer, bare),
        (payment_serializers.WebhookAckSerializer, {"received": True, "duplicate": False}),
    ]
    for serializer_class, data in samples:
        compiled, reference = both(serializer_class, data)
        assert compiled == reference, serializer_class
    for plan in (monthly, None):
        line = Transaction.objects.create(
            tenant=user.tenant,
            user=user,
            plan=plan,
            amount=5,
            currency="usd",
            kind="charge",
            status="succeeded",
            gateway_transaction_id=f"in_{plan is None}",
        )
        row_plan = payment_serializers.TransactionSerializer.row_plan()
        values = Transaction.unscoped.filter(pk=line.pk).values(*row_plan.scoped_columns).get()
        assert row_plan.render_many([values], user.tenant) == [drf(payment_serializers.TransactionSerializer, line, {})]


def test_nutrition_rows_render_the_same(people: list[User]) -> None:
    user = people[0]
    category = FoodCategory.objects.create(slug="vegetables", name="Vegetables")
    foods = [
        Food.objects.create(
            name="Kale",
            category=category,
            source="usda_sr",
            source_id="11233",
            energy_kcal=49,
            protein_g=4.3,
            carbohydrate_g=8.8,
            fat_g=0.9,
            vegan=True,
            vegetarian=True,
        ),
        Food.objects.create(
            tenant=user.tenant,
            owner=user,
            name="Bar",
            brand="Mine",
            barcode="4006381333931",
            source="custom",
            source_id="x1",
            energy_kcal=400,
            protein_g=10,
            carbohydrate_g=50,
            fat_g=15,
            allergens=["milk", "peanuts"],
        ),
    ]
    plans = [
        MealPlan.objects.create(name="Template", duration_days=7, is_template=True),
        MealPlan.objects.create(
            tenant=user.tenant, user=user, name="Mine", goal="lose", duration_days=3, target_kcal=1800
        ),
    ]
    cases: list[tuple[Any, Any, list[Any]]] = [
        (meal_serializers.FoodListSerializer, Food, foods),
        (meal_serializers.FoodCategorySerializer, FoodCategory, [category]),
        (meal_serializers.MealPlanListSerializer, MealPlan, plans),
    ]
    for serializer_class, model, instances in cases:
        plan = serializer_class.row_plan()
        for instance in instances:
            values = model._default_manager.filter(pk=instance.pk).values(*plan.scoped_columns).get()
            assert plan.render_many([values], user.tenant) == [drf(serializer_class, instance, {})], serializer_class


def test_workout_rows_render_the_same(people: list[User]) -> None:
    from django.db.models import BooleanField, ExpressionWrapper, Q

    user = people[0]
    category = Category.objects.create(slug="strength", name="Strength")
    exercises = [
        Exercise.objects.create(
            source_id="Squat", name="Squat", primary_muscles=["quadriceps"], equipment="barbell", category=category
        ),
        Exercise.objects.create(tenant=user.tenant, source_id="own-1", name="Own move"),  # blank choices: null
    ]
    workouts = [
        Workout.objects.create(title="Legs", duration_minutes=45, goals=["strength"], equipment=["barbell"]),
        Workout.objects.create(
            tenant=user.tenant, title="Ours", duration_minutes=20, category=category, is_premium=True, published=True
        ),
    ]
    programs = [
        Program.objects.create(title="Base", weeks=4, goals=["strength", "endurance"]),
        Program.objects.create(tenant=user.tenant, title="Ours", weeks=2, category=category),
    ]
    is_global = ExpressionWrapper(Q(tenant__isnull=True), output_field=BooleanField())
    cases: list[tuple[Any, Any, list[Any]]] = [
        (workout_serializers.CategorySerializer, Category, [category]),
        (workout_serializers.ExerciseListSerializer, Exercise, exercises),
        (workout_serializers.WorkoutListSerializer, Workout, workouts),
        (workout_serializers.ProgramListSerializer, Program, programs),
    ]
    for serializer_class, model, instances in cases:
        plan = serializer_class.row_plan()
        for instance in instances:
            rows = model._default_manager.filter(pk=instance.pk)
            if serializer_class is not workout_serializers.CategorySerializer:
                rows = rows.annotate(is_global=is_global)
            values = rows.values(*plan.columns).get()
            assert plan.render_many([values]) == [drf(serializer_class, rows.get(), {})], serializer_class


def test_health_sample_rows_render_the_same(people: list[User]) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from health.ingest import clean_sample, upsert
    from health.models import HealthSample

    user = people[0]
    now = timezone.now()
    rows = [
        clean_sample(item, prefix="", default_source="manual", now=now)
        for item in (
            {"metric": "heart_rate", "value": 61.5, "start_time": (now - timedelta(hours=1)).isoformat()},
            {
                "metric": "sleep",
                "stage": "rem",
                "start_time": (now - timedelta(hours=9)).isoformat(),
                "end_time": (now - timedelta(hours=8)).isoformat(),
                "source": "apple_health",
                "source_name": "Watch",
                "device": "Watch7,1",
                "external_id": "abc",
                "version": 3,
            },
        )
    ]
    upsert(tenant_id=user.tenant_id, user_id=user.pk, rows=rows)
    plan = health_serializers.SampleSerializer.row_plan()
    for sample in HealthSample.unscoped.filter(user=user):
        values = HealthSample.unscoped.filter(pk=sample.pk).values(*plan.columns).get()
        assert plan.render_many([values]) == [drf(health_serializers.SampleSerializer, sample, {})]
