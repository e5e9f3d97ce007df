"""A client generated from the live schema completes a real journey, through its own code only.

openapi-python-client generates a Python package from ``/api/schema/`` served by a live server;
the journey then uses nothing but that package's functions and models: every answer must
parse into the generated model the schema promised (``raise_on_unexpected_status`` turns any
undocumented status into a failure, and each step asserts the model type). This is what a
mobile team's generated TypeScript or Swift client goes through; later domains extend it.
"""

from __future__ import annotations

import datetime
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from authapp.tests.factories import make_api_key
from users.models import Tenant, User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

GENERATOR = Path(sys.prefix) / "bin" / "openapi-python-client"
PACKAGE = "fitcore_generated_client"
PASSWORD = "a-Quite-long-passphrase-42"


@pytest.fixture
def client_package(live_server: Any, tmp_path: Path) -> Iterator[ModuleType]:
    config = tmp_path / "config.yaml"
    config.write_text(f"project_name_override: {PACKAGE}\npackage_name_override: {PACKAGE}\npost_hooks: []\n")
    subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--url",
            f"{live_server.url}/api/schema/",
            "--meta",
            "none",
            "--config",
            str(config),
            "--output-path",
            str(tmp_path / PACKAGE),
            "--fail-on-warning",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def api(package: ModuleType, path: str) -> ModuleType:
    return importlib.import_module(f"{package.__name__}.api.{path}")


def model(package: ModuleType, name: str) -> Any:
    return getattr(importlib.import_module(f"{package.__name__}.models"), name)


def payments_journey(
    gen: ModuleType, bo: Any, *, messenger_tenant: Tenant, bo_id: int, live_server: Any, as_key: Any
) -> None:
    """Stripe's side (its API, answered by the stub; its webhooks, signed here) around the generated calls."""
    import json
    import time

    import httpx
    import stripe
    from django.test import override_settings

    from payment.gateway import use_http_client
    from payment.models import Plan
    from payment.stripe_stub import StubHttpClient, StubStripeAPI

    secret = "whsec_journey"
    stub = StubStripeAPI()
    monthly = Plan.objects.create(
        code="monthly", name="Monthly", interval="monthly", stripe_price_id="price_journey", amount=999, trial_days=7
    )
    with (
        override_settings(STRIPE_SECRET_KEY="sk_test_journey", STRIPE_WEBHOOK_SECRETS=[secret]),
        use_http_client(StubHttpClient(stub)),
    ):
        plans = api(gen, "payments.payments_plans_list").sync(client=bo)
        assert [p.code for p in plans] == ["monthly"] and isinstance(plans[0], model(gen, "Plan"))
        session = api(gen, "payments.payments_checkout_create").sync(
            client=bo, body=model(gen, "CheckoutInputRequest")(plan=monthly.pk), idempotency_key="journey-1"
        )
        assert isinstance(session, model(gen, "CheckoutSession")) and session.url.startswith("https://checkout.")
        customer = stub.calls("/v1/checkout/sessions")[0].params["customer"]

        # Stripe: the customer paid; the subscription and its invoice are announced by signed webhooks.
        sub = stub.add_subscription("sub_journey", customer=customer, price="price_journey")
        invoice = {
            "id": "in_journey",
            "object": "invoice",
            "customer": customer,
            "subscription": "sub_journey",
            "amount_paid": 999,
            "currency": "usd",
            "billing_reason": "subscription_create",
            "lines": {"data": []},
        }
        for number, (kind, obj) in enumerate(
            (("customer.subscription.created", sub), ("invoice.paid", invoice)), start=1
        ):
            body = json.dumps(
                {
                    "id": f"evt_journey{number}",
                    "object": "event",
                    "type": kind,
                    "created": int(time.time()) - 5 + number,
                    "data": {"object": obj},
                }
            )
            delivered = httpx.post(
                f"{live_server.url}/api/v1/payments/webhooks/stripe/",
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "Stripe-Signature": stripe.WebhookSignature.generate_signature_header(body, secret),
                },
            )
            assert delivered.status_code == 200 and delivered.json() == {"received": True, "duplicate": False}

        mine = api(gen, "payments.payments_subscription_retrieve").sync(client=bo)
        assert isinstance(mine, model(gen, "Subscription"))
        assert mine.status.value == "active" and mine.has_active_access is True and mine.plan.code == "monthly"
        cancelled = api(gen, "payments.payments_subscription_cancel_create").sync(client=bo)
        assert isinstance(cancelled, model(gen, "Subscription")) and cancelled.cancel_at_period_end is True
        resumed = api(gen, "payments.payments_subscription_resume_create").sync(client=bo)
        assert resumed.cancel_at_period_end is False and resumed.has_active_access is True
        portal = api(gen, "payments.payments_portal_create").sync(client=bo)
        assert isinstance(portal, model(gen, "PortalSession")) and portal.url.startswith("https://billing.")
        again = api(gen, "payments.payments_checkout_create").sync(
            client=bo, body=model(gen, "CheckoutInputRequest")(plan=monthly.pk)
        )
        assert isinstance(again, model(gen, "Problem")) and again.code == "subscription_active"
        ledger = api(gen, "payments.payments_transactions_list").sync(client=bo)
        assert isinstance(ledger, model(gen, "PaginatedTransactionList"))
        assert [(t.kind.value, t.amount, t.plan) for t in ledger.results] == [("charge", 999, "monthly")]
        partner = as_key(make_api_key(messenger_tenant, scopes=["payments:read"]).secret)
        theirs = api(gen, "payments.payments_transactions_list").sync(client=partner, user=bo_id)
        assert [t.gateway_transaction_id for t in theirs.results] == ["in_journey"]


