"""Writes of the nutrition area: each one transaction, validated before anything is written.

Amounts: an item is either ``grams`` or one of the food's portions times ``portion_count``;
grams are always stored (resolved from the portion), so totals are one SQL sum.

Ownership rules a payload cannot break: a custom food may appear only in its owner's
meals and diary (an API key acting for user A cannot put user B's private food in A's
meal), and template meals and plans may only use foods and meals every member can read.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError
from rest_framework.exceptions import ValidationError

from fitcore.api.exceptions import ApplicationError
from users.models import Tenant, User

from .models import (
    MAX_GRAMS,
    MIN_GRAMS,
    FavoriteFood,
    Food,
    FoodLogEntry,
    FoodPortion,
    Meal,
    MealItem,
    MealPlan,
    ScheduledMeal,
    TargetOverride,
)
from .nutrients import MAX_MACROS_PER_100G

# Bounds a request cannot exceed, so one call cannot write without limit.
MAX_ITEMS_PER_MEAL = 50
MAX_PORTIONS_PER_FOOD = 20
MAX_SCHEDULED_PER_PLAN = 366 * 8
MAX_ENTRIES_PER_DAY = 200


def _food_usable(food: Food, *, owner: User | None) -> bool:
    """A custom food is usable only in rows of its owner; a template (owner None) takes global foods only."""
    if food.tenant_id is None:
        return True
    return owner is not None and food.owner_id == owner.pk


def resolve_grams(
    *, food: Food, grams: float | None, portion: FoodPortion | None, portion_count: float | None, path: str
) -> float:
    """Grams eaten from either form of an amount, or a field error at ``path``."""
    if portion is not None:
        if portion.food_id != food.pk:
            # Worded like a missing id: another user's portion ids must not be told apart from none.
            raise ValidationError(
                {f"{path}portion": [f'Invalid pk "{portion.pk}" - object does not exist (or not of this food).']},
                code="does_not_exist",
            )
        count = 1.0 if portion_count is None else portion_count
        total = round(portion.grams * count, 2)
        if total > MAX_GRAMS:
            raise ValidationError({f"{path}portion_count": [f"At most {MAX_GRAMS:g} g in one item."]}, code="max_value")
        if total < MIN_GRAMS:
            raise ValidationError(
                {f"{path}portion_count": [f"At least {MIN_GRAMS:g} g in one item."]}, code="min_value"
            )
        return total
    if grams is None:
        raise ValidationError({f"{path}grams": ["Give grams, or a portion and a count."]}, code="required")
    return grams


# --- foods ----------------------------------------------------------------------------


def food_create(*, tenant: Tenant, owner: User, data: dict[str, Any], portions: Sequence[dict[str, Any]]) -> Food:
    """A private food of ``owner``: source ``custom`` with a random source id."""
    if len(portions) > MAX_PORTIONS_PER_FOOD:
        raise ValidationError({"portions": [f"At most {MAX_PORTIONS_PER_FOOD} portions."]}, code="max_length")
    food = Food(tenant=tenant, owner=owner, source=Food.Source.CUSTOM, source_id=uuid.uuid4().hex, **data)
    food.full_clean()
    with transaction.atomic():
        food.save()
        _portions_replace(food=food, portions=portions)
    return food


def food_update(*, food: Food, data: dict[str, Any], portions: Sequence[dict[str, Any]] | None) -> Food:
    if portions is not None and len(portions) > MAX_PORTIONS_PER_FOOD:
        raise ValidationError({"portions": [f"At most {MAX_PORTIONS_PER_FOOD} portions."]}, code="max_length")
    for name, value in data.items():
        setattr(food, name, value)
    # The rules between fields, on the food as it will be (a PATCH sends only what changes).
    if food.protein_g + food.carbohydrate_g + food.fat_g > MAX_MACROS_PER_100G:
        raise ValidationError(
            {"fat_g": ["Protein, carbohydrate and fat add up to more than 100 g per 100 g."]}, code="invalid"
        )
    if food.vegan and food.vegetarian is False:
        raise ValidationError({"vegetarian": ["A vegan food is vegetarian."]}, code="invalid")
    food.full_clean()
    with transaction.atomic():
        food.save()
        if portions is not None:
            _portions_replace(food=food, portions=portions)
    return food


def _portions_replace(*, food: Food, portions: Sequence[dict[str, Any]]) -> None:
    FoodPortion.objects.filter(food=food).delete()
    FoodPortion.objects.bulk_create(
        FoodPortion(tenant_id=food.tenant_id, food=food, label=p["label"], grams=p["grams"], position=index)
        for index, p in enumerate(portions)
    )


def food_delete(*, food: Food) -> None:
    try:
        with transaction.atomic():
            food.delete()
    except (ProtectedError, RestrictedError):
        raise ApplicationError(
            code="food_in_use",
            message="This food is in meals or in the diary; remove it from them first.",
            status=409,
        ) from None


def favorite_food_add(*, tenant: Tenant, user: User, food: Food) -> FavoriteFood:
    if not _food_usable(food, owner=user):
        raise ApplicationError(code="food_not_found", message="No such food.", status=404)
    favorite, _ = FavoriteFood.objects.for_tenant(tenant).get_or_create(tenant=tenant, user=user, food=food)
    return favorite


def favorite_food_remove(*, user: User, food: Food) -> None:
    FavoriteFood.objects.for_tenant(user.tenant_id).filter(user=user, food=food).delete()


# --- meals ----------------------------------------------------------------------------


def _meal_items_build(*, meal: Meal, items: Sequence[dict[str, Any]]) -> list[MealItem]:
    if len(items) > MAX_ITEMS_PER_MEAL:
        raise ValidationError({"items": [f"At most {MAX_ITEMS_PER_MEAL} items in a meal."]}, code="max_length")
    owner = meal.user
    built = []
    for index, item in enumerate(items):
        food = item["food"]
        path = f"items[{index}]."
        # A template is read by every member: it may only use foods they can all read.
        if not _food_usable(food, owner=owner) or (meal.tenant_id is None and food.tenant_id is not None):
            raise ValidationError(
                {f"{path}food": [f'Invalid pk "{food.pk}" - object does not exist.']}, code="does_not_exist"
            )
        grams = resolve_grams(
            food=food,
            grams=item.get("grams"),
            portion=item.get("portion"),
            portion_count=item.get("portion_count"),
            path=path,
        )
        built.append(
            MealItem(
                tenant_id=meal.tenant_id,
                meal=meal,
                food=food,
                grams=grams,
                portion=item.get("portion"),
                portion_count=item.get("portion_count") if item.get("portion") is not None else None,
                position=index,
            )
        )
    return built


def meal_create(
    *,
    tenant: Tenant | None,
    user: User | None,
    name: str,
    meal_time: str,
    description: str = "",
    items: Sequence[dict[str, Any]] = (),
    copied_from: Meal | None = None,
) -> Meal:
    """A user's meal (``user`` set) or a template (``user`` None) with its items, in one transaction."""
    meal = Meal(
        tenant=tenant,
        user=user,
        is_template=user is None,
        name=name,
        meal_time=meal_time,
        description=description,
        copied_from=copied_from,
    )
    meal.full_clean()
    rows = _meal_items_build(meal=meal, items=items)
    with transaction.atomic():
        meal.save()
        for row in rows:
            row.meal = meal
        MealItem.objects.bulk_create(rows)
    return meal


