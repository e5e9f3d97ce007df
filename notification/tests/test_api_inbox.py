"""The inbox as users and partners use it: list, filters, read, read-all, unread count, partner send."""

from __future__ import annotations

import pytest
from django.core import mail
from rest_framework.test import APIClient

from conftest import api_key_client_for, jwt_client_for
from notification.models import Notification, OutboxMessage
from notification.services import notify, preferences_set
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INBOX = "/api/v1/notifications/"
PROBLEM = "application/problem+json"


def note(user, title: str = "Hello", type: str = "system", **kwargs) -> Notification:
    return notify(user=user, type=type, title=title, body=f"Body of {title}", **kwargs)


def test_the_inbox_lists_own_notifications_newest_first(user_client: APIClient, user, tenant) -> None:
    older = note(user, "older")
    newer = note(user, "newer", type="partner", data={"plan": 7}, link="/plans/7")
    note(UserFactory(tenant=tenant), "a teammate's")

    response = user_client.get(INBOX)

    assert response.status_code == 200
    body = response.json()
    assert [row["id"] for row in body["results"]] == [newer.pk, older.pk]
    first = body["results"][0]
    assert first["title"] == "newer" and first["type"] == "partner"
    assert first["data"] == {"plan": 7} and first["link"] == "/plans/7"
    assert first["read_at"] is None and first["user"] == user.pk
    assert body["results"][1]["link"] is None  # "not set" is null, never ""


def test_a_type_switched_off_in_app_stays_out_of_the_inbox(user_client: APIClient, user) -> None:
    preferences_set(
        user=user,
        matrix={"partner": {"in_app": False, "email": False, "push": False}},
        quiet_hours=None,
        daily_digest=False,
    )
    hidden = note(user, "hidden", type="partner")

    assert user_client.get(INBOX).json()["results"] == []
    assert user_client.get(f"{INBOX}{hidden.pk}/").status_code == 404
    # The row exists, for the record and the partner's delivery view.
    assert Notification.unscoped.filter(pk=hidden.pk, in_app=False).exists()


def test_filters_unread_and_type(user_client: APIClient, user) -> None:
    read = note(user, "read", type="partner")
    unread = note(user, "unread", type="partner")
    other = note(user, "system")
    user_client.post(f"{INBOX}{read.pk}/read/")

    assert [r["id"] for r in user_client.get(INBOX, {"unread": "true"}).json()["results"]] == [other.pk, unread.pk]
    assert [r["id"] for r in user_client.get(INBOX, {"unread": "false"}).json()["results"]] == [read.pk]
    assert [r["id"] for r in user_client.get(INBOX, {"type": "partner"}).json()["results"]] == [unread.pk, read.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"type": "newsletter"}, "type"), ({"unread": "maybe"}, "unread"), ({"page_size": "0"}, "page_size")],
)
def test_bad_filter_values_are_a_400_naming_the_parameter(user_client: APIClient, user, params, field) -> None:
    response = user_client.get(INBOX, params)

    assert response.status_code == 400
    assert response["Content-Type"].startswith(PROBLEM)
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_cursor_pages_walk_the_whole_inbox_without_a_count(user_client: APIClient, user) -> None:
    made = [note(user, f"n{i}").pk for i in range(25)]

    seen: list[int] = []
    url: str | None = f"{INBOX}?page_size=10"
    while url:
        page = user_client.get(url).json()
        assert "count" not in page
        seen += [row["id"] for row in page["results"]]
        url = page["next"]

    assert seen == sorted(made, reverse=True)


def test_list_and_detail_queries_stay_constant_as_the_inbox_grows(
    user_client: APIClient, user, django_assert_max_num_queries
) -> None:
    first = note(user, "first")
    user_client.get(INBOX)  # warm the principal cache
    with django_assert_max_num_queries(1):
        assert user_client.get(INBOX).status_code == 200
    for i in range(30):
        note(user, f"more {i}")
    with django_assert_max_num_queries(1):
        assert len(user_client.get(INBOX).json()["results"]) == 20
    with django_assert_max_num_queries(1):
        assert user_client.get(f"{INBOX}{first.pk}/").status_code == 200
    with django_assert_max_num_queries(1):
        assert user_client.get(f"{INBOX}unread-count/").json() == {"count": 31}