def nutrition_journey(gen: ModuleType, ann: Any, *, tenant: Tenant, ann_id: int, as_key: Any) -> None:
    """Ann finds foods, builds a meal and a plan, logs her day and reads her targets; her app's partner reads it."""
    from meal.models import Food, FoodPortion

    oats = Food.objects.create(
        name="Oats, rolled, dry",
        source="usda_sr",
        source_id="08120",
        barcode="0012345678905",
        energy_kcal=379,
        protein_g=13.2,
        carbohydrate_g=67.7,
        fat_g=6.5,
        fiber_g=10.1,
        micronutrients={"iron_mg": 4.3},
        vegan=True,
        vegetarian=True,
        allergens=["gluten"],
    )
    cup = FoodPortion.objects.create(food=oats, label="1 cup", grams=81)

    found = api(gen, "nutrition.nutrition_foods_list").sync(client=ann, search="oats", vegan=True, limit=5)
    assert isinstance(found, model(gen, "PaginatedFoodListList")) and found.results[0].id == oats.pk
    detail = api(gen, "nutrition.nutrition_foods_retrieve").sync(client=ann, id=oats.pk)
    assert isinstance(detail, model(gen, "FoodDetail")) and detail.portions[0].grams == 81
    assert detail.micronutrients[0].key.value == "iron_mg" and detail.micronutrients[0].unit.value == "mg"
    scanned = api(gen, "nutrition.nutrition_foods_barcode_retrieve").sync(client=ann, code="012345678905")
    assert isinstance(scanned, model(gen, "FoodDetail")) and scanned.id == oats.pk
    unknown = api(gen, "nutrition.nutrition_foods_barcode_retrieve").sync(client=ann, code="4006381333931")
    assert isinstance(unknown, model(gen, "Problem")) and unknown.code == "food_not_found"

    berries = api(gen, "nutrition.nutrition_foods_create").sync(
        client=ann,
        body=model(gen, "FoodInputRequest")(
            name="Frozen berries",
            energy_kcal=50,
            protein_g=1,
            carbohydrate_g=11,
            fat_g=0.3,
            portions=[model(gen, "FoodPortionRequest")(label="1 handful", grams=40)],
        ),
    )
    assert isinstance(berries, model(gen, "FoodDetail")) and berries.is_custom is True
    assert (
        api(gen, "nutrition.nutrition_foods_favorite_create").sync_detailed(client=ann, id=oats.pk).status_code == 204
    )

    item = model(gen, "MealItemInputRequest")
    meal = api(gen, "nutrition.nutrition_meals_create").sync(
        client=ann,
        body=model(gen, "MealInputRequest")(
            name="Porridge",
            meal_time=model(gen, "MealTimeEnum")("breakfast"),
            items=[item(food=oats.pk, portion=cup.pk, portion_count=1), item(food=berries.id, grams=80)],
        ),
    )
    assert isinstance(meal, model(gen, "Meal")) and meal.totals.kcal == round(379 * 0.81 + 50 * 0.8, 1)

    plan = api(gen, "nutrition.nutrition_plans_create").sync(
        client=ann,
        body=model(gen, "MealPlanInputRequest")(
            name="Oat week",
            duration_days=7,
            target_kcal=1800,
            schedule=[model(gen, "ScheduleInputRequest")(day_of_plan=day, meal=meal.id) for day in range(1, 8)],
        ),
    )
    assert isinstance(plan, model(gen, "MealPlanDetail")) and len(plan.days) == 7
    assert plan.days[0].difference.kcal == round(meal.totals.kcal - 1800, 1)
    active = api(gen, "nutrition.nutrition_plans_activate_create").sync(
        client=ann, id=plan.id, body=model(gen, "ActivateInputRequest")()
    )
    assert isinstance(active, model(gen, "MealPlanDetail")) and active.status.value == "active"

    logged = api(gen, "nutrition.nutrition_diary_create").sync(
        client=ann,
        body=model(gen, "DiaryEntryInputRequest")(
            meal_time=model(gen, "MealTimeEnum")("snack"), food=oats.pk, grams=30, date=datetime.date(2026, 11, 30)
        ),
    )
    assert isinstance(logged, list) and isinstance(logged[0], model(gen, "DiaryEntry"))
    day = api(gen, "nutrition.nutrition_diary_log_plan_day_create").sync(
        client=ann,
        body=model(gen, "LogPlanDayInputRequest")(plan=plan.id, day_of_plan=1, date=datetime.date(2026, 11, 30)),
    )
    assert isinstance(day, list) and len(day) == 2
    diary = api(gen, "nutrition.nutrition_diary_day").sync(client=ann, date=datetime.date(2026, 11, 30))
    assert isinstance(diary, model(gen, "DiaryDay")) and len(diary.entries) == 3
    summary = api(gen, "nutrition.nutrition_diary_summary_retrieve").sync(
        client=ann, start=datetime.date(2026, 11, 24), end=datetime.date(2026, 11, 30)
    )
    assert isinstance(summary, model(gen, "DiarySummary")) and summary.days_logged == 1

    # Ann cleared her sex earlier: the formula needs it, and the problem says so.
    incomplete = api(gen, "nutrition.nutrition_targets_retrieve").sync(client=ann)
    assert isinstance(incomplete, model(gen, "Problem")) and incomplete.code == "profile_incomplete"
    api(gen, "users.users_me_partial_update").sync(
        client=ann,
        body=model(gen, "PatchedMeUpdateInputRequest")(
            profile=model(gen, "ProfileInputRequest")(sex=model(gen, "SexEnum")("female"))
        ),
    )
    targets = api(gen, "nutrition.nutrition_targets_retrieve").sync(client=ann)
    assert isinstance(targets, model(gen, "Targets")) and targets.computed.kcal is not None
    assert targets.explanation["method"] == "mifflin_st_jeor"
    mine = api(gen, "nutrition.nutrition_targets_update").sync(
        client=ann, body=model(gen, "TargetOverrideInputRequest")(kcal=1750)
    )
    assert isinstance(mine, model(gen, "Targets")) and mine.targets.kcal == 1750

    partner = as_key(make_api_key(tenant, scopes=["nutrition:read"]).secret)
    seen = api(gen, "nutrition.nutrition_diary_day").sync(client=partner, user=ann_id, date=datetime.date(2026, 11, 30))
    assert isinstance(seen, model(gen, "DiaryDay")) and seen.totals.kcal == diary.totals.kcal


