"""The endpoints `make bench` load-tests, and how each one gets its credentials.

Adding an endpoint
==================

Append an ``Endpoint`` to ``ENDPOINTS`` below::

    Endpoint("workouts-list", "/api/v1/workouts/", auth="jwt", seed=seed_member)

Fields:

``name``
    Unique, short; it is the key in ``bench/results/latest.json`` and the table.
``path``
    Request path. It may contain ``{placeholders}`` that the seed function fills
    (e.g. ``"/api/v1/workouts/{workout_id}/"`` with a seed returning ``workout_id``).
``method``
    HTTP method, ``"GET"`` by default. Prefer idempotent endpoints: wrk repeats the
    same request thousands of times, so a ``POST`` creates thousands of rows.
``body``
    Optional JSON-serialisable body, sent as ``application/json``.
``auth``
    ``None`` (anonymous), ``"jwt"`` (sent as ``Authorization: Bearer <token>``) or
    ``"api_key"`` (sent as ``X-API-Key: <key>``).
``seed``
    ``None`` or a function called once, inside Django (settings loaded, database
    migrated, same environment as the gunicorn under test), before any request is
    made. It creates whatever rows the endpoint needs and returns a ``dict[str, str]``:

    * ``"jwt"``: the access token, required when ``auth="jwt"``;
    * ``"api_key"``: the raw key, required when ``auth="api_key"``;
    * a key named by a ``{placeholder}`` in ``path``: its value;
    * anything else: an extra request header, sent verbatim (e.g. ``{"X-Tenant": "acme"}``).

    Import models *inside* the function: this module is also imported by the
    harness, which never loads Django. Endpoints sharing one seed function share
    its result (it runs once), so a common ``seed_member`` creates one user.

Each endpoint must answer 2xx: the harness counts every other status as an error
and refuses to run if the one-request SQL check gets anything else. Mind the DRF
throttles (``THROTTLE_RATE_USER`` / ``THROTTLE_RATE_ANON``) for throttled views.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

AuthKind = Literal["jwt", "api_key"]
SeedFn = Callable[[], dict[str, str]]

# auth kind -> (header name, how the seeded credential is written into it)
AUTH_HEADERS: dict[str, tuple[str, str]] = {
    "jwt": ("Authorization", "Bearer {}"),
    "api_key": ("X-API-Key", "{}"),
}


@dataclass(frozen=True)
class Endpoint:
    """One request shape to load-test; see the module docstring for the fields."""

    name: str
    path: str
    method: str = "GET"
    auth: AuthKind | None = None
    seed: SeedFn | None = None
    body: Any = field(default=None, compare=False)

    def path_fields(self) -> set[str]:
        """Placeholder names in the path: these seed values are not sent as headers."""
        return {name for _, name, _, _ in string.Formatter().parse(self.path) if name}

    def resolved_path(self, seeded: Mapping[str, str]) -> str:
        """The path with its placeholders filled from the seed's values."""
        fields = self.path_fields()
        if not fields:
            return self.path
        missing = fields - seeded.keys()
        if missing:
            raise ValueError(f"endpoint {self.name!r}: seed returned no value for {sorted(missing)}")
        return self.path.format_map({key: seeded[key] for key in fields})

    def headers(self, seeded: Mapping[str, str]) -> dict[str, str]:
        """HTTP headers for the request: the auth header plus any extra seeded headers."""
        headers: dict[str, str] = {}
        if self.auth is not None:
            header, template = AUTH_HEADERS[self.auth]
            if not seeded.get(self.auth):
                raise ValueError(
                    f"endpoint {self.name!r} has auth={self.auth!r} but its seed returned no {self.auth!r}"
                )
            headers[header] = template.format(seeded[self.auth])
        reserved = set(AUTH_HEADERS) | self.path_fields()
        headers.update({key: value for key, value in seeded.items() if key not in reserved})
        return headers


BENCH_TENANT = "bench-partner"
BENCH_USERS = 200


