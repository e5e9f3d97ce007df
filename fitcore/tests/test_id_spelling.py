"""Ids are ASCII digits: no other spelling of a number reaches an object, in a path, a payload or ?user=.

Python's int() reads any Unicode decimal digit, so without care "/api-keys/<fullwidth 1>/"
would be object 1. The path check walks every route of the URLconf, so new routes are covered.
"""

import json

import pytest
from django.urls import reverse
from rest_framework.test import APIRequestFactory, force_authenticate

from conftest import api_key_client_for, jwt_client_for
from fitcore.api.tenancy import parse_object_id
from fitcore.api.tests.scopeapp.models import Note
from fitcore.api.tests.scopeapp.views import NoteViewSet
from fitcore.tests import sweep

pytestmark = pytest.mark.django_db

SCOPEAPP_URLS = "fitcore.api.tests.scopeapp.urls"
NOTES = "/api/v1/scopeapp/notes/"

# Digits 0-9 in other scripts; each is a decimal digit to int() and to str.isdigit().
_ZEROS = {"fullwidth": 0xFF10, "arabic-indic": 0x0660, "devanagari": 0x0966, "math-bold": 0x1D7CE}
_SUPERSCRIPTS = [0x2070, 0x00B9, 0x00B2, 0x00B3, *range(0x2074, 0x207A)]  # isdigit(), but not int()-able
STYLES = [*_ZEROS, "superscript", "one-foreign-digit", "leading-zero"]


def spell(number: int, style: str) -> str:
    digits = str(number)
    if style == "superscript":
        return "".join(chr(_SUPERSCRIPTS[int(d)]) for d in digits)
    if style == "one-foreign-digit":  # ASCII but for the last digit
        return digits[:-1] + chr(_ZEROS["fullwidth"] + int(digits[-1]))
    if style == "leading-zero":  # ASCII, but a second spelling of the same number
        return f"0{digits}"
    return "".join(chr(_ZEROS[style] + int(d)) for d in digits)


def test_spellings_are_what_int_would_read() -> None:
    for style in _ZEROS:
        assert int(spell(407, style)) == 407
    assert spell(407, "superscript").isdigit()


# --- paths: every route with an id in it ------------------------------------------------


def _id_routes(world: sweep.World, urlconf: str | None) -> list[tuple[str, tuple[str, ...], str, dict[str, int]]]:
    """(name, methods, path, {kwarg: id}) for every route whose path names an object by number.

    A viewset's methods include HEAD once it has served a GET (DRF adds it on first use).
    """
    found = []
    for route in sweep.api_routes(urlconf):
        if not route.has_path_params or route.name not in sweep.ROUTES:
            continue  # a route without a case already fails the isolation sweep
        case = sweep.ROUTES[route.name]
        kwargs = case.kwargs(world) if case.kwargs else {}
        ids = {k: int(v) for k, v in kwargs.items() if parse_object_id(v) is not None}
        if ids:
            found.append((route.name, route.methods, reverse(route.name, urlconf=urlconf, kwargs=kwargs), ids))
    return found


def _respell(path: str, ids: dict[str, int], style: str) -> str:
    spelled = {str(v): spell(v, style) for v in ids.values()}
    return "/".join(spelled.get(segment, segment) for segment in path.split("/"))


@pytest.mark.parametrize("urlconf", [None, SCOPEAPP_URLS], ids=["real", "with-scoped-test-resource"])
def test_no_route_reads_an_id_spelled_in_other_digits(world: sweep.World, settings, urlconf: str | None) -> None:
    if urlconf:
        settings.ROOT_URLCONF = urlconf
    routes = _id_routes(world, urlconf)
    names = {name for name, *_ in routes}
    assert {"users:user-detail", "tenant:api-key-detail", "tenant:api-key-rotate"} <= names
    # Tenant A's own principals: they may reach these objects by their ASCII ids.
    clients = {
        "A api key": api_key_client_for(world.a),
        "A tenant admin": jwt_client_for(world.a_admin),
        "A member": jwt_client_for(world.a_user),
    }
    before = sweep.snapshot(world.a)
    failures = []
    for name, methods, path, ids in routes:
        for style in STYLES:
            spelled = _respell(path, ids, style)
            assert spelled != path
            for method in methods:
                for who, client in clients.items():
                    response = getattr(client, method.lower())(spelled, {}, format="json")
                    if response.status_code != 404 or response.get("Content-Type") != "application/problem+json":
                        failures.append(f"{name}: {method} {spelled} as {who} -> {response.status_code}")
                    elif method != "HEAD" and json.loads(response.content)["code"] != "not_found":
                        failures.append(f"{name}: {method} {spelled} as {who} -> {response.content!r}")
    assert not failures, "\n".join(failures)
    assert sweep.snapshot(world.a) == before


@pytest.mark.parametrize("style", STYLES)
def test_get_object_refuses_other_digits_even_past_the_router(tenant, user, style: str) -> None:
    """A subclass may widen lookup_value_regex; get_object itself must not read other digits."""
    note = Note.unscoped.create(tenant=tenant, user=user, title="mine")
    view = NoteViewSet.as_view({"get": "retrieve", "delete": "destroy"})
    for method in ("get", "delete"):
        request = getattr(APIRequestFactory(), method)(f"{NOTES}x/")
        force_authenticate(request, user=user)
        assert view(request, pk=spell(note.pk, style)).status_code == 404
    request = APIRequestFactory().get(f"{NOTES}{note.pk}/")
    force_authenticate(request, user=user)
    assert view(request, pk=str(note.pk)).status_code == 200
    assert Note.unscoped.filter(pk=note.pk).exists()