def meal_update(*, meal: Meal, data: dict[str, Any], items: Sequence[dict[str, Any]] | None) -> Meal:
    """Changes the named fields; ``items``, when given, replaces every item."""
    for name, value in data.items():
        setattr(meal, name, value)
    meal.full_clean()
    rows = _meal_items_build(meal=meal, items=items) if items is not None else None
    with transaction.atomic():
        meal.save()
        if rows is not None:
            MealItem.objects.filter(meal=meal).delete()
            MealItem.objects.bulk_create(rows)
    return meal


def meal_copy(*, meal: Meal, tenant: Tenant, user: User) -> Meal:
    """``user``'s own copy of a meal they can read (a template, typically), items included."""
    items = MealItem.objects.filter(meal=meal).select_related("food", "portion").order_by("position", "id")
    copy = Meal(
        tenant=tenant,
        user=user,
        is_template=False,
        name=meal.name,
        meal_time=meal.meal_time,
        description=meal.description,
        copied_from=meal,
    )
    with transaction.atomic():
        copy.save()
        MealItem.objects.bulk_create(
            MealItem(
                tenant=tenant,
                meal=copy,
                food_id=item.food_id,
                grams=item.grams,
                portion_id=item.portion_id,
                portion_count=item.portion_count,
                position=item.position,
            )
            for item in items
        )
    return copy


