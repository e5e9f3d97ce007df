"""Demo data for `make run`: safe to run any number of times."""

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from users.models import DEFAULT_TENANT_SLUG, Tenant, User

DEMO_ADMIN_EMAIL = "admin@fitcore.local"
DEMO_ADMIN_PASSWORD = "fitcore-demo-admin"  # noqa: S105 - a published demo login, development only


DEMO_NOTIFICATIONS = [
    ("welcome", "system", "Welcome to the FitCore demo", "Explore the API at /api/docs/.", "/api/docs/"),
    ("weekly", "weekly_report", "Your week in review", "4 workouts, 12.5 km, 2,350 kcal burned.", "/reports/latest"),
    ("partner", "partner", "New class: Sunrise yoga", "Mondays at 7:00. Book a spot in the app.", "/classes/1"),
]


DEMO_PLANS = [
    ("premium-monthly", "Premium monthly", "monthly", 999, 7),
    ("premium-yearly", "Premium yearly", "yearly", 7999, 7),
    ("premium-lifetime", "Premium for life", "lifetime", 19900, 0),
]


DEMO_PLAN_NAME = "Balanced week"
# (name, meal time, [(SR28 NDB number, grams)])
DEMO_MEALS = [
    ("Overnight oats", "breakfast", [("08120", 80), ("01079", 250), ("09040", 120)]),
    ("Greek yogurt and almonds", "breakfast", [("01256", 250), ("12061", 30), ("09003", 150)]),
    ("Chickpea salad", "lunch", [("16057", 200), ("11090", 100), ("01123", 100)]),
    ("Chicken and rice bowl", "dinner", [("05064", 150), ("20045", 250), ("11090", 120)]),
    ("Salmon and sweet potato", "dinner", [("15076", 180), ("11507", 300), ("11090", 80)]),
    ("Apple and peanut butter", "snack", [("09003", 180), ("16098", 32)]),
]
DEMO_FOOD_IDS = sorted({ndb for _, _, items in DEMO_MEALS for ndb, _ in items})