# --- payloads: ScopedRelatedField and TenantUserField -----------------------------------


@pytest.fixture
def note(tenant, user) -> Note:
    return Note.unscoped.create(tenant=tenant, user=user, title="mine")


NOT_IDS = [
    pytest.param(lambda pk: str(float(pk)), id="decimal-string"),
    pytest.param(lambda pk: float(pk), id="float"),
    pytest.param(lambda pk: pk + 0.5, id="fraction"),
    pytest.param(lambda pk: True, id="true"),
    pytest.param(lambda pk: f"+{pk}", id="plus-sign"),
    pytest.param(lambda pk: f" {pk}", id="leading-space"),
    pytest.param(lambda pk: f"{pk}\n", id="trailing-newline"),
    pytest.param(lambda pk: f"{pk}_0", id="underscore"),
    pytest.param(lambda pk: hex(pk), id="hex"),
    pytest.param(lambda pk: -pk, id="negative"),
    pytest.param(lambda pk: 0, id="zero"),
    pytest.param(lambda pk: 2**63, id="past-bigint"),
    pytest.param(lambda pk: "9" * 5000, id="5000-digits"),
    pytest.param(lambda pk: [pk], id="list"),
    pytest.param(lambda pk: {"id": pk}, id="object"),
]


@pytest.mark.urls(SCOPEAPP_URLS)
@pytest.mark.parametrize("style", STYLES)
def test_a_foreign_key_spelled_in_other_digits_is_400(user_client, note, style: str) -> None:
    response = user_client.post(NOTES, {"title": "reply", "reply_to": spell(note.pk, style)}, format="json")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["reply_to"]
    assert Note.unscoped.count() == 1


@pytest.mark.urls(SCOPEAPP_URLS)
@pytest.mark.parametrize("style", STYLES)
def test_a_user_spelled_in_other_digits_is_400(tenant, user, style: str) -> None:
    client = api_key_client_for(tenant, scopes=["users:write"])
    response = client.post(NOTES, {"title": "for user", "user": spell(user.pk, style)}, format="json")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["user"]


@pytest.mark.urls(SCOPEAPP_URLS)
@pytest.mark.parametrize("value", NOT_IDS)
def test_foreign_keys_take_integers_and_digit_strings_only(tenant, user, user_client, note, value) -> None:
    response = user_client.post(NOTES, {"title": "reply", "reply_to": value(note.pk)}, format="json")
    assert response.status_code == 400, response.content
    assert [e["field"] for e in response.json()["errors"]] == ["reply_to"]
    key_client = api_key_client_for(tenant, scopes=["users:write"])
    response = key_client.post(NOTES, {"title": "for user", "user": value(user.pk)}, format="json")
    assert response.status_code == 400, response.content
    assert Note.unscoped.count() == 1


@pytest.mark.urls(SCOPEAPP_URLS)
@pytest.mark.parametrize("spelling", [int, str], ids=["integer", "digit-string"])
def test_foreign_keys_still_accept_integers_and_ascii_digit_strings(user, user_client, note, spelling) -> None:
    response = user_client.post(NOTES, {"title": "reply", "reply_to": spelling(note.pk)}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["reply_to"] == note.pk


# --- ?user= -------------------------------------------------------------------------------


@pytest.mark.urls(SCOPEAPP_URLS)
@pytest.mark.parametrize("style", STYLES)
def test_user_filter_spelled_in_other_digits_is_400(tenant, user, note, style: str) -> None:
    client = api_key_client_for(tenant, scopes=["users:read"])
    assert [n["id"] for n in client.get(NOTES, {"user": str(user.pk)}).json()["results"]] == [note.pk]
    response = client.get(NOTES, {"user": spell(user.pk, style)})
    assert response.status_code == 400
    assert json.loads(response.content)["errors"][0]["field"] == "user"


def test_parse_object_id() -> None:
    assert parse_object_id(7) == 7
    assert parse_object_id("7") == 7
    assert parse_object_id(2**63 - 1) == 2**63 - 1
    for value in (
        True,
        False,
        0,
        -1,
        2**63,
        7.0,
        "7.0",
        "",
        "-7",
        "+7",
        " 7",
        "7_0",
        "007",
        "0",
        "9" * 5000,
        None,
        [7],
    ):
        assert parse_object_id(value) is None, value


def test_the_ascii_id_reaches_the_object_and_no_other_spelling_does(tenant_admin, tenant) -> None:
    from authapp.tests.factories import make_api_key

    issued = make_api_key(tenant)
    response = jwt_client_for(tenant_admin).get(f"/api/v1/tenant/api-keys/{issued.api_key.pk}/")
    assert response.status_code == 200
    spelled = spell(issued.api_key.pk, "fullwidth")
    assert jwt_client_for(tenant_admin).get(f"/api/v1/tenant/api-keys/{spelled}/").status_code == 404
