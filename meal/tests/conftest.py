from pathlib import Path
from typing import Any, cast

import pytest

from conftest import jwt_client_for
from meal.models import MealPlan
from meal.tests import planning_data
from users.models import User
from users.tests.factories import UserFactory


@pytest.fixture(scope="session")
def sr28_slice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return planning_data.write_subset(tmp_path_factory.mktemp("sr28"))


@pytest.fixture
def plan_catalogue(db: None, sr28_slice: Path) -> int:
    """About 2,200 real SR28 foods in the test database (rolled back with the test)."""
    return planning_data.load(sr28_slice)


@pytest.fixture
def post(django_capture_on_commit_callbacks: Any) -> Any:
    """POST and run what the request queued after its commit (the generation task), as a worker would."""

    def send(client: Any, url: str, payload: Any = None) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, payload)

    return send


@pytest.fixture
def member(tenant: Any, plan_catalogue: int) -> Any:
    from meal.tests.test_planning_api import complete_profile, subscribe

    user = cast(User, UserFactory(tenant=tenant))
    complete_profile(user, allergens=["peanuts"], excluded_foods=["mushroom"])
    subscribe(user)
    return user


@pytest.fixture
def generated(member: Any, post: Any) -> MealPlan:
    from meal.tests.test_planning_api import GENERATE

    response = post(jwt_client_for(member), GENERATE, {"days": 2, "meals_per_day": 4, "seed": 99})
    return MealPlan.objects.get(pk=response.json()["plan"])