def test_another_users_notification_is_404_everywhere(user_client: APIClient, tenant) -> None:
    theirs = note(UserFactory(tenant=tenant), "theirs")

    assert user_client.get(f"{INBOX}{theirs.pk}/").status_code == 404
    assert user_client.post(f"{INBOX}{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_read_is_idempotent_and_counts_down(user_client: APIClient, user) -> None:
    one, two = note(user, "one"), note(user, "two")
    assert user_client.get(f"{INBOX}unread-count/").json() == {"count": 2}

    first = user_client.post(f"{INBOX}{one.pk}/read/")
    again = user_client.post(f"{INBOX}{one.pk}/read/")

    assert first.status_code == again.status_code == 200
    assert first.json()["read_at"] is not None and again.json()["read_at"] == first.json()["read_at"]
    assert user_client.get(f"{INBOX}unread-count/").json() == {"count": 1}
    assert Notification.unscoped.get(pk=two.pk).read_at is None


def test_read_all_marks_the_users_inbox_only(user_client: APIClient, user, tenant) -> None:
    note(user, "a"), note(user, "b", type="partner")
    teammate = note(UserFactory(tenant=tenant), "theirs")

    response = user_client.post(f"{INBOX}read-all/", {"type": "partner"}, format="json")
    assert response.status_code == 200 and response.json() == {"marked": 1}
    assert user_client.post(f"{INBOX}read-all/", {}, format="json").json() == {"marked": 1}

    assert user_client.get(f"{INBOX}unread-count/").json() == {"count": 0}
    assert Notification.unscoped.get(pk=teammate.pk).read_at is None
    assert user_client.post(f"{INBOX}read-all/", {"type": "bogus"}, format="json").status_code == 400


def test_api_keys_read_the_tenants_delivery_status_but_not_the_users_inbox_actions(
    tenant, user, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        mine = note(user, "for the partner to see")
    reader = api_key_client_for(tenant, scopes=["notifications:read"])

    listed = reader.get(INBOX, {"user": user.pk})
    assert listed.status_code == 200
    row = listed.json()["results"][0]
    assert row["id"] == mine.pk and row["email_status"] in {"sent", "skipped"} and row["push_status"] == "skipped"
    assert reader.get(f"{INBOX}{mine.pk}/").status_code == 200
    for path in (f"{INBOX}{mine.pk}/read/", f"{INBOX}read-all/"):
        assert reader.post(path, {}, format="json").json()["code"] == "api_key_not_allowed"
    assert reader.get(f"{INBOX}unread-count/").status_code == 403
    assert api_key_client_for(tenant, scopes=["users:read"]).get(INBOX).json()["code"] == "insufficient_scope"


# --- partner messages ----------------------------------------------------------------------


def test_a_partner_sends_one_notification_to_its_user(tenant, user, django_capture_on_commit_callbacks) -> None:
    preferences_set(
        user=user,
        matrix={"partner": {"in_app": True, "email": True, "push": True}},
        quiet_hours=None,
        daily_digest=False,
    )
    sender = api_key_client_for(tenant, scopes=["notifications:write"])

    with django_capture_on_commit_callbacks(execute=True):
        response = sender.post(
            f"{INBOX}send/",
            {"user": user.pk, "title": "Gym closed Monday", "body": "See you Tuesday!", "link": "/news/5"},
            format="json",
        )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["type"] == "partner" and body["user"] == user.pk
    assert body["email_status"] == "pending"  # delivered after the request's transaction commits
    (stored,) = Notification.unscoped.filter(user=user, type="partner")
    assert stored.email_status == "sent" and stored.push_status == "skipped"  # no device registered
    assert [m.subject for m in mail.outbox] == ["Gym closed Monday"]
    assert f"a message from {tenant.name}" in mail.outbox[0].body
    assert jwt_client_for(user).get(f"{INBOX}unread-count/").json() == {"count": 1}


def test_the_same_dedupe_key_sends_once(tenant, user) -> None:
    sender = api_key_client_for(tenant, scopes=["notifications:write"])
    payload = {"user": user.pk, "title": "Challenge", "body": "Day 1", "dedupe_key": "challenge-day-1"}

    first = sender.post(f"{INBOX}send/", payload, format="json")
    again = sender.post(f"{INBOX}send/", {**payload, "title": "changed"}, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["title"] == "Challenge"
    assert Notification.unscoped.filter(user=user).count() == 1
    assert OutboxMessage.unscoped.filter(notification__user=user).count() <= 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "t", "body": "b"}, "user"),
        ({"user": None, "title": "", "body": "b"}, "title"),
        ({"user": None, "title": "t", "body": "b" * 2001}, "body"),
        ({"user": None, "title": "t", "body": "b", "link": "not a link"}, "link"),
        ({"user": None, "title": "t", "body": "b", "data": ["not", "an", "object"]}, "data"),
        ({"user": None, "title": "t", "body": "b", "data": {"big": "x" * 5000}}, "data"),
        ({"user": 999999, "title": "t", "body": "b"}, "user"),
    ],
)
def test_bad_partner_messages_are_refused_and_nothing_is_written(tenant, user, payload, field) -> None:
    if payload.get("user", 0) is None:
        payload = {**payload, "user": user.pk}
    sender = api_key_client_for(tenant, scopes=["notifications:write"])

    response = sender.post(f"{INBOX}send/", payload, format="json")

    assert response.status_code == 400
    assert field in [error["field"] for error in response.json()["errors"]]
    assert not Notification.unscoped.exists() and not OutboxMessage.unscoped.exists()


