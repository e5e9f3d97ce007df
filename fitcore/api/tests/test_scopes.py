"""What a key's scopes grant: write includes read, wildcards cover an area, explicit-only scopes need their name."""

import pytest

from fitcore.api.scopes import ALL_SCOPES, DEFAULT_SCOPES, EXPLICIT_SCOPES, WILDCARDS, grants


@pytest.mark.parametrize(
    ("held", "required", "granted"),
    [
        ({"nutrition:read"}, "nutrition:read", True),
        ({"nutrition:write"}, "nutrition:read", True),
        ({"nutrition:read"}, "nutrition:write", False),
        ({"nutrition:*"}, "nutrition:write", True),
        ({"nutrition:*"}, "workouts:read", False),
        ({"*"}, "health:write", True),
        ({"*"}, "users:tokens", False),
        ({"users:*"}, "users:tokens", False),
        ({"users:write"}, "users:tokens", False),
        ({"users:tokens"}, "users:tokens", True),
        ({"users:tokens"}, "users:read", False),
    ],
)
def test_grants(held: set[str], required: str, granted: bool) -> None:
    assert grants(frozenset(held), required) is granted


def test_no_wildcard_grants_an_explicit_scope() -> None:
    for scope in EXPLICIT_SCOPES:
        assert not grants(frozenset(WILDCARDS | set(DEFAULT_SCOPES)), scope)


def test_the_default_set_is_everything_a_wildcard_grants() -> None:
    assert set(DEFAULT_SCOPES) == {s for s in ALL_SCOPES if grants(frozenset({"*"}), s)}
    assert EXPLICIT_SCOPES.isdisjoint(DEFAULT_SCOPES)
