"""The tenancy layer itself: fail-closed manager, guarded viewset, scoped FKs, principal-derived owners."""

import pytest
from rest_framework import viewsets

from conftest import api_key_client_for, jwt_client_for
from fitcore.api.tenancy import TenantScopedViewSet, TenantScopeError
from fitcore.api.tests.scopeapp.models import Note
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("fitcore.api.tests.scopeapp.urls")]

NOTES = "/api/v1/scopeapp/notes/"


@pytest.fixture
def notes(tenant, other_tenant, user):
    teammate = UserFactory(tenant=tenant)
    outsider = UserFactory(tenant=other_tenant)
    return {
        "mine": Note.unscoped.create(tenant=tenant, user=user, title="mine"),
        "teammate": Note.unscoped.create(tenant=tenant, user=teammate, title="teammate's"),
        "foreign": Note.unscoped.create(tenant=other_tenant, user=outsider, title="foreign"),
        "teammate_user": teammate,
        "outsider": outsider,
    }


# --- the fail-closed manager ------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        lambda: list(Note.objects.all()),
        lambda: Note.objects.filter(title="mine").first(),
        lambda: Note.objects.get(title="mine"),
        lambda: Note.objects.count(),
        lambda: Note.objects.exists(),
        lambda: Note.objects.filter(title="x").update(title="y"),
        lambda: Note.objects.all().delete(),
        lambda: list(Note.objects.values_list("title", flat=True)),
        lambda: list(Note.objects.iterator()),
        lambda: Note.objects.in_bulk(),
    ],
)
def test_unscoped_queries_raise_instead_of_returning_every_tenant(notes, query) -> None:
    with pytest.raises(TenantScopeError):
        query()
    assert Note.unscoped.count() == 3  # nothing was changed either


def test_for_tenant_returns_only_that_tenants_rows(notes, tenant, other_tenant) -> None:
    assert {n.title for n in Note.objects.for_tenant(tenant)} == {"mine", "teammate's"}
    assert list(Note.objects.for_tenant(other_tenant.pk).values_list("title", flat=True)) == ["foreign"]
    # Scoping survives chaining.
    assert Note.objects.for_tenant(tenant).filter(title__startswith="m").order_by("id").count() == 1


def test_for_tenant_rejects_an_unsaved_tenant() -> None:
    from users.models import Tenant

    with pytest.raises(TenantScopeError):
        Note.objects.for_tenant(Tenant(slug="unsaved"))


def test_related_access_through_a_parent_row_still_works(notes, user) -> None:
    # Reverse and forward relations use the default (unscoped) manager: already scoped by the parent.
    assert notes["mine"].user == user


# --- the guarded viewset ----------------------------------------------------------


def test_overriding_get_queryset_is_refused_at_class_creation() -> None:
    with pytest.raises(TypeError, match="scope_queryset"):

        class Sneaky(TenantScopedViewSet):
            model = Note

            def get_queryset(self):
                return Note.unscoped.all()


def test_overriding_get_object_is_refused_too() -> None:
    with pytest.raises(TypeError, match="get_object"):

        class Sneaky(TenantScopedViewSet):
            model = Note

            def get_object(self):
                return Note.unscoped.first()


def test_a_mixin_cannot_smuggle_in_its_own_get_queryset() -> None:
    class Sneaky:
        def get_queryset(self):
            return Note.unscoped.all()

    with pytest.raises(TypeError, match="get_queryset"):

        class Combined(Sneaky, TenantScopedViewSet):
            model = Note


def test_a_plain_viewset_is_unaffected() -> None:
    class Plain(viewsets.GenericViewSet):
        def get_queryset(self):
            return Note.unscoped.none()

    assert Plain().get_queryset().count() == 0


def test_combining_querysets_needs_one_and_the_same_tenant(notes, tenant, other_tenant) -> None:
    mine = Note.objects.for_tenant(tenant)
    with pytest.raises(TenantScopeError):
        list(mine | Note.objects.filter(title="foreign"))
    with pytest.raises(TenantScopeError):
        list(mine.order_by().union(Note.objects.order_by()))
    with pytest.raises(TenantScopeError):
        list(mine | Note.objects.for_tenant(other_tenant))
    with pytest.raises(TenantScopeError):
        Note.objects.for_tenant(tenant).for_tenant(other_tenant)
    both = mine.filter(title="mine") | Note.objects.for_tenant(tenant).filter(title="teammate's")
    assert {n.title for n in both} == {"mine", "teammate's"}


def test_raw_sql_is_refused_on_the_scoped_manager(notes) -> None:
    with pytest.raises(TenantScopeError):
        Note.objects.raw("SELECT * FROM scopeapp_note")
    assert len(list(Note.unscoped.raw("SELECT * FROM scopeapp_note"))) == 3


# --- end users see their own rows; API keys their tenant's -------------------------


def test_user_lists_only_own_rows(notes, user, django_assert_max_num_queries) -> None:
    client = jwt_client_for(user)
    with django_assert_max_num_queries(3):
        response = client.get(NOTES)
    assert response.status_code == 200
    assert [n["title"] for n in response.json()["results"]] == ["mine"]


def test_a_users_login_reads_user_the_same_way_but_only_within_its_own_rows(notes, user) -> None:
    client = jwt_client_for(user)
    assert [n["title"] for n in client.get(NOTES, {"user": user.pk}).json()["results"]] == ["mine"]
    assert client.get(NOTES, {"user": notes["teammate_user"].pk}).json()["results"] == []
    for bad in ("abc", "null", "0", "-1"):
        response = client.get(NOTES, {"user": bad})
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == "user"


