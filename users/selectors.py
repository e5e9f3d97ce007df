"""Reads of users and profiles: management listings, the dashboard, the personal-data export."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from .models import Profile, Tenant, User
from .registry import dashboard_sections, export_sections

logger = logging.getLogger(__name__)

EXPORT_FORMAT = "fitcore.personal-data-export"
EXPORT_VERSION = 1


# --- users --------------------------------------------------------------------------


def user_list(*, tenant: Tenant) -> QuerySet[User]:
    """End users a tenant may see and manage, with what their serializers read."""
    return managed_users(queryset=User.objects.for_tenant(tenant))


def managed_users(*, queryset: QuerySet[User]) -> QuerySet[User]:
    """Narrow an already tenant-scoped queryset of users to those a tenant manages.

    FitCore staff live in the first-party tenant; its tenant admins and API keys must
    never see, change or mint tokens for them, or a partner-level credential would
    reach the staff API.
    """
    return queryset.filter(is_staff=False, is_superuser=False).select_related("tenant")


def managed_user_detail(*, queryset: QuerySet[User]) -> QuerySet[User]:
    """As managed_users, with what a single user's page shows (its profile)."""
    return managed_users(queryset=queryset).select_related("profile")


def profile_get(*, user: User) -> Profile:
    """The user's profile; users created before profiles existed get theirs on first read."""
    try:
        return user.profile
    except Profile.DoesNotExist:
        profile, _ = Profile.unscoped.get_or_create(user=user, defaults={"tenant_id": user.tenant_id})
        user.profile = profile
        return profile


# --- body metrics -------------------------------------------------------------------

# Multipliers of BMR for total daily energy expenditure (the usual Harris-Benedict/McArdle factors).
ACTIVITY_FACTORS: dict[str, Decimal] = {
    Profile.ActivityLevel.SEDENTARY: Decimal("1.2"),
    Profile.ActivityLevel.LIGHT: Decimal("1.375"),
    Profile.ActivityLevel.MODERATE: Decimal("1.55"),
    Profile.ActivityLevel.ACTIVE: Decimal("1.725"),
    Profile.ActivityLevel.VERY_ACTIVE: Decimal("1.9"),
}

# WHO adult BMI categories: (upper bound, exclusive), name.
BMI_CATEGORIES: list[tuple[Decimal, str]] = [
    (Decimal("18.5"), "underweight"),
    (Decimal("25"), "normal"),
    (Decimal("30"), "overweight"),
]


@dataclass(frozen=True)
class Metric:
    """A computed value, or ``None`` with the reason and the profile fields that are missing."""

    value: float | int | None
    unit: str
    reason: str | None = None
    missing_fields: tuple[str, ...] = ()
    category: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "value": self.value,
            "unit": self.unit,
            "reason": self.reason,
            "missing_fields": list(self.missing_fields),
        }
        if self.unit == "kg/m2":
            data["category"] = self.category
        return data


def _missing(profile: Profile, fields: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name for name in fields if getattr(profile, name) in (None, ""))


def bmi_for(profile: Profile) -> Metric:
    missing = _missing(profile, ("height_cm", "weight_kg"))
    if missing:
        return Metric(None, "kg/m2", f"Set {' and '.join(missing)} to compute BMI.", missing)
    assert profile.height_cm is not None and profile.weight_kg is not None  # noqa: S101 - narrowed above
    metres = profile.height_cm / 100
    bmi = (profile.weight_kg / (metres * metres)).quantize(Decimal("0.1"))
    category = next((name for bound, name in BMI_CATEGORIES if bmi < bound), "obese")
    return Metric(float(bmi), "kg/m2", category=category)


def bmr_for(profile: Profile, *, today: date) -> Metric:
    """Mifflin-St Jeor (1990): 10*kg + 6.25*cm - 5*years, +5 for men, -161 for women.

    The equation exists only for those two sexes; for anyone else we say so rather than guess.
    """
    missing = _missing(profile, ("weight_kg", "height_cm", "birth_date", "sex"))
    if missing:
        return Metric(None, "kcal/day", f"Set {', '.join(missing)} to compute BMR.", missing)
    if profile.sex not in (Profile.Sex.MALE, Profile.Sex.FEMALE):
        return Metric(None, "kcal/day", "The Mifflin-St Jeor equation is defined for sex male or female only.")
    assert profile.weight_kg is not None and profile.height_cm is not None  # noqa: S101 - narrowed above
    age = profile.age_on(today) or 0
    offset = Decimal(5) if profile.sex == Profile.Sex.MALE else Decimal(-161)
    bmr = Decimal(10) * profile.weight_kg + Decimal("6.25") * profile.height_cm - Decimal(5) * age + offset
    return Metric(int(bmr.quantize(Decimal(1))), "kcal/day")


