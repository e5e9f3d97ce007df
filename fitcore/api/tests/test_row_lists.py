"""Lists read as rows (RowSerializer): what they render, how they page, what they refuse."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework import serializers

from conftest import api_key_client_for, jwt_client_for
from fitcore.api.serializers import RowSerializer
from fitcore.api.tests.scopeapp.models import Note
from users.models import User
from users.tests.factories import TenantFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("fitcore.api.tests.scopeapp.urls")]

STREAM = "/api/v1/scopeapp/note-stream/"


def test_a_cursor_paginated_row_list_pages_through_everything_once(tenant, django_assert_max_num_queries) -> None:
    author = UserFactory.create(tenant=tenant)
    mine = [Note.unscoped.create(tenant=tenant, user=author, title=f"note {i}") for i in range(5)]
    other = TenantFactory.create(slug="other")
    Note.unscoped.create(tenant=other, user=UserFactory.create(tenant=other), title="not yours")
    client = api_key_client_for(tenant, scopes=["users:read"])
    client.get(STREAM)  # warm the principal cache

    seen, url = [], f"{STREAM}?page_size=2"
    while url:
        with django_assert_max_num_queries(1):
            response = client.get(url)
        assert response.status_code == 200
        body = response.json()
        seen.extend(body["results"])
        url = body["next"]

    assert [row["id"] for row in seen] == [note.pk for note in reversed(mine)]  # newest first
    assert {row["tenant"] for row in seen} == {"acme"}
    assert set(seen[0]) == {"id", "title", "tenant"}  # the ordering column fetched for the cursor is not shown


def test_a_member_sees_only_their_own_rows(tenant) -> None:
    me, someone = UserFactory.create(tenant=tenant), UserFactory.create(tenant=tenant)
    Note.unscoped.create(tenant=tenant, user=me, title="mine")
    Note.unscoped.create(tenant=tenant, user=someone, title="theirs")

    titles = [row["title"] for row in jwt_client_for(me).get(STREAM).json()["results"]]

    assert titles == ["mine"]


@pytest.mark.parametrize(
    "field",
    [
        serializers.PrimaryKeyRelatedField(many=True, read_only=True, source="groups"),
        serializers.ImageField(read_only=True, source="email"),
        serializers.FileField(read_only=True, source="email"),
        serializers.SerializerMethodField(),
    ],
    ids=["many-relation", "image", "file", "method"],
)
def test_fields_that_cannot_be_read_from_a_column_are_refused(field) -> None:
    class Broken(RowSerializer):
        id = serializers.IntegerField(read_only=True)

    Broken._declared_fields["extra"] = field

    with pytest.raises(ImproperlyConfigured):
        Broken.row_plan()


def test_choice_subclasses_convert_as_their_field_does() -> None:
    class Roles(RowSerializer):
        roles = serializers.MultipleChoiceField(choices=User.Role.choices, read_only=True, source="role")

    field = Roles().fields["roles"]
    assert Roles.row_plan().render({"role": ["member", "member"]}) == {
        "roles": field.to_representation(["member", "member"])
    }
