from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from users import selectors
from users.models import Profile, User
from users.registry import SectionRegistry, dashboard_sections, export_sections
from users.tests.factories import ProfileFactory, UserFactory

TODAY = date(2025, 3, 1)


def _profile(**fields):
    return Profile(**fields)


def _thirty_years_old() -> date:
    # Ten days of slack so the user's time zone can never tip the age over a birthday.
    today = timezone.localdate() - timedelta(days=10)
    return today.replace(year=today.year - 30, day=min(today.day, 28))


def test_bmi_for_a_known_profile():
    bmi = selectors.bmi_for(_profile(height_cm=Decimal("180"), weight_kg=Decimal("80")))

    assert bmi.as_dict() == {
        "value": 24.7,
        "unit": "kg/m2",
        "category": "normal",
        "reason": None,
        "missing_fields": [],
    }


@pytest.mark.parametrize(
    ("weight", "category"), [("55", "underweight"), ("60", "normal"), ("81", "overweight"), ("100", "obese")]
)
def test_bmi_categories_follow_the_who_bands(weight, category):
    bmi = selectors.bmi_for(_profile(height_cm=Decimal("180"), weight_kg=Decimal(weight)))

    assert bmi.category == category


def test_bmr_and_tdee_mifflin_st_jeor_for_a_man_and_a_woman():
    man = _profile(
        sex="male",
        weight_kg=Decimal("80"),
        height_cm=Decimal("180"),
        birth_date=date(1995, 1, 1),
        activity_level="moderate",
    )
    woman = _profile(
        sex="female",
        weight_kg=Decimal("60"),
        height_cm=Decimal("165"),
        birth_date=date(1995, 1, 1),
        activity_level="sedentary",
    )

    man_bmr = selectors.bmr_for(man, today=TODAY)  # 800 + 1125 - 150 + 5
    woman_bmr = selectors.bmr_for(woman, today=TODAY)  # 600 + 1031.25 - 150 - 161

    assert man_bmr.value == 1780
    assert selectors.tdee_for(man, man_bmr).value == 2759  # 1780 * 1.55
    assert woman_bmr.value == 1320
    assert selectors.tdee_for(woman, woman_bmr).value == 1584  # 1320.25 * 1.2, from the rounded BMR: 1320 * 1.2


def test_missing_inputs_give_null_with_the_reason_and_fields():
    profile = _profile(weight_kg=Decimal("80"))

    bmi = selectors.bmi_for(profile)
    bmr = selectors.bmr_for(profile, today=TODAY)
    tdee = selectors.tdee_for(profile, bmr)

    assert bmi.value is None and bmi.missing_fields == ("height_cm",)
    assert "height_cm" in (bmi.reason or "")
    assert bmr.value is None and bmr.missing_fields == ("height_cm", "birth_date", "sex")
    assert tdee.value is None and tdee.missing_fields == ("height_cm", "birth_date", "sex", "activity_level")


def test_bmr_is_null_for_a_sex_the_equation_does_not_cover():
    profile = _profile(sex="other", weight_kg=Decimal("70"), height_cm=Decimal("170"), birth_date=date(1990, 1, 1))

    bmr = selectors.bmr_for(profile, today=TODAY)

    assert bmr.value is None
    assert "male or female" in (bmr.reason or "")


def test_tdee_needs_an_activity_level():
    profile = _profile(sex="male", weight_kg=Decimal("80"), height_cm=Decimal("180"), birth_date=date(1995, 1, 1))

    tdee = selectors.tdee_for(profile, selectors.bmr_for(profile, today=TODAY))

    assert tdee.value is None and tdee.missing_fields == ("activity_level",)


@pytest.mark.django_db
def test_dashboard_survives_a_failing_section():
    user = UserFactory.create()

    def broken(user: User) -> dict:
        raise RuntimeError("boom")

    with dashboard_sections.temporarily("broken_test", broken):
        data = selectors.user_dashboard_get(user=user)

    assert "broken_test" not in data["sections"]
    assert data["unavailable_sections"] == ["broken_test"]


@pytest.mark.django_db
def test_export_includes_users_own_sections():
    user = UserFactory.create(first_name="Ann")
    ProfileFactory.create(user=user, birth_date=_thirty_years_old(), allergens=["peanuts"])

    data = selectors.user_export_get(user=user)

    assert {"account", "profile"} <= set(data["sections"])
    assert data["sections"]["account"]["first_name"] == "Ann"
    assert data["sections"]["profile"]["allergens"] == ["peanuts"]


@pytest.mark.django_db
def test_user_list_hides_staff_and_other_tenants(tenant, other_tenant):
    member = UserFactory.create(tenant=tenant)
    UserFactory.create(tenant=tenant, is_staff=True)
    UserFactory.create(tenant=other_tenant)

    assert list(selectors.user_list(tenant=tenant)) == [member]


@pytest.mark.django_db
def test_profile_get_creates_a_missing_profile_for_older_users():
    user = UserFactory.create()
    Profile.unscoped.filter(user=user).delete()
    user = User.objects.get(pk=user.pk)

    profile = selectors.profile_get(user=user)

    assert profile.pk is not None and profile.tenant_id == user.tenant_id


def test_registry_rejects_a_second_provider_under_the_same_name():
    registry = SectionRegistry("test")

    def first(user: User) -> int:
        return 1

    registry.register("steps", first)
    registry.register("steps", first)  # the same provider again: harmless (ready() may run twice)
    with pytest.raises(ValueError, match="already registered"):
        registry.register("steps", lambda user: 2)
    with pytest.raises(ValueError, match="snake_case"):
        registry.register("Bad Name", first)


def test_users_registers_its_own_export_sections():
    assert {"account", "profile"} <= set(export_sections.names())
