"""Fixtures of the generated-program tests: the shipped exercises, a subscribed member, a POST that runs the task."""

from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from django.utils import timezone

from payment.models import Subscription
from users.models import User
from users.tests.factories import UserFactory
from workout.importers import import_exercises

CATALOGUE = Path(__file__).resolve().parents[1] / "data" / "exercises.json.gz"


@pytest.fixture
def catalogue(db: None) -> int:
    return import_exercises(CATALOGUE).created


@pytest.fixture
def member(tenant: Any, catalogue: int) -> Any:
    user = cast(User, UserFactory(tenant=tenant))
    Subscription.objects.create(
        tenant=tenant, user=user, status="active", current_period_end=timezone.now() + timedelta(days=20)
    )
    return user


@pytest.fixture
def post(django_capture_on_commit_callbacks: Any) -> Any:
    """POST and run what the request queued after its commit (the generation task), as a worker would."""

    def send(client: Any, url: str, payload: Any = None) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, payload, format="json")

    return send