def meal_delete(*, meal: Meal) -> None:
    try:
        with transaction.atomic():
            meal.delete()
    except (ProtectedError, RestrictedError):
        raise ApplicationError(
            code="meal_in_use",
            message="This meal is scheduled in a meal plan; remove it from the plan first.",
            status=409,
        ) from None


# --- plans ----------------------------------------------------------------------------


def _schedule_build(*, plan: MealPlan, schedule: Sequence[dict[str, Any]]) -> list[ScheduledMeal]:
    if len(schedule) > MAX_SCHEDULED_PER_PLAN:
        raise ValidationError({"schedule": [f"At most {MAX_SCHEDULED_PER_PLAN} scheduled meals."]}, code="max_length")
    rows = []
    for index, entry in enumerate(schedule):
        meal: Meal = entry["meal"]
        path = f"schedule[{index}]."
        if entry["day_of_plan"] > plan.duration_days:
            raise ValidationError(
                {f"{path}day_of_plan": [f"The plan has {plan.duration_days} day(s): choose 1-{plan.duration_days}."]},
                code="max_value",
            )
        # The plan's owner must be able to read the meal: their own, or a template of theirs or ours.
        if meal.user_id is not None and meal.user_id != plan.user_id:
            raise ValidationError(
                {f"{path}meal": [f'Invalid pk "{meal.pk}" - object does not exist.']}, code="does_not_exist"
            )
        if plan.tenant_id is None and meal.tenant_id is not None:
            raise ValidationError(
                {f"{path}meal": [f'Invalid pk "{meal.pk}" - object does not exist.']}, code="does_not_exist"
            )
        rows.append(
            ScheduledMeal(
                tenant_id=plan.tenant_id,
                plan=plan,
                day_of_plan=entry["day_of_plan"],
                meal_time=entry.get("meal_time") or meal.meal_time,
                meal=meal,
                position=index,
            )
        )
    return rows


def meal_plan_create(
    *, tenant: Tenant | None, user: User | None, data: dict[str, Any], schedule: Sequence[dict[str, Any]] = ()
) -> MealPlan:
    """A draft (or archived) plan with its schedule; activation is its own step (meal_plan_activate)."""
    plan = MealPlan(tenant=tenant, user=user, is_template=user is None, **data)
    plan.full_clean()
    rows = _schedule_build(plan=plan, schedule=schedule)
    with transaction.atomic():
        plan.save()
        for row in rows:
            row.plan = plan
        ScheduledMeal.objects.bulk_create(rows)
    return plan


def meal_plan_update(*, plan: MealPlan, data: dict[str, Any], schedule: Sequence[dict[str, Any]] | None) -> MealPlan:
    for name, value in data.items():
        setattr(plan, name, value)
    plan.full_clean(exclude=["status"])
    if schedule is not None:
        rows = _schedule_build(plan=plan, schedule=schedule)
    elif "duration_days" in data:
        last = (
            ScheduledMeal.objects.filter(plan=plan)
            .order_by("-day_of_plan")
            .values_list("day_of_plan", flat=True)
            .first()
        )
        if last is not None and last > plan.duration_days:
            raise ValidationError(
                {"duration_days": [f"Day {last} has meals scheduled: remove them or keep at least {last} days."]},
                code="min_value",
            )
    with transaction.atomic():
        plan.save()
        if schedule is not None:
            ScheduledMeal.objects.filter(plan=plan).delete()
            ScheduledMeal.objects.bulk_create(rows)
    return plan