def seed_partner() -> dict[str, str]:
    """A partner tenant with BENCH_USERS end users, and an API key that may read them."""
    from authapp.services import api_key_create
    from users.models import Tenant, User

    tenant = Tenant.objects.create(slug=BENCH_TENANT, name="Bench Partner")
    for i in range(BENCH_USERS):
        User.objects.create_user(f"user{i}@bench.example", None, tenant=tenant, first_name=f"User {i}")
    return {"api_key": api_key_create(tenant=tenant, name="bench", scopes=["users:read"]).secret}


def seed_member() -> dict[str, str]:
    """One signed-in end user of our own app."""
    from authapp.tokens import issue_token_pair
    from users.models import User

    user = User.objects.create_user("member@bench.example", "bench-password-not-secret", first_name="Member")
    return {"jwt": issue_token_pair(user)["access"]}


BENCH_INBOX = 500


def seed_inbox() -> dict[str, str]:
    """A signed-in user with BENCH_INBOX notifications, a third of them unread (through notify(), as in life)."""
    from django.utils import timezone

    from authapp.tokens import issue_token_pair
    from notification.models import Notification
    from notification.services import notify
    from users.models import User

    user = User.objects.create_user("inbox@bench.example", "bench-password-not-secret", first_name="Inbox")
    for i in range(BENCH_INBOX):
        notify(user=user, type="partner", title=f"Message {i}", body="A partner's message.", data={"n": i})
    inbox = Notification.objects.for_tenant(user.tenant_id).filter(user=user)
    unread = list(inbox.order_by("id").values_list("id", flat=True))[::3]
    inbox.exclude(id__in=unread).update(read_at=timezone.now())
    return {"jwt": issue_token_pair(user)["access"]}


BENCH_PLAN_ID = 900_001
BENCH_LEDGER = 60
BENCH_WEBHOOK_CUSTOMERS = 104  # 4 warm the workers up, 100 are measured


def _bench_plan() -> Any:
    from payment.models import Plan

    plan, _ = Plan.objects.get_or_create(
        pk=BENCH_PLAN_ID,
        defaults={
            "code": "bench-monthly",
            "name": "Bench monthly",
            "interval": "monthly",
            "amount": 999,
            "stripe_price_id": "price_bench_monthly",
            "trial_days": 7,
        },
    )
    Plan.objects.get_or_create(
        code="bench-lifetime",
        defaults={
            "name": "Bench lifetime",
            "interval": "lifetime",
            "amount": 19900,
            "stripe_price_id": "price_bench_life",
        },
    )
    return plan


def seed_subscriber() -> dict[str, str]:
    """A subscriber with a running monthly plan and BENCH_LEDGER ledger lines, and the users
    (with Stripe customers) whose life cycles bench/webhooks.py posts."""
    from datetime import timedelta

    from django.utils import timezone

    from authapp.tokens import issue_token_pair
    from payment.models import Subscription, Transaction
    from users.models import User

    plan = _bench_plan()
    user = User.objects.create_user("subscriber@bench.example", "bench-password-not-secret", first_name="Sub")
    now = timezone.now()
    Subscription.objects.create(
        tenant=user.tenant,
        user=user,
        plan=plan,
        status="active",
        current_period_start=now,
        current_period_end=now + timedelta(days=30),
        gateway_customer_id="cus_bench_subscriber",
        gateway_subscription_id="sub_bench_subscriber",
    )
    Transaction.objects.bulk_create(
        Transaction(
            tenant=user.tenant,
            user=user,
            plan=plan,
            amount=999,
            currency="usd",
            kind="charge",
            status="succeeded",
            gateway_transaction_id=f"in_bench_ledger_{i}",
        )
        for i in range(BENCH_LEDGER)
    )
    for i in range(BENCH_WEBHOOK_CUSTOMERS):
        customer = User.objects.create_user(f"webhook{i}@bench.example", None, first_name=f"Webhook {i}")
        Subscription.objects.create(tenant=customer.tenant, user=customer, gateway_customer_id=f"cus_bench_{i}")
    return {"jwt": issue_token_pair(user)["access"]}


def seed_buyer() -> dict[str, str]:
    """A signed-in user without a subscription, about to check out (Stripe answered by the stub)."""
    from authapp.tokens import issue_token_pair
    from users.models import User

    _bench_plan()
    user = User.objects.create_user("buyer@bench.example", "bench-password-not-secret", first_name="Buyer")
    return {"jwt": issue_token_pair(user)["access"]}


