from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from users.models import Profile, User
from users.tests.factories import ProfileFactory, TenantFactory, UserFactory


@pytest.mark.django_db
def test_create_user_gets_a_profile_in_the_users_tenant():
    tenant = TenantFactory.create()
    user = User.objects.create_user("new@example.com", "pw-123456789", tenant=tenant)

    profile = Profile.unscoped.get(user=user)
    assert profile.tenant_id == tenant.pk
    assert (profile.units, profile.timezone, profile.language) == ("metric", "UTC", "en")
    assert profile.allergens == [] and profile.excluded_foods == []


@pytest.mark.django_db
def test_superuser_and_factory_users_get_a_profile():
    staff = User.objects.create_superuser("root@example.com", "pw-123456789")
    member = UserFactory.create()

    assert Profile.unscoped.filter(user__in=[staff, member]).count() == 2


@pytest.mark.django_db
def test_saving_an_existing_user_does_not_create_a_second_profile():
    user = UserFactory.create()
    user.first_name = "Changed"
    user.save()

    assert Profile.unscoped.filter(user=user).count() == 1


@pytest.mark.django_db
def test_profile_rows_go_with_their_user():
    user = UserFactory.create()
    user.delete()

    assert not Profile.unscoped.exists()


@pytest.mark.django_db
def test_profile_manager_fails_closed_without_a_tenant():
    from fitcore.api.models import TenantScopeError

    UserFactory.create()
    with pytest.raises(TenantScopeError):
        list(Profile.objects.all())


@pytest.mark.django_db
def test_profile_factory_fills_in_the_existing_profile():
    user = UserFactory.create()
    profile = ProfileFactory.create(user=user, weight_kg=Decimal("70.5"), sex=Profile.Sex.FEMALE)

    assert Profile.unscoped.filter(user=user).count() == 1
    assert profile.weight_kg == Decimal("70.5")


def test_age_counts_whole_years_up_to_the_birthday():
    profile = Profile(birth_date=date(1990, 6, 15))

    assert profile.age_on(date(2020, 6, 14)) == 29
    assert profile.age_on(date(2020, 6, 15)) == 30
    assert Profile().age_on(date(2020, 1, 1)) is None


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("timezone", "Mars/Olympus", "invalid_timezone"),
        ("timezone", "CET ", "invalid_timezone"),
        ("language", "xx-nope", "invalid_language"),
        ("weight_kg", Decimal("-1"), "min_value"),
        ("height_cm", Decimal("300"), "max_value"),
        ("allergens", ["peanuts", "unicorn"], "invalid_choice"),
        ("excluded_foods", ["x" * 101], "max_length"),
    ],
)
@pytest.mark.django_db
def test_profile_validation_rejects(field, value, code):
    profile = Profile.unscoped.get(user=UserFactory.create())
    setattr(profile, field, value)

    with pytest.raises(ValidationError) as caught:
        profile.full_clean()

    assert caught.value.error_dict[field][0].code == code


@pytest.mark.django_db
def test_birth_date_cannot_be_in_the_future():
    profile = Profile.unscoped.get(user=UserFactory.create())
    profile.birth_date = timezone.localdate() + timedelta(days=1)

    with pytest.raises(ValidationError) as caught:
        profile.full_clean()

    assert caught.value.error_dict["birth_date"][0].code == "future_date"