def meal_plan_copy(*, plan: MealPlan, tenant: Tenant, user: User) -> MealPlan:
    """``user``'s own draft copy of a plan they can read (a staff or tenant template, typically).

    The schedule points at the same meals: templates are readable by every member, and a
    user's own plan can only name their meals.
    """
    copy = MealPlan(
        tenant=tenant,
        user=user,
        is_template=False,
        name=plan.name,
        description=plan.description,
        goal=plan.goal,
        duration_days=plan.duration_days,
        start_date=None,
        target_kcal=plan.target_kcal,
        target_protein_g=plan.target_protein_g,
        target_carbohydrate_g=plan.target_carbohydrate_g,
        target_fat_g=plan.target_fat_g,
        source=plan.source,
        status=MealPlan.Status.DRAFT,
        generation=plan.generation,
        copied_from=plan,
    )
    scheduled = ScheduledMeal.objects.filter(plan=plan).order_by("day_of_plan", "position", "id")
    with transaction.atomic():
        copy.save()
        ScheduledMeal.objects.bulk_create(
            ScheduledMeal(
                tenant=tenant,
                plan=copy,
                day_of_plan=row.day_of_plan,
                meal_time=row.meal_time,
                meal_id=row.meal_id,
                position=row.position,
            )
            for row in scheduled
        )
    return copy


def _archive_active(*, user: User, keep: MealPlan | None) -> None:
    active = MealPlan.objects.filter(tenant_id=user.tenant_id, user=user, status=MealPlan.Status.ACTIVE)
    if keep is not None:
        active = active.exclude(pk=keep.pk)
    active.update(status=MealPlan.Status.ARCHIVED)


def meal_plan_activate(*, plan: MealPlan, start_date: date | None) -> MealPlan:
    """Makes ``plan`` the user's one active plan; the previous one is archived."""
    if plan.is_template or plan.user is None:
        raise ApplicationError(
            code="plan_is_template", message="A template cannot be active; copy it, then activate the copy.", status=409
        )
    with transaction.atomic():
        # Lock the user's plans so two activations cannot both win (the unique index would refuse one: a 500).
        list(MealPlan.objects.select_for_update().filter(tenant=plan.tenant, user=plan.user).values_list("pk"))
        _archive_active(user=plan.user, keep=plan)
        plan.status = MealPlan.Status.ACTIVE
        fields = ["status", "updated_at"]
        if start_date is not None:
            plan.start_date = start_date
            fields.append("start_date")
        try:
            plan.save(update_fields=fields)
        except IntegrityError:  # pragma: no cover - the lock above serialises activations
            raise ApplicationError(
                code="plan_conflict", message="Another plan was activated; retry.", status=409
            ) from None
    return plan


def meal_plan_archive(*, plan: MealPlan) -> MealPlan:
    plan.status = MealPlan.Status.ARCHIVED
    plan.save(update_fields=["status", "updated_at"])
    return plan


# --- diary ----------------------------------------------------------------------------


def _day_has_room(*, user: User, day: date, adding: int) -> None:
    """Call inside the writing transaction: the user's row lock makes count-then-insert one step."""
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
    count = FoodLogEntry.objects.for_tenant(user.tenant_id).filter(user=user, date=day).count()
    if count + adding > MAX_ENTRIES_PER_DAY:
        raise ApplicationError(
            code="diary_day_full",
            message=f"A diary day holds at most {MAX_ENTRIES_PER_DAY} entries.",
            status=409,
        )


def _entry_from_item(item: MealItem, **fields: Any) -> FoodLogEntry:
    """A diary entry eating what a meal item holds (its food, grams and portion)."""
    return FoodLogEntry(
        food_id=item.food_id, grams=item.grams, portion_id=item.portion_id, portion_count=item.portion_count, **fields
    )


def diary_entry_create(
    *,
    tenant: Tenant,
    user: User,
    day: date,
    meal_time: str,
    food: Food | None,
    grams: float | None,
    portion: FoodPortion | None,
    portion_count: float | None,
    meal: Meal | None,
    note: str,
    source: str,
) -> list[FoodLogEntry]:
    """One entry for a food, or one entry per item of ``meal`` (expanded, linked to the meal)."""
    if meal is not None:
        if meal.user_id not in (None, user.pk):
            raise ValidationError({"meal": [f'Invalid pk "{meal.pk}" - object does not exist.']}, code="does_not_exist")
        items = list(MealItem.objects.filter(meal=meal).order_by("position", "id"))
        if not items:
            raise ValidationError({"meal": ["This meal has no items to log."]}, code="invalid")
        rows = [
            _entry_from_item(
                item,
                tenant_id=tenant.pk,
                user=user,
                date=day,
                meal_time=meal_time,
                meal=meal,
                note=note,
                source=FoodLogEntry.Source.MEAL if source == FoodLogEntry.Source.MANUAL else source,
            )
            for item in items
        ]
    else:
        assert food is not None  # noqa: S101 - the serializer requires food or meal
        if not _food_usable(food, owner=user):
            raise ValidationError({"food": [f'Invalid pk "{food.pk}" - object does not exist.']}, code="does_not_exist")
        amount = resolve_grams(food=food, grams=grams, portion=portion, portion_count=portion_count, path="")
        rows = [
            FoodLogEntry(
                tenant=tenant,
                user=user,
                date=day,
                meal_time=meal_time,
                food=food,
                grams=amount,
                portion=portion,
                portion_count=portion_count if portion is not None else None,
                note=note,
                source=source,
            )
        ]
    with transaction.atomic():
        _day_has_room(user=user, day=day, adding=len(rows))
        return FoodLogEntry.objects.bulk_create(rows)