def seed_foods() -> dict[str, str]:
    """The shipped USDA SR28 food database (8,790 foods, as `make run` loads it) and a partner key."""
    from authapp.services import api_key_create
    from meal.importers.usda_sr import SHIPPED_DIR, import_usda_sr
    from users.models import Tenant

    import_usda_sr(SHIPPED_DIR)
    tenant = Tenant.objects.create(slug="bench-nutrition", name="Bench Nutrition")
    return {"api_key": api_key_create(tenant=tenant, name="bench", scopes=["nutrition:read"]).secret}


BENCH_DIARY_DAYS = 30
BENCH_DIARY_ENTRIES_PER_DAY = 8


def seed_diary() -> dict[str, str]:
    """A member with a complete profile, 30 days of diary (8 entries a day), and a 7-day x 4-meal plan
    of 3-item meals. Uses whatever foods exist (seed_foods runs first), else creates a few."""
    from datetime import date, timedelta
    from decimal import Decimal

    from authapp.tokens import issue_token_pair
    from meal.models import Food, FoodLogEntry, Meal, MealItem, MealPlan, ScheduledMeal, TargetChange
    from users.models import Profile, User

    user = User.objects.create_user("eater@bench.example", "bench-password-not-secret", first_name="Eater")
    Profile.objects.for_tenant(user.tenant_id).filter(user=user).update(
        birth_date=date(1990, 5, 17),
        sex="female",
        height_cm=Decimal("168"),
        weight_kg=Decimal("64"),
        activity_level="moderate",
        fitness_goal="maintain",
        timezone="UTC",
    )
    foods = list(Food.objects.filter(tenant__isnull=True).order_by("id")[:40])
    if not foods:
        foods = [
            Food.objects.create(
                name=f"Bench food {i}",
                source="usda_sr",
                source_id=f"b{i}",
                energy_kcal=100 + i,
                protein_g=5,
                carbohydrate_g=15,
                fat_g=3,
                micronutrients={"calcium_mg": 30.0},
            )
            for i in range(40)
        ]
    today = date.today()  # noqa: DTZ011 - the profile's zone is UTC, and so is the server's
    FoodLogEntry.objects.bulk_create(
        FoodLogEntry(
            tenant_id=user.tenant_id,
            user=user,
            date=today - timedelta(days=day),
            meal_time=("breakfast", "lunch", "dinner", "snack")[n % 4],
            food=foods[(day + n) % len(foods)],
            grams=50 + 10 * n,
        )
        for day in range(BENCH_DIARY_DAYS)
        for n in range(BENCH_DIARY_ENTRIES_PER_DAY)
    )
    plan = MealPlan.objects.create(
        tenant_id=user.tenant_id,
        user=user,
        name="Bench week",
        duration_days=7,
        target_kcal=2100,
        target_protein_g=110,
        target_carbohydrate_g=250,
        target_fat_g=70,
    )
    for day in range(1, 8):
        for slot, meal_time in enumerate(("breakfast", "lunch", "dinner", "snack")):
            meal = Meal.objects.create(
                tenant_id=user.tenant_id, user=user, name=f"D{day} {meal_time}", meal_time=meal_time
            )
            MealItem.objects.bulk_create(
                MealItem(
                    tenant_id=user.tenant_id,
                    meal=meal,
                    food=foods[(day * 4 + slot + k) % len(foods)],
                    grams=80,
                    position=k,
                )
                for k in range(3)
            )
            ScheduledMeal.objects.create(
                tenant_id=user.tenant_id, plan=plan, day_of_plan=day, meal_time=meal_time, meal=meal, position=slot
            )
    # A year of weekly adaptive re-planning in the targets history.
    TargetChange.objects.bulk_create(
        TargetChange(
            tenant_id=user.tenant_id,
            user=user,
            trigger="weekly",
            week_start=today - timedelta(days=7 * week),
            changed=week % 3 != 0,
            kcal_before=2100,
            kcal_after=2100 - 25 * (week % 5),
            before={"kcal": 2100},
            after={"kcal": 2100 - 25 * (week % 5)},
            tdee_kcal=2350,
            reason="measured TDEE 2350 kcal/day",
            numbers={"intake_days": 21, "weighings_used": 18},
        )
        for week in range(52)
    )
    start = (today - timedelta(days=BENCH_DIARY_DAYS - 1)).isoformat()
    return {"jwt": issue_token_pair(user)["access"], "plan_id": str(plan.pk), "start": start, "end": today.isoformat()}