def workouts_journey(gen: ModuleType, ann: Any, *, tenant: Tenant, ann_id: int, as_key: Any, anonymous: Any) -> None:
    """Ann browses the catalogue, trains and logs it, sees her records, follows a program; her partner reads it."""
    from workout.models import Category, Exercise, Program, ProgramDay, Workout, WorkoutExercise

    strength = Category.objects.create(slug="strength", name="Strength")
    squat = Exercise.objects.create(
        source_id="Barbell_Squat", name="Barbell Squat", primary_muscles=["quadriceps"], equipment="barbell"
    )
    legs = Workout.objects.create(
        title="Leg day",
        duration_minutes=45,
        category=strength,
        goals=["strength"],
        equipment=["barbell"],
        published=True,
    )
    WorkoutExercise.objects.create(workout=legs, exercise=squat, position=1, target_sets=5, target_reps=5)
    program = Program.objects.create(title="Squat week", weeks=1, published=True)
    ProgramDay.objects.bulk_create(
        ProgramDay(program=program, day_number=n, workout=legs if n % 2 else None) for n in range(1, 8)
    )

    browsed = api(gen, "workouts.workouts_list").sync(client=anonymous, difficulty=model(gen, "LevelEnum")("beginner"))
    assert isinstance(browsed, model(gen, "PaginatedWorkoutListList")) and browsed.results[0].id == legs.pk
    detail = api(gen, "workouts.workouts_retrieve").sync(client=ann, id=legs.pk)
    assert isinstance(detail, model(gen, "WorkoutDetail")) and detail.exercises[0].exercise_name == "Barbell Squat"
    assert api(gen, "workouts.workouts_favorite_create").sync_detailed(client=ann, id=legs.pk).status_code == 204

    progress = api(gen, "workouts.workouts_progress_create").sync(
        client=ann, body=model(gen, "ProgressInputRequest")(workout=legs.pk, progress_percentage=100)
    )
    assert isinstance(progress, model(gen, "Progress")) and progress.completed_at is not None

    sets = model(gen, "ExerciseSetRequest")
    for days_ago, load in ((3, 100.0), (1, 105.0)):
        started = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days_ago)
        session = api(gen, "workouts.workouts_sessions_create").sync(
            client=ann,
            body=model(gen, "SessionInputRequest")(
                workout=legs.pk,
                started_at=started,
                ended_at=started + datetime.timedelta(minutes=50),
                sets=[sets(exercise=squat.pk, reps=5, weight_kg=load) for _ in range(3)],
            ),
        )
        assert isinstance(session, model(gen, "Session")) and [s.set_number for s in session.sets] == [1, 2, 3]
    history = api(gen, "workouts.workouts_sessions_list").sync(client=ann)
    assert isinstance(history, model(gen, "PaginatedSessionListList")) and len(history.results) == 2
    [record] = api(gen, "workouts.workouts_records_list").sync(client=ann)
    assert record.heaviest_weight_kg == 105 and record.estimated_1rm_kg == round(105 * (1 + 5 / 30), 1)

    enrolled = api(gen, "workouts.workouts_programs_enroll_create").sync(
        client=ann, id=program.pk, body=model(gen, "EnrollInputRequest")()
    )
    assert isinstance(enrolled, model(gen, "Enrollment")) and enrolled.current_day == 1
    today = api(gen, "workouts.workouts_programs_today_retrieve").sync(client=ann, id=program.pk)
    assert isinstance(today, model(gen, "Today")) and today.state.value == "workout" and today.workout.id == legs.pk

    earned = {a.code for a in api(gen, "workouts.workouts_achievements_list").sync(client=ann) if a.earned}
    assert {"first_workout", "personal_record"} <= earned

    partner = as_key(make_api_key(tenant, scopes=["workouts:read"]).secret)
    seen = api(gen, "workouts.workouts_sessions_list").sync(client=partner, user=ann_id)
    assert isinstance(seen, model(gen, "PaginatedSessionListList")) and len(seen.results) == 2