def diary_entry_update(*, entry: FoodLogEntry, data: dict[str, Any]) -> FoodLogEntry:
    food = data.get("food", entry.food)
    if not _food_usable(food, owner=entry.user):
        raise ValidationError({"food": [f'Invalid pk "{food.pk}" - object does not exist.']}, code="does_not_exist")
    amount_given = any(name in data for name in ("grams", "portion", "portion_count", "food"))
    if amount_given:
        # Grams given alone replace a portion; a new food drops the old food's portion.
        keep_portion = "food" not in data and "grams" not in data
        portion = data.get("portion", entry.portion if keep_portion else None)
        grams = data.get("grams", None if portion is not None else entry.grams)
        count = data.get("portion_count", entry.portion_count if portion is not None else None)
        entry.grams = resolve_grams(food=food, grams=grams, portion=portion, portion_count=count, path="")
        entry.food = food
        entry.portion = portion
        entry.portion_count = count if portion is not None else None
    for name in ("meal_time", "note"):
        if name in data:
            setattr(entry, name, data[name])
    with transaction.atomic():
        if "date" in data and data["date"] != entry.date:
            _day_has_room(user=entry.user, day=data["date"], adding=1)
            entry.date = data["date"]
        entry.save()
    return entry


def diary_log_plan_day(*, plan: MealPlan, day_of_plan: int, day: date, user: User) -> list[FoodLogEntry]:
    """Every item of every meal scheduled on ``day_of_plan`` becomes a diary entry on ``day``."""
    if day_of_plan > plan.duration_days:
        raise ValidationError(
            {"day_of_plan": [f"The plan has {plan.duration_days} day(s): choose 1-{plan.duration_days}."]},
            code="max_value",
        )
    scheduled = list(ScheduledMeal.objects.filter(plan=plan, day_of_plan=day_of_plan).order_by("position", "id"))
    items = MealItem.objects.filter(meal_id__in=[s.meal_id for s in scheduled]).order_by("position", "id")
    by_meal: dict[int, list[MealItem]] = {}
    for item in items:
        by_meal.setdefault(item.meal_id, []).append(item)
    rows = [
        _entry_from_item(
            item,
            tenant_id=user.tenant_id,
            user=user,
            date=day,
            meal_time=entry.meal_time,
            meal_id=entry.meal_id,
            plan=plan,
            source=FoodLogEntry.Source.PLAN,
        )
        for entry in scheduled
        for item in by_meal.get(entry.meal_id, [])
    ]
    if not rows:
        raise ValidationError({"day_of_plan": ["Nothing is scheduled on this day of the plan."]}, code="invalid")
    with transaction.atomic():
        _day_has_room(user=user, day=day, adding=len(rows))
        return FoodLogEntry.objects.bulk_create(rows)


# --- targets --------------------------------------------------------------------------


def target_override_set(*, user: User, values: dict[str, int | None]) -> TargetOverride:
    """Replaces the user's overrides; a null value goes back to the computed target.

    Joins the caller's transaction: the view rolls it back when the targets cannot be answered.
    """
    with transaction.atomic():
        override, _ = TargetOverride.objects.for_tenant(user.tenant_id).get_or_create(
            tenant_id=user.tenant_id, user=user
        )
        for name, value in values.items():
            setattr(override, name, value)
        override.full_clean()
        override.save()
    return override