BENCH_WORKOUT_ID = 900_001
BENCH_SESSIONS = 200
BENCH_SETS_PER_SESSION = 12


def seed_workouts() -> dict[str, str]:
    """The shipped exercise catalogue and FitCore's seeded workouts and programs (as `make run` loads
    them), plus one known workout for the progress update, and a member who trains."""
    from authapp.tokens import issue_token_pair
    from users.models import User
    from workout.importers import SHIPPED_EXERCISES, import_exercises
    from workout.models import Workout
    from workout.seed import seed_catalogue

    import_exercises(SHIPPED_EXERCISES)
    seed_catalogue()
    Workout.objects.create(pk=BENCH_WORKOUT_ID, title="Bench progress", duration_minutes=20, published=True)
    user = User.objects.create_user("lifter@bench.example", "bench-password-not-secret", first_name="Lifter")
    return {"jwt": issue_token_pair(user)["access"]}


def seed_training() -> dict[str, str]:
    """A member with 200 back-dated sessions of 12 sets each (the history pages through them)."""
    from datetime import timedelta

    from django.utils import timezone

    from authapp.tokens import issue_token_pair
    from users.models import User
    from workout.models import Exercise, ExerciseSet, WorkoutSession

    user = User.objects.create_user("trainer@bench.example", "bench-password-not-secret", first_name="Trainer")
    exercises = list(Exercise.objects.filter(tenant__isnull=True).order_by("id")[:6]) or [
        Exercise.objects.create(source_id=f"bench-{n}", name=f"Bench exercise {n}") for n in range(6)
    ]
    now = timezone.now()
    sessions = WorkoutSession.objects.bulk_create(
        WorkoutSession(
            tenant_id=user.tenant_id,
            user=user,
            started_at=now - timedelta(days=n, hours=1),
            ended_at=now - timedelta(days=n),
        )
        for n in range(BENCH_SESSIONS)
    )
    ExerciseSet.objects.bulk_create(
        ExerciseSet(
            tenant_id=user.tenant_id,
            session=session,
            user=user,
            exercise=exercises[k % len(exercises)],
            set_number=k // len(exercises) + 1,
            reps=5 + k % 5,
            weight_kg=40 + 2.5 * k,
        )
        for session in sessions
        for k in range(BENCH_SETS_PER_SESSION)
    )
    return {"jwt": issue_token_pair(user)["access"]}


# Order matters only for the table. /healthz and /readyz are the baselines every
# ratio in latest.json is computed against: keep them.
BENCH_HEALTH_SAMPLES = 1_000_000
BENCH_HEALTH_EMAIL = "health@bench.example"