class Command(BaseCommand):
    help = "Create the demo staff login and demo content (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-production", action="store_true", help="Seed even when DEBUG is off (never on a real deployment)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError("seed_demo creates a known staff password; it runs only with DEBUG on.")
        tenant = Tenant.objects.get(slug=DEFAULT_TENANT_SLUG)
        admin = User.objects.filter(tenant=tenant, email=DEMO_ADMIN_EMAIL).first()
        if admin is None:
            User.objects.create_superuser(DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, tenant=tenant)
            self.stdout.write(self.style.SUCCESS("Created the demo staff user."))
        else:
            self.stdout.write("Demo staff user already exists (password unchanged).")
        self.stdout.write(f"  Admin login: {DEMO_ADMIN_EMAIL} / {DEMO_ADMIN_PASSWORD}")
        self._demo_inbox(User.objects.get(tenant=tenant, email=DEMO_ADMIN_EMAIL))
        self._demo_plans()
        self._demo_foods(options["verbosity"])
        self._demo_meal_templates()
        self._demo_exercises(options["verbosity"])
        self._demo_workouts(options["verbosity"])
        self._demo_health(User.objects.get(tenant=tenant, email=DEMO_ADMIN_EMAIL))
        self._demo_generated(User.objects.get(tenant=tenant, email=DEMO_ADMIN_EMAIL))

    def _demo_plans(self) -> None:
        """FitCore's own plans (GET /api/v1/payments/plans/). The price ids are placeholders:
        point them at real Stripe Prices in the admin before taking payments."""
        from payment.models import Plan

        created = 0
        for code, name, interval, amount, trial in DEMO_PLANS:
            _, made = Plan.objects.get_or_create(
                tenant=None,
                code=code,
                defaults={
                    "name": name,
                    "interval": interval,
                    "amount": amount,
                    "currency": "usd",
                    "trial_days": trial,
                    "stripe_price_id": f"price_demo_{code}",
                },
            )
            created += made
        self.stdout.write(f"  Plans: {len(DEMO_PLANS)} ({created} new)")

    def _demo_foods(self, verbosity: int) -> None:
        """The USDA SR28 foods shipped in meal/data, imported once: --if-empty skips the import
        when they are there, so running `make run` again costs one COUNT."""
        self.stdout.write("  Foods: USDA SR28 from meal/data/usda_sr28 (imported once)")
        call_command("import_foods", "usda-sr", shipped=True, if_empty=True, verbosity=verbosity, stdout=self.stdout)

    def _demo_exercises(self, verbosity: int) -> None:
        """The public-domain exercise catalogue shipped in workout/data, imported once."""
        self.stdout.write("  Exercises: the catalogue from workout/data (imported once)")
        call_command("import_exercises", shipped=True, if_empty=True, verbosity=verbosity, stdout=self.stdout)

    def _demo_workouts(self, verbosity: int) -> None:
        """FitCore's published workouts and programs (workout/seed.py), built from the exercises
        just imported; the ones already there are left as they are."""
        from workout.seed import SeedError, seed_catalogue

        try:
            result = seed_catalogue(stdout=self.stdout if verbosity >= 2 else None)
        except SeedError as exc:
            raise CommandError(f"Workouts: {exc}") from None
        self.stdout.write(f"  Workouts: {result.summary()}")

    def _demo_meal_templates(self) -> None:
        """FitCore template meals and a 7-day template plan built from SR28 foods (by NDB number),
        for every app's members to copy (GET /api/v1/nutrition/meals/ and /plans/). Created once."""
        from meal.models import Food, Meal, MealPlan
        from meal.services import meal_create, meal_plan_create

        if MealPlan.objects.filter(tenant__isnull=True, name=DEMO_PLAN_NAME).exists():
            self.stdout.write("  Meal templates: already there")
            return
        foods = {f.source_id: f for f in Food.objects.filter(source="usda_sr", source_id__in=DEMO_FOOD_IDS)}
        if len(foods) < len(DEMO_FOOD_IDS):
            self.stdout.write("  Meal templates: skipped (the SR28 foods are not imported)")
            return
        meals: dict[str, Meal] = {}
        for name, meal_time, items in DEMO_MEALS:
            meals[name] = meal_create(
                tenant=None,
                user=None,
                name=name,
                meal_time=meal_time,
                items=[{"food": foods[ndb], "grams": grams} for ndb, grams in items],
            )
        rotation = [
            ("Overnight oats", "Chicken and rice bowl"),
            ("Greek yogurt and almonds", "Salmon and sweet potato"),
        ]
        schedule = []
        for day in range(1, 8):
            breakfast, dinner = rotation[day % 2]
            for meal_name in (breakfast, "Chickpea salad", "Apple and peanut butter", dinner):
                schedule.append({"day_of_plan": day, "meal": meals[meal_name]})
        meal_plan_create(
            tenant=None,
            user=None,
            data={
                "name": DEMO_PLAN_NAME,
                "description": "Four meals a day from the USDA database; copy it and make it yours.",
                "goal": "maintain",
                "duration_days": 7,
                "target_kcal": 2000,
                "target_protein_g": 120,
                "target_carbohydrate_g": 220,
                "target_fat_g": 65,
            },
            schedule=schedule,
        )
        self.stdout.write(f"  Meal templates: {len(meals)} meals and the plan {DEMO_PLAN_NAME!r}")

    def _demo_generated(self, user: User) -> None:
        """A generated 7-day meal plan and a 4-week program for the demo login, built here (not
        queued) so they are ready when the server starts; the profile gets body data if it has none."""
        from datetime import date
        from decimal import Decimal

        from meal.models import MealPlan
        from meal.planning import generation as meal_planning
        from users.models import Profile
        from workout.models import Program
        from workout.planning import service as program_planning

        if MealPlan.objects.filter(user=user).exclude(source="manual").exists():
            self.stdout.write("  Generated plans: already there")
            return
        profile = Profile.objects.for_tenant(user.tenant_id).get(user=user)
        body = {
            "birth_date": date(1988, 4, 12),
            "sex": "male",
            "height_cm": Decimal("180"),
            "weight_kg": Decimal("82"),
            "activity_level": "moderate",
            "fitness_goal": "lose",
        }
        missing = {name: value for name, value in body.items() if not getattr(profile, name)}
        if missing:
            for name, value in missing.items():
                setattr(profile, name, value)
            profile.save(update_fields=list(missing))
        plan = meal_planning.request_plan(
            user=user, request={"days": 7, "meals_per_day": 4, "seed": 1, "adaptive": True}, enqueue=False
        )
        meal_planning.run_plan(plan_id=plan.pk)
        program = program_planning.request_program(
            user=user,
            request={
                "weeks": 4,
                "days_per_week": 3,
                "session_minutes": 60,
                "goal": "hypertrophy",
                "equipment": ["dumbbell", "barbell", "cable"],
                "experience": "intermediate",
                "seed": 1,
            },
            enqueue=False,
        )
        program_planning.run_program(program_id=program.pk)
        states = (
            MealPlan.objects.get(pk=plan.pk).generation_status,
            Program.objects.get(pk=program.pk).generation_status,
        )
        self.stdout.write(f"  Generated plans: a 7-day meal plan ({states[0]}) and a 4-week program ({states[1]})")

    def _demo_health(self, user: User) -> None:
        """Two weeks of health data for the demo login (steps by the hour, resting heart rate, a weight
        every other morning, nights with sleep stages), through the ingestion upsert: summaries, the
        weekly report and sync have something to show. The same day seeded again is the same rows."""
        from datetime import UTC, datetime, time, timedelta

        from health.ingest import clean_sample
        from health.services import ingest_rows

        today = datetime.now(UTC).date()
        items: list[dict[str, Any]] = []
        for back in range(14, 0, -1):
            day = today - timedelta(days=back)
            midnight = datetime.combine(day, time(), tzinfo=UTC)
            for hour in range(7, 22):
                steps = 300 + (hour * 37 + back * 53) % 900
                items.append(
                    {
                        "metric": "steps",
                        "value": steps,
                        "start_time": (midnight + timedelta(hours=hour)).isoformat(),
                        "end_time": (midnight + timedelta(hours=hour + 1)).isoformat(),
                    }
                )
            items.append(
                {
                    "metric": "resting_heart_rate",
                    "value": 58 + back % 5,
                    "start_time": (midnight + timedelta(hours=7)).isoformat(),
                }
            )
            if back % 2 == 0:
                items.append(
                    {
                        "metric": "body_weight",
                        "value": round(82 - (14 - back) * 0.08, 2),
                        "start_time": (midnight + timedelta(hours=7, minutes=5)).isoformat(),
                    }
                )
            bedtime = midnight - timedelta(hours=1, minutes=back % 3 * 10)
            for stage, minutes in (("core", 200), ("deep", 80), ("rem", 95), ("awake", 15), ("core", 60)):
                items.append(
                    {
                        "metric": "sleep",
                        "stage": stage,
                        "start_time": bedtime.isoformat(),
                        "end_time": (bedtime + timedelta(minutes=minutes)).isoformat(),
                    }
                )
                bedtime += timedelta(minutes=minutes)
        now = datetime.now(UTC)
        rows = [
            clean_sample({**item, "source_name": "FitCore demo"}, prefix="", default_source="manual", now=now)
            for item in items
        ]
        counts = ingest_rows(user=user, rows=rows)
        self.stdout.write(f"  Health: {len(rows)} samples over 14 days for {user.email} (created {counts.created})")

    def _demo_inbox(self, user: User) -> None:
        """A few notifications to look at in GET /api/v1/notifications/ (dedupe keys: seeded once)."""
        from notification.services import notify

        for key, kind, title, body, link in DEMO_NOTIFICATIONS:
            notify(user=user, type=kind, title=title, body=body, link=link, dedupe_key=f"demo:{key}")
        self.stdout.write(f"  Demo inbox: {len(DEMO_NOTIFICATIONS)} notifications for {user.email}")
