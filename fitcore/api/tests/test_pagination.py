"""limit/offset pagination: the count rides on the page query, unless that would count wrong."""

import pytest
from allauth.account.models import EmailAddress
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from fitcore.api.pagination import LimitOffsetPagination
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def paginate(queryset, query: str = "?limit=2") -> tuple[list, int, int]:
    paginator = LimitOffsetPagination()
    request = Request(APIRequestFactory().get(f"/{query}"))
    with CaptureQueriesContext(connection) as captured:
        rows = paginator.paginate_queryset(queryset, request)
    assert rows is not None and paginator.count is not None
    return rows, paginator.count, len(captured)


def test_count_and_page_in_one_query(tenant) -> None:
    UserFactory.create_batch(5, tenant=tenant)
    rows, count, queries = paginate(User.objects.filter(tenant=tenant).order_by("pk").values("pk", "email"))
    assert (len(rows), count, queries) == (2, 5, 1)
    assert set(rows[0]) == {"pk", "email"}  # the count column is not left in the row


def test_a_page_past_the_end_still_counts(tenant) -> None:
    UserFactory.create_batch(3, tenant=tenant)
    rows, count, _ = paginate(User.objects.filter(tenant=tenant).order_by("pk"), "?limit=2&offset=10")
    assert (rows, count) == ([], 3)


def test_distinct_rows_are_counted_after_deduplication(tenant) -> None:
    users = UserFactory.create_batch(3, tenant=tenant)
    for user in users:  # two addresses each: the join has six rows, the list three users
        EmailAddress.objects.create(user=user, email=f"a-{user.pk}@acme.example")
        EmailAddress.objects.create(user=user, email=f"b-{user.pk}@acme.example")
    joined = User.objects.filter(tenant=tenant, emailaddress__email__contains="@").distinct().order_by("pk")

    rows, count, _ = paginate(joined, "?limit=10")

    assert count == 3 and len(rows) == 3