def test_sending_needs_the_write_scope_and_a_tenant_wide_caller(tenant, user, user_client: APIClient) -> None:
    payload = {"user": user.pk, "title": "t", "body": "b"}
    reader = api_key_client_for(tenant, scopes=["notifications:read"])

    assert reader.post(f"{INBOX}send/", payload, format="json").json()["code"] == "insufficient_scope"
    assert user_client.post(f"{INBOX}send/", payload, format="json").json()["code"] == "tenant_admin_required"
    assert not Notification.unscoped.exists()


def test_a_tenant_admin_may_send_too(admin_client_jwt: APIClient, user) -> None:
    response = admin_client_jwt.post(f"{INBOX}send/", {"user": user.pk, "title": "t", "body": "b"}, format="json")
    assert response.status_code == 201


def test_partner_messages_are_rate_limited_per_key(tenant, user, monkeypatch) -> None:
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "notification_send": "2/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    sender = api_key_client_for(tenant, scopes=["notifications:write"])
    other_key = api_key_client_for(tenant, scopes=["notifications:write"])
    payload = {"user": user.pk, "title": "t", "body": "b"}

    statuses = [sender.post(f"{INBOX}send/", payload, format="json").status_code for _ in range(3)]

    assert statuses == [201, 201, 429]
    refused = sender.post(f"{INBOX}send/", payload, format="json")
    assert refused["Retry-After"] and refused.json()["code"] == "throttled"
    assert other_key.post(f"{INBOX}send/", payload, format="json").status_code == 201
    assert Notification.unscoped.count() == 3
    # Reading is not limited by it.
    assert sender.get(INBOX).status_code == 200


@pytest.mark.parametrize(
    "data",
    [{"k": "a\u0000b"}, {"a\u0000": 1}, {"deep": __import__("functools").reduce(lambda v, _: [v], range(300), 0)}],
    ids=["nul in a value", "nul in a key", "300 levels deep"],
)
def test_partner_data_that_storage_or_encoding_would_choke_on_is_a_400(tenant, user, data) -> None:
    sender = api_key_client_for(tenant, scopes=["notifications:write"])

    response = sender.post(f"{INBOX}send/", {"user": user.pk, "title": "t", "body": "b", "data": data}, format="json")

    assert response.status_code == 400 and response.json()["errors"][0]["field"].startswith("data")
    assert not Notification.unscoped.exists()