def seed_health() -> dict[str, str]:
    """One user with BENCH_HEALTH_SAMPLES samples over the last 365 days (heart rate every ~35 s, steps
    every tenth), written by one set-based INSERT as a year of syncing would leave them."""
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from authapp.tokens import issue_token_pair
    from users.models import User

    user = User.objects.create_user(BENCH_HEALTH_EMAIL, "bench-password-not-secret", first_name="Health")
    # bench/health.py COPYs its rows for this one, beside the API's for the first.
    User.objects.create_user("health-copy@bench.example", None, tenant=user.tenant, first_name="Copy")
    user.profile.timezone = "Europe/Berlin"
    user.profile.save(update_fields=["timezone"])
    now = timezone.now()
    step = 365 * 86_400 / BENCH_HEALTH_SAMPLES
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO health_sample (tenant_id, user_id, metric, value, stage, start_time, end_time, source,
                                       source_name, device, external_id, version, created_at, updated_at)
            SELECT %s, %s, CASE WHEN g %% 10 = 0 THEN 'steps' ELSE 'heart_rate' END, 50 + (g %% 70), '',
                   %s - g * make_interval(secs => %s), %s - g * make_interval(secs => %s),
                   'apple_health', 'Apple Watch', '', 'bench:' || g, 1, %s, %s
            FROM generate_series(1, %s) AS g
            """,
            [user.tenant_id, user.pk, now, step, now, step, now, now, BENCH_HEALTH_SAMPLES],
        )
        # A year of morning weights and weekly waist measurements for the weight and measurement logs.
        cursor.execute(
            """
            INSERT INTO health_sample (tenant_id, user_id, metric, value, stage, start_time, end_time, source,
                                       source_name, device, external_id, version, created_at, updated_at)
            SELECT %s, %s, m.metric, m.base - d * 0.01, '', %s - d * interval '1 day', %s - d * interval '1 day',
                   'manual', 'Scale', '', m.metric || ':' || d, 1, %s, %s
            FROM generate_series(1, 365) AS d,
                 (VALUES ('body_weight', 84.0, 1), ('waist_circumference', 95.0, 7)) AS m(metric, base, every)
            WHERE d %% m.every = 0
            """,
            [user.tenant_id, user.pk, now, now, now, now],
        )
        # As autovacuum leaves an insert-mostly table (PostgreSQL 13+ vacuums after inserts too): the
        # visibility map set, so the summary's covering index answers without reading the table.
        cursor.execute("VACUUM ANALYZE health_sample")
    from health.models import HealthImport

    HealthImport.objects.bulk_create(
        HealthImport(
            tenant_id=user.tenant_id,
            user=user,
            format="apple_health",
            status="succeeded",
            file_name=f"export-{n}.zip",
            file_size=50_000_000,
            read_counts={"HKQuantityTypeIdentifierHeartRate": 900_000, "Workout": 120},
            sample_counts={"created": 900_000, "updated": 0, "unchanged": 0},
        )
        for n in range(5)
    )
    local_today = now.date()
    return {
        "jwt": issue_token_pair(user)["access"],
        "month_start": (local_today - timedelta(days=29)).isoformat(),
        "year_start": (local_today - timedelta(days=364)).isoformat(),
        "today": local_today.isoformat(),
    }


ENDPOINTS: list[Endpoint] = [
    # Liveness: the whole stack (gunicorn, middleware, DRF) with no I/O at all.
    Endpoint("healthz", "/healthz"),
    # Readiness: one `SELECT 1`, a cache write + read and a broker ping.
    Endpoint("readyz", "/readyz"),
    # A partner's backend paging through its users (limit/offset with a count).
    Endpoint("users-list", "/api/v1/users/?limit=20", auth="api_key", seed=seed_partner),
    # The app loading its signed-in user's profile.
    Endpoint("users-me", "/api/v1/users/me/", auth="jwt", seed=seed_member),
    # The app opening its notification inbox (cursor pagination, 20 a page) and its badge.
    Endpoint("inbox", "/api/v1/notifications/?page_size=20", auth="jwt", seed=seed_inbox),
    Endpoint("unread-count", "/api/v1/notifications/unread-count/", auth="jwt", seed=seed_inbox),
    # Payments: the plans screen, the subscription badge, the ledger (cursor, 20 a page), and a
    # checkout: our checks, the customer row, and one call to Stripe (the local stub, over HTTP).
    Endpoint("plans", "/api/v1/payments/plans/", auth="jwt", seed=seed_subscriber),
    Endpoint("subscription", "/api/v1/payments/subscription/", auth="jwt", seed=seed_subscriber),
    Endpoint("transactions", "/api/v1/payments/transactions/", auth="jwt", seed=seed_subscriber),
    Endpoint(
        "checkout",
        "/api/v1/payments/checkout/",
        method="POST",
        body={"plan": BENCH_PLAN_ID},
        auth="jwt",
        seed=seed_buyer,
    ),
    # Nutrition: a partner searching the food database (ranked full-text + trigram on PostgreSQL),
    # the app's diary day, a 30-day diary summary, and a 7-day x 4-meal plan with per-day totals.
    Endpoint("food-search", "/api/v1/nutrition/foods/?search=chicken%20breast", auth="api_key", seed=seed_foods),
    Endpoint("diary-day", "/api/v1/nutrition/diary/", auth="jwt", seed=seed_diary),
    Endpoint("diary-summary", "/api/v1/nutrition/diary/summary/?start={start}&end={end}", auth="jwt", seed=seed_diary),
    Endpoint("plan-detail", "/api/v1/nutrition/plans/{plan_id}/", auth="jwt", seed=seed_diary),
    # The plan's shopping list (summed in SQL, grouped by category) and a year of target changes.
    # Generating plans and programs is timed apart (bench/django_side.py planning): each is a task.
    Endpoint("plan-shopping-list", "/api/v1/nutrition/plans/{plan_id}/shopping-list/", auth="jwt", seed=seed_diary),
    Endpoint("targets-history", "/api/v1/nutrition/targets/history/", auth="jwt", seed=seed_diary),
    # Workouts: the catalogue with filters as the app's browse screen asks for it, signed out and
    # signed in; a member's training history (cursor pages of sessions with set counts and volume);
    # and a progress update (the same value again: an idempotent 200).
    Endpoint(
        "workouts-anon", "/api/v1/workouts/?difficulty=beginner&max_duration=60&ordering=title", seed=seed_workouts
    ),
    Endpoint(
        "workouts-jwt",
        "/api/v1/workouts/?difficulty=beginner&max_duration=60&ordering=title",
        auth="jwt",
        seed=seed_workouts,
    ),
    Endpoint("session-history", "/api/v1/workouts/sessions/?page_size=20", auth="jwt", seed=seed_training),
    # The programs a member may follow: FitCore's, the tenant's, and their own generated ones.
    Endpoint("programs", "/api/v1/workouts/programs/", auth="jwt", seed=seed_workouts),
    Endpoint(
        "progress-update",
        "/api/v1/workouts/progress/",
        method="POST",
        body={"workout": BENCH_WORKOUT_ID, "progress_percentage": 50},
        auth="jwt",
        seed=seed_workouts,
    ),
    # Health: one user with 1,000,000 samples. bench/health.py times the 365-day summary one request at a
    # time (each aggregates 900,000 rows: under wrk's 16 connections it would only queue), ingestion
    # against COPY, and the Apple import.
    Endpoint("health-metrics", "/api/v1/health/metrics/", auth="jwt", seed=seed_health),
    Endpoint("health-data", "/api/v1/health/data/?metric=heart_rate&page_size=100", auth="jwt", seed=seed_health),
    Endpoint("health-latest", "/api/v1/health/data/latest/", auth="jwt", seed=seed_health),
    Endpoint("health-sync", "/api/v1/health/sync/?limit=500", auth="jwt", seed=seed_health),
    Endpoint("health-weight", "/api/v1/health/weight/", auth="jwt", seed=seed_health),
    Endpoint("health-measurements", "/api/v1/health/measurements/", auth="jwt", seed=seed_health),
    Endpoint("health-imports", "/api/v1/health/imports/", auth="jwt", seed=seed_health),
    Endpoint("health-report", "/api/v1/health/reports/weekly/", auth="jwt", seed=seed_health),
    Endpoint(
        "health-summary-30d",
        "/api/v1/health/summary/?metric=heart_rate&bucket=day&start={month_start}&end={today}",
        auth="jwt",
        seed=seed_health,
    ),
]


def validate(endpoints: list[Endpoint]) -> None:
    """Fail before any work if the registry is inconsistent."""
    names = [endpoint.name for endpoint in endpoints]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"duplicate endpoint names: {duplicates}")
    for endpoint in endpoints:
        if endpoint.auth is not None and endpoint.auth not in AUTH_HEADERS:
            raise ValueError(f"endpoint {endpoint.name!r}: unknown auth kind {endpoint.auth!r}")
        if endpoint.auth is not None and endpoint.seed is None:
            raise ValueError(f"endpoint {endpoint.name!r}: auth={endpoint.auth!r} needs a seed that mints it")
        if not endpoint.path.startswith("/"):
            raise ValueError(f"endpoint {endpoint.name!r}: path must start with '/'")