def tdee_for(profile: Profile, bmr: Metric) -> Metric:
    if bmr.value is None:
        missing = bmr.missing_fields + _missing(profile, ("activity_level",))
        return Metric(None, "kcal/day", f"Needs BMR first: {bmr.reason}", missing)
    factor = ACTIVITY_FACTORS.get(profile.activity_level)
    if factor is None:
        return Metric(None, "kcal/day", "Set activity_level to compute TDEE.", ("activity_level",))
    return Metric(int((Decimal(bmr.value) * factor).quantize(Decimal(1))), "kcal/day")


# --- dashboard ----------------------------------------------------------------------


def user_dashboard_get(*, user: User) -> dict[str, Any]:
    """Profile summary, body metrics, and the sections other apps registered.

    A failing section is reported as unavailable instead of failing the whole
    dashboard: one app's bug should not blank the app's home screen.
    """
    profile = profile_get(user=user)
    today = profile.local_today
    bmr = bmr_for(profile, today=today)
    sections: dict[str, Any] = {}
    unavailable: list[str] = []
    for name, provider in dashboard_sections.items():
        try:
            sections[name] = provider(user)
        except Exception:  # isolate other apps' failures; logged with the traceback
            logger.exception("Dashboard section %r failed for user %s", name, user.pk)
            unavailable.append(name)
    return {
        "profile": {
            "first_name": user.first_name,
            "age": profile.age_on(today),
            "sex": profile.sex or None,
            "height_cm": profile.height_cm,
            "weight_kg": profile.weight_kg,
            "activity_level": profile.activity_level or None,
            "fitness_goal": profile.fitness_goal or None,
            "dietary_pattern": profile.dietary_pattern or None,
            "units": profile.units,
            "timezone": profile.timezone,
        },
        "metrics": {
            "bmi": bmi_for(profile).as_dict(),
            "bmr": bmr.as_dict(),
            "tdee": tdee_for(profile, bmr).as_dict(),
        },
        "sections": sections,
        "unavailable_sections": unavailable,
    }


# --- personal-data export -----------------------------------------------------------


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def account_export(user: User) -> dict[str, Any]:
    """The ``account`` export section (registered by UsersConfig.ready())."""
    return {
        "id": user.pk,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": user.role,
        "tenant": {"slug": user.tenant.slug, "name": user.tenant.name},
        "is_active": user.is_active,
        "has_password": user.has_usable_password(),
        "date_joined": _iso(user.date_joined),
        "last_login": _iso(user.last_login),
    }


def profile_export(user: User) -> dict[str, Any]:
    """The ``profile`` export section. Image paths are storage names; the files themselves are not inlined."""
    profile = profile_get(user=user)
    return {
        "birth_date": _iso(profile.birth_date),
        "sex": profile.sex or None,
        "height_cm": str(profile.height_cm) if profile.height_cm is not None else None,
        "weight_kg": str(profile.weight_kg) if profile.weight_kg is not None else None,
        "activity_level": profile.activity_level or None,
        "fitness_goal": profile.fitness_goal or None,
        "dietary_pattern": profile.dietary_pattern or None,
        "allergens": list(profile.allergens),
        "excluded_foods": list(profile.excluded_foods),
        "image": profile.image.name or None,
        "image_thumbnail": profile.image_thumbnail.name or None,
        "image_status": profile.image_status,
        "image_error": profile.image_error,
        "units": profile.units,
        "timezone": profile.timezone,
        "language": profile.language,
        "marketing_opt_in": profile.marketing_opt_in,
        "marketing_opt_in_at": _iso(profile.marketing_opt_in_at),
        "created_at": _iso(profile.created_at),
        "updated_at": _iso(profile.updated_at),
    }


def user_export_get(*, user: User) -> dict[str, Any]:
    """Everything we hold about the user, one section per registered provider.

    Unlike the dashboard, a failing provider fails the export: an export that
    silently leaves data out would be a wrong answer to a data-access request.
    """
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "user_id": user.pk,
        "sections": {name: provider(user) for name, provider in export_sections.items()},
    }