def test_teammates_row_is_404_for_a_user(notes, user) -> None:
    client = jwt_client_for(user)
    teammate = client.get(f"{NOTES}{notes['teammate'].pk}/")
    foreign = client.get(f"{NOTES}{notes['foreign'].pk}/")
    missing = client.get(f"{NOTES}999999/")
    assert teammate.status_code == foreign.status_code == missing.status_code == 404
    # Identical bodies but for the request-specific fields: nothing tells them apart.
    strip = lambda r: {k: v for k, v in r.json().items() if k not in {"instance", "request_id"}}  # noqa: E731
    assert strip(teammate) == strip(foreign) == strip(missing)


def test_api_key_lists_its_whole_tenant_and_can_narrow_by_user(notes, tenant, user) -> None:
    client = api_key_client_for(tenant, scopes=["users:read"])
    titles = {n["title"] for n in client.get(NOTES).json()["results"]}
    assert titles == {"mine", "teammate's"}
    narrowed = client.get(NOTES, {"user": user.pk}).json()["results"]
    assert [n["title"] for n in narrowed] == ["mine"]
    assert client.get(NOTES, {"user": "abc"}).status_code == 400


def test_api_key_without_the_scope_is_refused(notes, tenant) -> None:
    client = api_key_client_for(tenant, scopes=["nutrition:read"])
    response = client.get(NOTES)
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"


def test_read_scope_does_not_allow_writes(notes, tenant, user) -> None:
    client = api_key_client_for(tenant, scopes=["users:read"])
    response = client.post(NOTES, {"title": "x", "user": user.pk})
    assert response.status_code == 403
    assert not Note.unscoped.filter(title="x").exists()


# --- tenant and owner come from the principal, FKs resolve in scope ----------------


def test_created_rows_take_tenant_and_user_from_the_principal(user, tenant, other_tenant) -> None:
    client = jwt_client_for(user)
    response = client.post(NOTES, {"title": "new", "tenant": other_tenant.pk})
    assert response.status_code == 201
    note = Note.unscoped.get(pk=response.json()["id"])
    assert (note.tenant_id, note.user_id) == (tenant.pk, user.pk)


def test_a_user_cannot_write_on_behalf_of_a_teammate(notes, user) -> None:
    client = jwt_client_for(user)
    response = client.post(NOTES, {"title": "spoof", "user": notes["teammate_user"].pk})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "user"
    assert not Note.unscoped.filter(title="spoof").exists()


def test_a_user_cannot_hand_its_row_to_a_teammate(notes, user) -> None:
    client = jwt_client_for(user)
    response = client.patch(f"{NOTES}{notes['mine'].pk}/", {"user": notes["teammate_user"].pk})
    assert response.status_code == 400
    notes["mine"].refresh_from_db()
    assert notes["mine"].user_id == user.pk
    assert client.patch(f"{NOTES}{notes['mine'].pk}/", {"title": "renamed"}).status_code == 200


def test_a_tenant_admin_sees_only_its_own_private_rows(notes, tenant_admin) -> None:
    client = jwt_client_for(tenant_admin)
    assert client.get(NOTES).json()["results"] == []
    assert client.get(f"{NOTES}{notes['mine'].pk}/").status_code == 404
    created = client.post(NOTES, {"title": "admin's own"})
    assert created.status_code == 201
    assert Note.unscoped.get(title="admin's own").user_id == tenant_admin.pk


@pytest.mark.parametrize("value", ["abc", "²", "-1", "0", "99999999999999999999999999", "1.5", ""])
def test_malformed_user_filter_is_400_not_500(notes, tenant, value) -> None:
    response = api_key_client_for(tenant).get(NOTES, {"user": value})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "user"


def test_foreign_fk_in_payload_is_rejected_like_a_missing_one(notes, user) -> None:
    client = jwt_client_for(user)
    foreign = client.post(NOTES, {"title": "child", "reply_to": notes["foreign"].pk})
    teammate = client.post(NOTES, {"title": "child", "reply_to": notes["teammate"].pk})
    missing = client.post(NOTES, {"title": "child", "reply_to": 999999})
    for response in (foreign, teammate, missing):
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "reply_to"
        assert response.json()["errors"][0]["code"] == "does_not_exist"
    assert client.post(NOTES, {"title": "child", "reply_to": notes["mine"].pk}).status_code == 201


def test_api_key_names_the_owner_but_only_inside_its_tenant(notes, tenant, user) -> None:
    client = api_key_client_for(tenant, scopes=["users:write"])
    ok = client.post(NOTES, {"title": "for user", "user": user.pk})
    assert ok.status_code == 201
    assert Note.unscoped.get(title="for user").user_id == user.pk
    outsider = client.post(NOTES, {"title": "for outsider", "user": notes["outsider"].pk})
    assert outsider.status_code == 400
    assert outsider.json()["errors"][0]["field"] == "user"
    assert not Note.unscoped.filter(title="for outsider").exists()


def test_foreign_rows_cannot_be_changed_or_deleted(notes, user, tenant) -> None:
    for client in (jwt_client_for(user), api_key_client_for(tenant)):
        assert client.patch(f"{NOTES}{notes['foreign'].pk}/", {"title": "pwned"}).status_code == 404
        assert client.delete(f"{NOTES}{notes['foreign'].pk}/").status_code == 404
    notes["foreign"].refresh_from_db()
    assert notes["foreign"].title == "foreign"


def test_api_keys_cannot_reach_views_without_a_scope_area(tenant) -> None:
    response = api_key_client_for(tenant).get("/api/v1/scopeapp/no-scope/")
    assert response.status_code == 403
    assert response.json()["code"] == "api_key_not_allowed"
    assert jwt_client_for(UserFactory(tenant=tenant)).get("/api/v1/scopeapp/no-scope/").status_code == 200
