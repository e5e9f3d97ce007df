"""The staff admin for tenants, users and profiles (Jazzmin)."""

import pytest

from users.models import DEFAULT_TENANT_SLUG, Profile, Tenant, User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_tenant_list_shows_user_counts(staff_client, tenant):
    UserFactory.create_batch(3, tenant=tenant)

    response = staff_client.get("/admin/users/tenant/?status__exact=active")

    assert response.status_code == 200
    assert response.context["cl"].result_list.get(pk=tenant.pk).user_count == 3


def test_tenant_search(staff_client, tenant, other_tenant):
    response = staff_client.get("/admin/users/tenant/?q=globex")

    assert list(response.context["cl"].result_list) == [other_tenant]


def test_user_list_search_and_filters(staff_client, tenant):
    ann = UserFactory.create(tenant=tenant, email="ann@acme.test")
    UserFactory.create(tenant=tenant, email="bob@acme.test", is_active=False)

    response = staff_client.get(f"/admin/users/user/?q=ann&tenant__id__exact={tenant.pk}&is_active__exact=1")

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [ann]


def test_user_change_page_never_shows_the_password_hash(staff_client, user):
    response = staff_client.get(f"/admin/users/user/{user.pk}/change/")

    html = response.content.decode()
    assert response.status_code == 200
    assert user.password not in html
    assert "md5$" not in html and "pbkdf2" not in html and "argon2" not in html
    assert f"/admin/users/user/{user.pk}/password/" in html
    assert "Profile" in html  # the inline


def test_user_change_page_shows_the_image_status_read_only(staff_client, user):
    Profile.unscoped.filter(user=user).update(
        image_status="failed", image_error_code="invalid_image", image_error_message="The image file is damaged."
    )

    response = staff_client.get(f"/admin/users/user/{user.pk}/change/")

    html = response.content.decode()
    assert "The latest upload failed" in html
    assert "invalid_image: The image file is damaged." in html
    assert 'name="profile-0-image_status"' not in html  # shown, not editable
    assert "image_pending" not in html


def change_form(user: User, profile: Profile, **fields: str) -> dict[str, str]:
    """The user change page's POST: the user's fields plus its profile inline."""
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": "member",
        "is_active": "on",
        "profile-TOTAL_FORMS": "1",
        "profile-INITIAL_FORMS": "1",
        "profile-MIN_NUM_FORMS": "0",
        "profile-MAX_NUM_FORMS": "1",
        "profile-0-id": str(profile.pk),
        "profile-0-user": str(user.pk),
        "profile-0-units": "metric",
        "profile-0-timezone": "UTC",
        "profile-0-language": "en",
        "profile-0-allergens": "[]",
        "profile-0-excluded_foods": "[]",
        **fields,
    }


def test_user_change_page_saves_names_and_profile(staff_client, user):
    profile = Profile.unscoped.get(user=user)
    data = change_form(
        user,
        profile,
        first_name="Changed",
        **{"profile-0-weight_kg": "70.5", "profile-0-timezone": "Europe/Paris", "profile-0-language": "fr"},
    )

    response = staff_client.post(f"/admin/users/user/{user.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    profile.refresh_from_db()
    assert user.first_name == "Changed"
    assert (str(profile.weight_kg), profile.timezone) == ("70.50", "Europe/Paris")


def test_user_add_page_asks_for_tenant_and_email(staff_client):
    response = staff_client.get("/admin/users/user/add/")

    assert response.status_code == 200
    assert set(response.context["adminform"].form.fields) >= {"tenant", "email", "password1", "password2"}
    assert "username" not in response.context["adminform"].form.fields


def test_user_add_form_creates_a_user_with_a_profile(staff_client, tenant):
    response = staff_client.post(
        "/admin/users/user/add/",
        {
            "tenant": tenant.pk,
            "email": "added@acme.test",
            "usable_password": "true",
            "password1": "a-Strong-pass-9876",
            "password2": "a-Strong-pass-9876",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="added@acme.test")
    assert user.tenant == tenant and user.check_password("a-Strong-pass-9876")
    assert Profile.unscoped.filter(user=user).count() == 1


def test_user_add_form_rejects_a_duplicate_email_in_the_tenant(staff_client, user):
    response = staff_client.post(
        "/admin/users/user/add/",
        {"tenant": user.tenant.pk, "email": user.email.upper(), "usable_password": "false"},
    )

    assert response.status_code == 200  # the form again, with an error
    assert User.objects.filter(email__iexact=user.email).count() == 1


def test_password_page_works_for_our_user_model(staff_client, user):
    response = staff_client.post(
        f"/admin/users/user/{user.pk}/password/",
        {"usable_password": "true", "password1": "n3w-Strong-pass!", "password2": "n3w-Strong-pass!"},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("n3w-Strong-pass!")


def test_first_party_tenant_exists_for_staff():
    assert Tenant.objects.filter(slug=DEFAULT_TENANT_SLUG).exists()


def test_user_change_rejects_an_email_taken_in_the_same_tenant(staff_client, user, tenant):
    other = UserFactory.create(tenant=tenant, email="taken@acme.example")
    profile = Profile.unscoped.get(user=user)
    response = staff_client.post(
        f"/admin/users/user/{user.pk}/change/", change_form(user, profile, email="TAKEN@acme.example")
    )
    assert response.status_code == 200
    assert "already has this email" in response.content.decode()
    user.refresh_from_db()
    assert user.email != other.email