def health_journey(gen: ModuleType, ann: Any, *, tenant: Tenant, ann_id: int, as_key: Any) -> None:
    """Ann's phone syncs a day of samples in one batch (twice: nothing new), logs her weight, reads a
    summary, the latest values and her weekly report, and syncs incrementally; her partner reads it."""
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    sample = model(gen, "SampleInputRequest")
    metric = model(gen, "MetricEnum")
    samples = [
        sample(
            metric=metric("steps"),
            value=500.0 + i,
            start_time=now - datetime.timedelta(hours=10 - i),
            end_time=now - datetime.timedelta(hours=10 - i, minutes=-10),
            external_id=f"phone-{i}",
        )
        for i in range(8)
    ] + [sample(metric=metric("heart_rate"), value=1.1, unit="count/s", start_time=now - datetime.timedelta(hours=1))]
    batch = model(gen, "BatchInputRequest")(samples=samples)
    first = api(gen, "health.health_data_batch_create").sync(client=ann, body=batch)
    assert isinstance(first, model(gen, "BatchResult")) and (first.created, first.unchanged) == (9, 0)
    again = api(gen, "health.health_data_batch_create").sync(client=ann, body=batch)
    assert (again.created, again.unchanged) == (0, 9)

    weighed = api(gen, "health.health_weight_create").sync(
        client=ann,
        body=model(gen, "WeightInputRequest")(
            value=134.0, unit=model(gen, "WeightUnitEnum")("lb"), measured_at=now - datetime.timedelta(minutes=5)
        ),
    )
    assert abs(weighed.samples[0].value - 134 * 0.45359237) < 1e-9
    assert api(gen, "users.users_me_retrieve").sync(client=ann).profile.weight_kg == 60.78

    day = api(gen, "health.health_summary_retrieve").sync(client=ann, metric=metric("steps"))
    assert isinstance(day, model(gen, "Summary")) and sum(b.sum_ for b in day.buckets) == sum(500 + i for i in range(8))
    latest = {row.metric.value: row.sample.value for row in api(gen, "health.health_data_latest_list").sync(client=ann)}
    assert latest["heart_rate"] == 66.0 and latest["steps"] == 507.0
    report = api(gen, "health.health_reports_weekly_retrieve").sync(client=ann)
    assert isinstance(report, model(gen, "WeeklyReport"))

    synced = api(gen, "health.health_sync_retrieve").sync(client=ann)
    assert isinstance(synced, model(gen, "Sync")) and synced.next_cursor

    partner = as_key(make_api_key(tenant, scopes=["health:read"]).secret)
    seen = api(gen, "health.health_data_list").sync(client=partner, user=ann_id, metric=metric("steps"))
    assert isinstance(seen, model(gen, "PaginatedSampleList")) and len(seen.results) == 8


