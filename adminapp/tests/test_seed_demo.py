import pytest
from django.core.management import CommandError, call_command

from adminapp.management.commands.seed_demo import DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD
from users.models import User

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_a_staff_login_once(settings, capsys) -> None:
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    assert User.objects.filter(email=DEMO_ADMIN_EMAIL).count() == 1
    admin = User.objects.get(email=DEMO_ADMIN_EMAIL)
    assert admin.is_staff and admin.is_superuser
    assert admin.check_password(DEMO_ADMIN_PASSWORD)
    out = capsys.readouterr().out
    assert f"{DEMO_ADMIN_EMAIL} / {DEMO_ADMIN_PASSWORD}" in out
    # A demo inbox, seeded once however often the command runs.
    from notification.models import Notification

    assert Notification.unscoped.filter(user=admin).exclude(type="meal_plan_ready").count() == 3
    # A generated meal plan and program, ready, once (with their notice).
    from meal.models import MealPlan

    assert MealPlan.objects.filter(user=admin, source="optimizer", generation_status="ready").count() == 1
    assert Notification.unscoped.filter(user=admin, type="meal_plan_ready").count() == 1
    assert "  Generated plans: a 7-day meal plan (ready) and a 4-week program (ready)" in out
    # FitCore's three plans, on sale to the default tenant, seeded once.
    from payment.models import Plan
    from payment.selectors import plans_for_tenant

    assert sorted(Plan.objects.values_list("interval", flat=True)) == ["lifetime", "monthly", "yearly"]
    assert len(plans_for_tenant(admin.tenant_id)) == 3
    # FitCore's workouts and programs, built from the imported exercises, seeded once.
    from workout.models import Program, Workout
    from workout.seed import WORKOUTS

    assert Workout.objects.filter(tenant__isnull=True, published=True).count() == len(WORKOUTS)
    assert Program.objects.filter(tenant__isnull=True, published=True).count() == 3
    assert f"  Workouts: {len(WORKOUTS)} workouts, 3 programs (created {len(WORKOUTS) + 3})" in out
    assert f"  Workouts: {len(WORKOUTS)} workouts, 3 programs (already seeded)" in out
    assert Program.objects.filter(owner=admin, generation_status="ready").count() == 1


def test_seed_demo_refuses_without_debug(settings) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not User.objects.filter(email=DEMO_ADMIN_EMAIL).exists()


def test_demo_admin_can_log_into_the_admin(settings, client) -> None:
    settings.DEBUG = True
    call_command("seed_demo")
    response = client.post("/admin/login/", {"username": DEMO_ADMIN_EMAIL, "password": DEMO_ADMIN_PASSWORD})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
