"""The callers a fuzz run acts as, and the data they can reach. Runs inside Django (run.py calls it).

Each authenticated principal gets a tenant of its own, so nothing one principal's run does
(deactivating users, revoking tokens, deleting rows) can take another principal's
credentials away. Domain apps add their seed data here, as functions taking the world.

Prints one JSON document: what fuzz/hooks.py needs to authenticate and which ids exist.
"""

from __future__ import annotations

import json
import sys
from typing import Any

PASSWORD = "fuzz-Passphrase-7c1e"  # noqa: S105 - a throwaway account of a throwaway database


def seed() -> dict[str, Any]:
    from authapp.services import api_key_create
    from fitcore.api.scopes import ALL_SCOPES
    from users.models import Tenant, User
    from users.services import user_create

    def tenant(slug: str) -> Tenant:
        return Tenant.objects.create(slug=slug, name=f"Fuzz {slug}")

    def members(owner: Tenant, count: int) -> list[int]:
        return [user_create(tenant=owner, email=f"member{i}@{owner.slug}.example").pk for i in range(count)]

    def notifications(user_ids: list[int]) -> list[int]:
        from notification.services import notify

        return [
            notify(user=User.objects.get(pk=user_id), type=kind, title=f"Fuzz {kind}", body="Seeded.").pk
            for user_id in user_ids
            for kind in ("system", "partner")
        ]

    def devices(owner: User) -> list[int]:
        from notification.services import device_register

        return [
            device_register(user=owner, platform=platform, token=f"fuzz-{platform}-token")[0].pk
            for platform in ("android", "ios")
        ]

    def plans() -> list[int]:
        from payment.models import Plan

        return [
            Plan.objects.create(
                code=f"fuzz-{interval}",
                name=f"Fuzz {interval}",
                interval=interval,
                stripe_price_id=f"price_fuzz_{interval}",
                amount=999,
                trial_days=7 if interval == "monthly" else 0,
            ).pk
            for interval in ("monthly", "yearly", "lifetime")
        ]

    def ledger(user_ids: list[int]) -> list[int]:
        from payment.models import Transaction

        return [
            Transaction.objects.create(
                tenant_id=User.objects.get(pk=user_id).tenant_id,
                user_id=user_id,
                amount=999,
                currency="usd",
                kind="charge",
                status="succeeded",
                gateway_transaction_id=f"in_fuzz_{user_id}",
            ).pk
            for user_id in user_ids
        ]

    def nutrition(user_ids: list[int]) -> list[int]:
        """Each user: a private food with a portion, a meal, a 3-day plan, a diary entry; ids of all."""
        from datetime import date

        from meal.models import Food, FoodLogEntry, FoodPortion, Meal, MealItem, MealPlan, ScheduledMeal

        ids: list[int] = []
        for user_id in user_ids:
            user = User.objects.get(pk=user_id)
            food = Food.objects.create(
                tenant_id=user.tenant_id,
                owner=user,
                source="custom",
                source_id=f"fuzz-{user_id}",
                name=f"Fuzz food {user_id}",
                barcode="4006381333931",
                energy_kcal=200,
                protein_g=10,
                carbohydrate_g=20,
                fat_g=5,
            )
            portion = FoodPortion.objects.create(tenant_id=user.tenant_id, food=food, label="1 cup", grams=120)
            meal = Meal.objects.create(tenant_id=user.tenant_id, user=user, name="Fuzz meal", meal_time="lunch")
            MealItem.objects.create(tenant_id=user.tenant_id, meal=meal, food=food, grams=150)
            plan = MealPlan.objects.create(tenant_id=user.tenant_id, user=user, name="Fuzz plan", duration_days=3)
            ScheduledMeal.objects.create(
                tenant_id=user.tenant_id, plan=plan, day_of_plan=1, meal_time="lunch", meal=meal
            )
            entry = FoodLogEntry.objects.create(
                tenant_id=user.tenant_id, user=user, date=date(2026, 11, 30), meal_time="lunch", food=food, grams=90
            )
            ids += [food.pk, portion.pk, meal.pk, plan.pk, entry.pk]
        return ids

    def catalogue() -> list[int]:
        """A few of FitCore's foods (one with a barcode), a template meal and a template plan."""
        from meal.models import Food, Meal, MealItem, MealPlan

        foods = [
            Food.objects.create(
                name=name,
                source="usda_sr",
                source_id=f"fz{i}",
                energy_kcal=kcal,
                protein_g=3,
                carbohydrate_g=10,
                fat_g=1,
            )
            for i, (name, kcal) in enumerate([("Broccoli, raw", 34), ("Chicken breast, roasted", 165), ("Rice", 130)])
        ]
        Food.objects.filter(pk=foods[0].pk).update(barcode="0012345678905")
        meal = Meal.objects.create(name="FitCore oats", meal_time="breakfast", is_template=True)
        MealItem.objects.create(meal=meal, food=foods[2], grams=80)
        plan = MealPlan.objects.create(name="FitCore week", duration_days=7, is_template=True)
        return [*(food.pk for food in foods), meal.pk, plan.pk]

    def workout_catalogue() -> list[int]:
        """FitCore's: a category, two exercises, a free and a premium workout (with a free and a
        paid video) and a one-week program; ids of all."""
        from django.core.files.base import ContentFile

        from workout.models import Category, Exercise, Program, ProgramDay, Workout, WorkoutExercise, WorkoutVideo

        category = Category.objects.create(slug="strength", name="Strength")
        exercises = [
            Exercise.objects.create(source_id=f"Fuzz_{i}", name=name, primary_muscles=["chest"], equipment="barbell")
            for i, name in enumerate(["Bench press", "Squat"])
        ]
        free = Workout.objects.create(title="Fuzz push", duration_minutes=30, category=category, published=True)
        premium = Workout.objects.create(title="Fuzz elite", duration_minutes=45, is_premium=True, published=True)
        for workout in (free, premium):
            WorkoutExercise.objects.create(workout=workout, exercise=exercises[0], position=1, target_reps=8)
        videos = []
        for index, is_free in enumerate([True, False]):
            video = WorkoutVideo(
                workout=premium,
                title=f"Part {index}",
                content_type="video/mp4",
                size_bytes=8,
                order_index=index,
                duration_seconds=60,
                is_free=is_free,
            )
            video.video.save("fuzz.mp4", ContentFile(b"\0\0\0\x08free"), save=False)
            video.save()
            videos.append(video.pk)
        program = Program.objects.create(title="Fuzz week", weeks=1, published=True)
        ProgramDay.objects.bulk_create(
            ProgramDay(program=program, day_number=n, workout=free if n % 2 else None) for n in range(1, 8)
        )
        return [category.pk, *(e.pk for e in exercises), free.pk, premium.pk, *videos, program.pk]

    def training(user_ids: list[int]) -> list[int]:
        """Each user: a session with a set and a route, an import, progress, a favourite and an enrollment."""
        from datetime import UTC, datetime

        from workout.models import (
            ActivityImport,
            Exercise,
            ExerciseSet,
            FavoriteWorkout,
            Program,
            ProgramEnrollment,
            SessionTrack,
            Workout,
            WorkoutProgress,
            WorkoutSession,
        )

        exercise = Exercise.objects.filter(tenant__isnull=True).order_by("id").first()
        workout = Workout.objects.filter(tenant__isnull=True, is_premium=False).order_by("id").first()
        program = Program.objects.filter(tenant__isnull=True).order_by("id").first()
        ids: list[int] = []
        for user in User.objects.filter(pk__in=user_ids):
            started = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)
            session = WorkoutSession.objects.create(
                tenant_id=user.tenant_id, user=user, workout=workout, started_at=started, ended_at=started
            )
            ExerciseSet.objects.create(
                tenant_id=user.tenant_id,
                session=session,
                user=user,
                exercise=exercise,
                set_number=1,
                reps=5,
                weight_kg=60,
            )
            SessionTrack.objects.create(
                tenant_id=user.tenant_id, session=session, points=[[14.5, 46.0, 300, None, None]]
            )
            record = ActivityImport.objects.create(
                tenant_id=user.tenant_id, user=user, content_hash=f"{user.pk:064d}", status="succeeded", session=session
            )
            WorkoutProgress.objects.create(
                tenant_id=user.tenant_id, user=user, workout=workout, progress_percentage=20, started_at=started
            )
            FavoriteWorkout.objects.create(tenant_id=user.tenant_id, user=user, workout=workout)
            enrollment = ProgramEnrollment.objects.create(
                tenant_id=user.tenant_id, user=user, program=program, start_date=started.date()
            )
            ids += [session.pk, record.pk, enrollment.pk]
        return ids

    def health(user_ids: list[int]) -> list[int]:
        """Each user: a weight, a measurement, steps and a night's sleep, a tombstone, and an import."""
        from datetime import UTC, datetime, timedelta

        from health.ingest import clean_sample, upsert
        from health.models import HealthImport, HealthSample, SampleTombstone

        ids: list[int] = []
        now = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)
        for user in User.objects.filter(pk__in=user_ids):
            items = [
                {"metric": "body_weight", "value": 72.5, "start_time": now.isoformat()},
                {"metric": "waist_circumference", "value": 81, "start_time": now.isoformat()},
                {"metric": "steps", "value": 4000, "start_time": (now - timedelta(hours=3)).isoformat()},
                {
                    "metric": "sleep",
                    "stage": "deep",
                    "start_time": (now - timedelta(hours=6)).isoformat(),
                    "end_time": (now - timedelta(hours=5)).isoformat(),
                },
            ]
            rows = [clean_sample(item, prefix="", default_source="manual", now=now) for item in items]
            upsert(tenant_id=user.tenant_id, user_id=user.pk, rows=rows)
            ids += list(HealthSample.unscoped.filter(user=user).values_list("id", flat=True))
            SampleTombstone.objects.create(
                tenant_id=user.tenant_id,
                user=user,
                sample_id=0,
                metric="steps",
                source="manual",
                external_id="gone",
                deleted_at=now,
            )
            record = HealthImport.objects.create(
                tenant_id=user.tenant_id, user=user, format="apple_health", status="succeeded", file_name="export.zip"
            )
            ids.append(record.pk)
        return ids

    plan_ids = [*plans(), *catalogue(), *workout_catalogue()]
    key_tenant = tenant("fuzz-key")
    key = api_key_create(tenant=key_tenant, name="fuzz", scopes=list(ALL_SCOPES))
    key_users = members(key_tenant, 3)

    member_tenant = tenant("fuzz-member")
    member = User.objects.create_user("member@fuzz-member.example", PASSWORD, tenant=member_tenant)
    minter = api_key_create(tenant=member_tenant, name="minter", scopes=["users:tokens"])

    admin_tenant = tenant("fuzz-admin")
    admin = User.objects.create_user(
        "admin@fuzz-admin.example", PASSWORD, tenant=admin_tenant, role=User.Role.TENANT_ADMIN
    )
    admin_users = members(admin_tenant, 3)
    admin_keys = [api_key_create(tenant=admin_tenant, name=f"key {i}").api_key.pk for i in range(2)]

    key_notes = notifications(key_users)
    member_notes = notifications([member.pk])
    member_devices = devices(member)
    admin_notes = notifications([admin.pk, *admin_users])
    key_lines, member_lines, admin_lines = ledger(key_users), ledger([member.pk]), ledger([admin.pk, *admin_users])
    key_lines += nutrition(key_users)
    member_lines += nutrition([member.pk])
    admin_lines += nutrition([admin.pk, *admin_users])
    key_lines += training(key_users)
    member_lines += training([member.pk])
    admin_lines += training([admin.pk, *admin_users])
    key_lines += health(key_users)
    member_lines += health([member.pk])
    admin_lines += health([admin.pk, *admin_users])

    return {
        "key": {"api_key": key.secret, "ids": [*key_users, *key_notes, *key_lines, *plan_ids]},
        "member": {
            "user_id": member.pk,
            "minter": minter.secret,
            "ids": [member.pk, *member_notes, *member_devices, *member_lines, *plan_ids],
        },
        "admin": {
            "email": admin.email,
            "password": PASSWORD,
            "tenant": admin_tenant.slug,
            "ids": [admin.pk, *admin_users, *admin_keys, *admin_notes, *admin_lines, *plan_ids],
        },
        "anon": {"ids": []},
    }


if __name__ == "__main__":
    import django

    django.setup()
    json.dump(seed(), sys.stdout)