def planning_journey(gen: ModuleType, ann: Any, *, tenant: Tenant, ann_id: int, as_key: Any, tmp_path: Path) -> None:
    """Ann's app generates her a meal plan and a program; she reads them, shops, swaps a meal, re-plans."""
    from meal.tests import planning_data
    from workout.importers import import_exercises

    tmp_path.mkdir()
    planning_data.load(planning_data.write_subset(tmp_path, step=8))
    import_exercises(Path(__file__).resolve().parents[2] / "workout" / "data" / "exercises.json.gz")
    partner = as_key(make_api_key(tenant, scopes=["nutrition:read", "nutrition:write", "workouts:write"]).secret)

    accepted = api(gen, "nutrition.nutrition_plans_generate_create").sync(
        client=partner,
        body=model(gen, "MealPlanGenerateRequest")(
            user=ann_id,
            days=2,
            meals_per_day=4,
            targets=model(gen, "GenerateTargetsRequest")(kcal=1900, protein_g=90, carbohydrate_g=240, fat_g=60),
            preferences=model(gen, "GeneratePreferencesRequest")(cuisines=["mediterranean"]),
            seed=5,
        ),
    )
    assert isinstance(accepted, model(gen, "GenerationAccepted"))
    plan = api(gen, "nutrition.nutrition_plans_retrieve").sync(client=ann, id=accepted.plan)
    assert isinstance(plan, model(gen, "MealPlanDetail"))
    assert plan.generation_status.value == "ready" and plan.source.value == "optimizer"
    assert [len(day.meals) for day in plan.days] == [4, 4]

    shopping = api(gen, "nutrition.nutrition_plans_shopping_list_retrieve").sync(client=ann, id=plan.id)
    assert isinstance(shopping, model(gen, "ShoppingList")) and shopping.total_items > 0

    lunch = next(meal for meal in plan.days[0].meals if meal.meal_time.value == "lunch")
    swapped = api(gen, "nutrition.nutrition_plans_days_meals_swap_create").sync(
        client=partner, id=plan.id, day=1, meal=lunch.id
    )
    assert isinstance(swapped, model(gen, "SwapResult")) and swapped.replaced_meal == lunch.meal

    adapted = api(gen, "nutrition.nutrition_plans_adapt_create").sync(client=partner, id=plan.id)
    assert isinstance(adapted, model(gen, "AdaptResult")) and adapted.change.changed is False
    history = api(gen, "nutrition.nutrition_targets_history_list").sync(client=ann)
    assert isinstance(history, model(gen, "PaginatedTargetChangeList"))
    assert [row.id for row in history.results][:1] == [adapted.change.id]

    started = api(gen, "workouts.workouts_programs_generate_create").sync(
        client=partner,
        body=model(gen, "ProgramGenerateRequest")(
            user=ann_id,
            weeks=4,
            days_per_week=3,
            session_minutes=45,
            goal=model(gen, "WorkoutGoalEnum")("general_fitness"),
            equipment=[model(gen, "EquipmentEnum")("dumbbell")],
            experience=model(gen, "LevelEnum")("beginner"),
        ),
    )
    assert isinstance(started, model(gen, "ProgramGenerationAccepted"))
    program = api(gen, "workouts.workouts_programs_retrieve").sync(client=ann, id=started.program)
    assert isinstance(program, model(gen, "ProgramDetail"))
    assert program.generation_status.value == "ready" and program.owner == ann_id and len(program.days) == 28


