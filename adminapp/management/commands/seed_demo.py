"""Demo data for `make run`: safe to run any number of times."""

from typing import Any

from django.conf import settings
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

    def _demo_inbox(self, user: User) -> None:
        """A few notifications to look at in GET /api/v1/notifications/ (dedupe keys: seeded once)."""
        from notification.services import notify

        for key, kind, title, body, link in DEMO_NOTIFICATIONS:
            notify(user=user, type=kind, title=title, body=body, link=link, dedupe_key=f"demo:{key}")
        self.stdout.write(f"  Demo inbox: {len(DEMO_NOTIFICATIONS)} notifications for {user.email}")
