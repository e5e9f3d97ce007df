"""API key scopes: ``<area>:read`` / ``<area>:write``; ``<area>:*`` and ``*`` grant more.

A write scope includes reading the same area. Scopes in ``EXPLICIT_SCOPES`` are the
exception: no wildcard and no default includes them, a key has one only if it was
granted by name. ``users:tokens`` is one: a user's token reaches everything that user
may, so minting one is never a side effect of a broad key.
"""

AREAS = {
    "users": "the tenant's end users and their profiles",
    "nutrition": "foods, meals, diary and meal plans",
    "workouts": "workouts, sessions and progress",
    "health": "health data and imports",
    "payments": "subscriptions and transactions",
    "notifications": "notifications and devices",
}

SCOPES: dict[str, str] = {
    f"{area}:{access}": f"{'Read' if access == 'read' else 'Create, change and delete'} {what}"
    for area, what in AREAS.items()
    for access in ("read", "write")
}
# A user's token reaches everything that user may, whatever this key's other scopes;
# so minting one is its own scope, never implied by users:write, users:* or *.
SCOPES["users:tokens"] = "Mint sign-in tokens for the tenant's members (POST /users/{id}/tokens/); never by wildcard"
EXPLICIT_SCOPES = frozenset({"users:tokens"})
ALL_SCOPES = sorted(SCOPES)
# What a key created without a scope list gets: everything a wildcard would grant.
DEFAULT_SCOPES = sorted(set(SCOPES) - EXPLICIT_SCOPES)
WILDCARDS = {"*", *(f"{area}:*" for area in AREAS)}


def is_valid(scope: str) -> bool:
    return scope in SCOPES or scope in WILDCARDS


def grants(held: frozenset[str] | set[str], required: str) -> bool:
    """Does a key holding ``held`` satisfy ``required`` (e.g. ``nutrition:read``)?"""
    if required in held:
        return True
    if required in EXPLICIT_SCOPES:
        return False
    if "*" in held:
        return True
    area, _, access = required.partition(":")
    if f"{area}:*" in held:
        return True
    return access == "read" and f"{area}:write" in held