def test_a_generated_client_completes_the_journey(
    client_package: ModuleType, live_server: Any, tenant: Tenant, tmp_path: Path
):
    gen = client_package
    anonymous = gen.Client(base_url=live_server.url, raise_on_unexpected_status=True)

    def as_user(token: str) -> Any:
        return gen.AuthenticatedClient(base_url=live_server.url, token=token, raise_on_unexpected_status=True)

    def as_key(secret: str) -> Any:
        return gen.AuthenticatedClient(
            base_url=live_server.url,
            token=secret,
            prefix="",
            auth_header_name="X-API-Key",
            raise_on_unexpected_status=True,
        )

    # --- a person signs up in the app -------------------------------------------------
    registered = api(gen, "auth.auth_register_create").sync(
        client=anonymous,
        body=model(gen, "RegisterRequest")(email="ann@acme.example", password=PASSWORD, first_name="Ann"),
        x_tenant=tenant.slug,
    )
    assert isinstance(registered, model(gen, "AuthTokens"))
    assert isinstance(registered.user, model(gen, "User")) and registered.user.email == "ann@acme.example"

    signed_in = api(gen, "auth.auth_login_create").sync(
        client=anonymous,
        body=model(gen, "LoginRequest")(email="ann@acme.example", password=PASSWORD),
        x_tenant=tenant.slug,
    )
    assert isinstance(signed_in, model(gen, "AuthTokens"))
    ann = as_user(signed_in.access)

    # A new user's profile is all "not set": null, which the generated enums accept.
    me = api(gen, "users.users_me_retrieve").sync(client=ann)
    assert isinstance(me, model(gen, "Me"))
    assert me.profile.sex is None and me.profile.activity_level is None and me.profile.dietary_pattern is None

    # Every profile field, through the generated request model.
    profile_input = model(gen, "ProfileInputRequest")(
        birth_date=datetime.date(1990, 5, 1),
        sex=model(gen, "SexEnum")("female"),
        height_cm=168.54,  # rounded to 168.5
        weight_kg=61.25,
        activity_level=model(gen, "ActivityLevelEnum")("moderate"),
        fitness_goal=model(gen, "FitnessGoalEnum")("lose"),
        dietary_pattern=model(gen, "DietaryPatternEnum")("vegetarian"),
        allergens=[model(gen, "AllergensEnum")("peanuts"), model(gen, "AllergensEnum")("milk")],
        excluded_foods=["okra"],
        units=model(gen, "UnitsEnum")("imperial"),
        timezone=model(gen, "TimezoneEnum")("Europe/Berlin"),
        language=model(gen, "LanguageEnum")("de"),
        marketing_opt_in=True,
    )
    updated = api(gen, "users.users_me_partial_update").sync(
        client=ann, body=model(gen, "PatchedMeUpdateInputRequest")(last_name="Lee", profile=profile_input)
    )
    assert isinstance(updated, model(gen, "Me"))
    profile = updated.profile
    assert (updated.last_name, profile.height_cm, profile.weight_kg) == ("Lee", 168.5, 61.25)
    assert (profile.sex.value, profile.timezone, profile.language) == ("female", "Europe/Berlin", "de")
    assert [a.value for a in profile.allergens] == ["peanuts", "milk"] and profile.age is not None
    assert profile.marketing_opt_in_at is not None

    # Clearing a choice is sending null.
    cleared = api(gen, "users.users_me_partial_update").sync(
        client=ann,
        body=model(gen, "PatchedMeUpdateInputRequest")(profile=model(gen, "ProfileInputRequest")(sex=None)),
    )
    assert isinstance(cleared, model(gen, "Me")) and cleared.profile.sex is None

    settings_now = api(gen, "users.users_me_settings_retrieve").sync(client=ann)
    assert isinstance(settings_now, model(gen, "UserSettings")) and settings_now.units.value == "imperial"

    dashboard = api(gen, "users.users_me_dashboard_retrieve").sync(client=ann)
    assert isinstance(dashboard, model(gen, "UserDashboard"))
    assert dashboard.metrics.bmi.value is not None and dashboard.profile.sex is None

    export = api(gen, "users.users_me_export_retrieve").sync(client=ann)
    assert isinstance(export, model(gen, "PersonalDataExport")) and export.user_id == me.id

    # --- nutrition: Ann (profile complete) eats by plan; her app's backend reads her diary -----
    nutrition_journey(gen, ann, tenant=tenant, ann_id=me.id, as_key=as_key)
    workouts_journey(gen, ann, tenant=tenant, ann_id=me.id, as_key=as_key, anonymous=anonymous)
    health_journey(gen, ann, tenant=tenant, ann_id=me.id, as_key=as_key)
    planning_journey(gen, ann, tenant=tenant, ann_id=me.id, as_key=as_key, tmp_path=tmp_path / "sr28")

    pair = api(gen, "auth.auth_token_refresh_create").sync(
        client=anonymous, body=model(gen, "SessionRefreshRequest")(refresh=signed_in.refresh)
    )
    assert isinstance(pair, model(gen, "TokenPair"))
    signed_out = api(gen, "auth.auth_logout_create").sync(
        client=anonymous, body=model(gen, "LogoutRequest")(refresh=pair.refresh)
    )
    assert isinstance(signed_out, model(gen, "AuthMessage"))

    # --- a partner's backend manages its users ------------------------------------------
    partner = as_key(make_api_key(tenant, scopes=["users:write", "users:tokens"]).secret)
    created = api(gen, "users.users_create").sync(
        client=partner, body=model(gen, "ManagedUserCreateInputRequest")(email="bo@acme.example", first_name="Bo")
    )
    assert isinstance(created, model(gen, "ManagedUser")) and created.has_password is False
    minted = api(gen, "users.users_tokens_create").sync(client=partner, id=created.id)
    assert isinstance(minted, model(gen, "UserTokenPair"))
    as_bo = api(gen, "users.users_me_retrieve").sync(client=as_user(minted.access))
    assert isinstance(as_bo, model(gen, "Me")) and as_bo.email == "bo@acme.example"

    listed = api(gen, "users.users_list").sync(
        client=partner,
        is_active=True,
        role=model(gen, "UsersListRole")("member"),
        email="acme.example",
        joined_after=datetime.date(2000, 1, 1),
        ordering=[model(gen, "UsersListOrderingItem")("-date_joined")],
        limit=5,
    )
    assert isinstance(listed, model(gen, "PaginatedManagedUserListList"))
    assert [row.email for row in listed.results] == ["bo@acme.example", "ann@acme.example"]

    # --- notifications: Bo's app registers for push, sets preferences, reads a partner message ---
    bo = as_user(minted.access)
    device = api(gen, "notifications.notifications_devices_create").sync(
        client=bo,
        body=model(gen, "DeviceRegisterInputRequest")(
            platform=model(gen, "PlatformEnum")("android"), token="fcm:bo-phone", app_version="2.4.0"
        ),
    )
    assert isinstance(device, model(gen, "Device")) and device.active is True
    devices = api(gen, "notifications.notifications_devices_list").sync(client=bo)
    assert [d.id for d in devices] == [device.id]
    preferences = api(gen, "notifications.notifications_preferences_retrieve").sync(client=bo)
    assert isinstance(preferences, model(gen, "Preferences")) and preferences.quiet_hours is None
    assert preferences.types.account.email is True and preferences.locked == ["account.email"]
    switches = model(gen, "ChannelSwitchesRequest")
    types = model(gen, "NotificationTypeSwitchesRequest")(
        partner=switches(email=True), weekly_report=switches(push=False)
    )
    replaced = api(gen, "notifications.notifications_preferences_update").sync(
        client=bo,
        body=model(gen, "PreferencesInputRequest")(
            types=types, quiet_hours=model(gen, "QuietHoursRequest")(start="22:00", end="07:00"), daily_digest=True
        ),
    )
    assert isinstance(replaced, model(gen, "Preferences"))
    assert replaced.types.partner.email is True and replaced.quiet_hours.start == "22:00"

    messenger = as_key(make_api_key(tenant, scopes=["notifications:write"]).secret)
    sent = api(gen, "notifications.notifications_send_create").sync(
        client=messenger,
        body=model(gen, "PartnerSendInputRequest")(
            user=created.id, title="Class moved", body="Yoga is at 7 today.", link="/classes/9", dedupe_key="c9"
        ),
    )
    assert isinstance(sent, model(gen, "Notification")) and sent.type_.value == "partner"
    inbox = api(gen, "notifications.notifications_list").sync(client=bo, unread=True, page_size=10)
    assert isinstance(inbox, model(gen, "PaginatedNotificationList"))
    assert [n.title for n in inbox.results] == ["Class moved"] and inbox.results[0].link == "/classes/9"
    count = api(gen, "notifications.notifications_unread_count_retrieve").sync(client=bo)
    assert isinstance(count, model(gen, "UnreadCount")) and count.count == 1
    read = api(gen, "notifications.notifications_read_create").sync(client=bo, id=sent.id)
    assert isinstance(read, model(gen, "Notification")) and read.read_at is not None
    marked = api(gen, "notifications.notifications_read_all_create").sync(
        client=bo, body=model(gen, "ReadAllInputRequest")()
    )
    assert isinstance(marked, model(gen, "ReadAll")) and marked.marked == 0
    status = api(gen, "notifications.notifications_list").sync(client=messenger, user=created.id)
    assert isinstance(status, model(gen, "PaginatedNotificationList")) and status.results[0].id == sent.id
    gone = api(gen, "notifications.notifications_devices_destroy").sync_detailed(client=bo, id=device.id)
    assert gone.status_code == 204

    # --- payments: Bo subscribes, Stripe confirms by webhook, Bo cancels and resumes --------------
    payments_journey(gen, bo, messenger_tenant=tenant, bo_id=created.id, live_server=live_server, as_key=as_key)

    # --- a tenant admin manages the tenant's keys ------------------------------------------
    admin = UserFactory.create(tenant=tenant, email="boss@acme.example", role=User.Role.TENANT_ADMIN)
    admin.set_password(PASSWORD)
    admin.save()
    boss_tokens = api(gen, "auth.auth_login_create").sync(
        client=anonymous, body=model(gen, "LoginRequest")(email=admin.email, password=PASSWORD), x_tenant=tenant.slug
    )
    boss = as_user(boss_tokens.access)
    key = api(gen, "tenant.tenant_api_keys_create").sync(
        client=boss,
        body=model(gen, "ApiKeyCreateRequest")(name="reporting", scopes=[model(gen, "ScopesEnum")("users:read")]),
    )
    assert isinstance(key, model(gen, "ApiKeyCreated")) and [s.value for s in key.scopes] == ["users:read"]
    reader = as_key(key.key)
    assert isinstance(api(gen, "users.users_list").sync(client=reader), model(gen, "PaginatedManagedUserListList"))

    revoked = api(gen, "tenant.tenant_api_keys_revoke_create").sync(client=boss, id=key.id)
    assert isinstance(revoked, model(gen, "ApiKey")) and revoked.revoked_at is not None
    refused = api(gen, "users.users_list").sync(client=reader)
    assert isinstance(refused, model(gen, "Problem")) and refused.code == "api_key_revoked"
