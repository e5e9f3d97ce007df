"""Preferences and devices through the API: what the app's settings screen and its start-up call do."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from conftest import api_key_client_for, jwt_client_for
from notification.models import Device, NotificationPreference, NotificationSettings
from users.tests.factories import ProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

PREFERENCES = "/api/v1/notifications/preferences/"
DEVICES = "/api/v1/notifications/devices/"
FCM_TOKEN = "dXNlcl90b2tlbg:APA91bH-example_token-0123456789"


def test_defaults_come_from_settings_with_security_mail_locked(user_client: APIClient, user, settings) -> None:
    settings.NOTIFICATION_DEFAULTS = {**settings.NOTIFICATION_DEFAULTS, "weekly_report": {"email": False}}
    ProfileFactory(user=user, timezone="Europe/Berlin")

    body = user_client.get(PREFERENCES).json()

    assert body["types"]["weekly_report"] == {"in_app": True, "email": False, "push": True}  # unset channels: on
    assert body["types"]["account"]["email"] is True
    assert set(body["types"]) == {
        "system", "account", "workout_reminder", "meal_plan_ready", "import_finished", "payment_succeeded",
        "payment_failed", "subscription_ending", "achievement_unlocked", "weekly_report", "partner",
    }  # fmt: skip
    assert body["quiet_hours"] is None and body["daily_digest"] is False
    assert body["timezone"] == "Europe/Berlin" and body["locked"] == ["account.email"]


def test_put_replaces_the_document_and_stores_only_differences(user_client: APIClient, user) -> None:
    response = user_client.put(
        PREFERENCES,
        {
            "types": {"partner": {"push": False}, "weekly_report": {"email": False, "push": True}},
            "quiet_hours": {"start": "22:30", "end": "07:00:00"},
            "daily_digest": True,
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["types"]["partner"] == {"in_app": True, "email": False, "push": False}
    assert body["types"]["weekly_report"] == {"in_app": True, "email": False, "push": True}
    assert body["quiet_hours"] == {"start": "22:30", "end": "07:00"} and body["daily_digest"] is True
    stored = set(NotificationPreference.unscoped.filter(user=user).values_list("type", "channel", "enabled"))
    assert stored == {("partner", "push", False), ("weekly_report", "email", False), ("weekly_report", "push", True)}
    assert user_client.get(PREFERENCES).json() == body

    # Left out means default again; null quiet hours removes them.
    again = user_client.put(PREFERENCES, {"quiet_hours": None}, format="json").json()
    assert again["types"]["partner"]["push"] is True and again["quiet_hours"] is None and again["daily_digest"] is False
    assert not NotificationPreference.unscoped.filter(user=user).exists()
    assert NotificationSettings.unscoped.get(user=user).quiet_hours_start is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"types": {"newsletter": {"email": True}}}, "types.newsletter"),
        ({"types": {"account": {"email": False}}}, "types.account.email"),
        ({"types": {"partner": {"push": "sometimes"}}}, "types.partner.push"),
        ({"types": {"partner": {"fax": True}}}, None),
        ({"quiet_hours": {"start": "22:00"}}, "quiet_hours.end"),
        ({"quiet_hours": {"start": "25:00", "end": "07:00"}}, "quiet_hours.start"),
        ({"quiet_hours": {"start": "07:00", "end": "07:00"}}, "quiet_hours.end"),
        ({"quiet_hours": {"start": "07:00:30", "end": "08:00"}}, "quiet_hours.start"),
        ({"quiet_hours": {"start": "7:00", "end": "08:00"}}, "quiet_hours.start"),
        ({"quiet_hours": {"start": "07:00\n", "end": "08:00"}}, "quiet_hours.start"),
        ({"daily_digest": "yes please"}, "daily_digest"),
    ],
)
def test_bad_preferences_are_a_400_and_change_nothing(user_client: APIClient, user, payload, field) -> None:
    user_client.put(PREFERENCES, {"types": {"partner": {"push": False}}, "daily_digest": True}, format="json")
    before = user_client.get(PREFERENCES).json()

    response = user_client.put(PREFERENCES, payload, format="json")

    assert response.status_code == 400
    if field is not None:
        assert field in [error["field"] for error in response.json()["errors"]]
    assert user_client.get(PREFERENCES).json() == before


def test_preferences_are_the_users_own(user_client: APIClient, tenant, user) -> None:
    other = UserFactory(tenant=tenant)
    user_client.put(PREFERENCES, {"daily_digest": True}, format="json")

    assert jwt_client_for(other).get(PREFERENCES).json()["daily_digest"] is False
    assert api_key_client_for(tenant).get(PREFERENCES).json()["code"] == "api_key_not_allowed"


def test_preferences_read_in_two_queries(user_client: APIClient, django_assert_max_num_queries) -> None:
    user_client.get(PREFERENCES)
    with django_assert_max_num_queries(2):
        assert user_client.get(PREFERENCES).status_code == 200


# --- devices ---------------------------------------------------------------------------


def test_registering_a_device_twice_updates_it(user_client: APIClient, user) -> None:
    first = user_client.post(
        DEVICES, {"platform": "android", "token": FCM_TOKEN, "app_version": "1.0.0"}, format="json"
    )
    again = user_client.post(
        DEVICES, {"platform": "android", "token": FCM_TOKEN, "app_version": "1.1.0"}, format="json"
    )

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["app_version"] == "1.1.0"
    assert "token" not in again.json()
    assert Device.unscoped.filter(user=user).count() == 1
    assert user_client.get(DEVICES).json() == [again.json()]


def test_a_token_moves_to_whoever_registers_it_last_in_the_tenant(user_client: APIClient, tenant, user) -> None:
    other = UserFactory(tenant=tenant)
    jwt_client_for(other).post(DEVICES, {"platform": "ios", "token": "ab" * 32}, format="json")

    response = user_client.post(DEVICES, {"platform": "ios", "token": "ab" * 32}, format="json")

    assert response.status_code == 200
    device = Device.unscoped.get()
    assert device.user == user
    assert jwt_client_for(other).get(DEVICES).json() == []


def test_the_same_token_in_another_tenant_is_another_device(user_client: APIClient, other_tenant, user) -> None:
    stranger = UserFactory(tenant=other_tenant)
    jwt_client_for(stranger).post(DEVICES, {"platform": "ios", "token": "cd" * 32}, format="json")

    assert user_client.post(DEVICES, {"platform": "ios", "token": "cd" * 32}, format="json").status_code == 201
    assert Device.unscoped.get(user=stranger).active


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"platform": "blackberry", "token": FCM_TOKEN}, "platform"),
        ({"platform": "android", "token": "x" * 4097}, "token"),
        ({"platform": "android", "token": "has spaces"}, "token"),
        ({"platform": "android", "token": "line\n"}, "token"),
        ({"platform": "android", "token": ""}, "token"),
        ({"platform": "android"}, "token"),
        ({"platform": "android", "token": FCM_TOKEN, "app_version": "v" * 33}, "app_version"),
    ],
)
def test_bad_devices_are_refused_and_nothing_is_written(user_client: APIClient, payload, field) -> None:
    response = user_client.post(DEVICES, payload, format="json")

    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert not Device.unscoped.exists()


def test_a_4096_character_token_is_accepted(user_client: APIClient) -> None:
    assert user_client.post(DEVICES, {"platform": "web", "token": "t" * 4096}, format="json").status_code == 201


def test_deleting_a_device_is_for_its_owner(user_client: APIClient, tenant, user) -> None:
    mine = user_client.post(DEVICES, {"platform": "android", "token": FCM_TOKEN}, format="json").json()
    other = jwt_client_for(UserFactory(tenant=tenant))

    assert other.delete(f"{DEVICES}{mine['id']}/").status_code == 404
    assert user_client.delete(f"{DEVICES}{mine['id']}/").status_code == 204
    signed_out = Device.unscoped.get()  # kept for the deliveries already written for it, never pushed to again
    assert (signed_out.active, signed_out.deactivated_reason) == (False, "signed_out")
    assert user_client.get(DEVICES).json() == []
    assert user_client.delete(f"{DEVICES}{mine['id']}/").status_code == 404
    # Registering the token again brings the same device back.
    again = user_client.post(DEVICES, {"platform": "android", "token": FCM_TOKEN}, format="json")
    assert again.status_code == 200 and again.json()["id"] == mine["id"] and again.json()["active"] is True


def test_devices_list_in_one_query(user_client: APIClient, django_assert_max_num_queries) -> None:
    for index in range(5):
        user_client.post(DEVICES, {"platform": "android", "token": f"{FCM_TOKEN}{index}"}, format="json")
    with django_assert_max_num_queries(1):
        assert len(user_client.get(DEVICES).json()) == 5
