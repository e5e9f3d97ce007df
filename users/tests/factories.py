from typing import Any

import factory
from factory.django import DjangoModelFactory

from users.models import Profile, Tenant, User

TEST_PASSWORD = "correct-horse-battery-staple"


class TenantFactory(DjangoModelFactory[Tenant]):
    class Meta:
        model = Tenant
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Partner {n}")
    slug = factory.Sequence(lambda n: f"partner-{n}")


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    tenant = factory.SubFactory(TenantFactory)
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save_password(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save(update_fields=["password"])


class ProfileFactory(DjangoModelFactory[Profile]):
    """Fills in the profile every user already has (the post_save signal creates it).

    ``ProfileFactory(user=u, weight_kg=Decimal("80"))`` updates u's profile; without a
    user it makes a new one through UserFactory.
    """

    class Meta:
        model = Profile

    user = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class: type[Profile], *args: Any, user: User, **fields: Any) -> Profile:
        fields.pop("tenant", None)  # always the user's tenant
        profile = Profile.unscoped.get(user=user)
        for name, value in fields.items():
            setattr(profile, name, value)
        profile.full_clean()
        profile.save()
        user.profile = profile
        return profile
