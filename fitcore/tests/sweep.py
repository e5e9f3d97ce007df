"""The cross-tenant isolation sweep: every route under /api/v1/, every method, as another tenant.

Tenant A gets data from every app's seeders; tenant B then calls every route with
its API key (all scopes), its tenant admin's JWT and a member's JWT (and with no
credentials). The sweep fails when:

- a route has no registered case (so a new endpoint cannot skip the sweep),
- any call answers 5xx,
- a path naming one of A's objects answers anything but 401/403/404/405,
- a write naming A's objects as foreign keys succeeds,
- a response body contains any of A's marker strings (emails, names, prefixes),
- any of A's rows changed.

Apps register in ``<app>/tests/sweep.py`` (imported by ``load_cases``)::

    from fitcore.tests import sweep

    @sweep.seeder
    def seed_meals(world):
        world.objects["meal"] = MealFactory(tenant=world.a, user=world.a_user, name=world.marker("meal"))

    sweep.route("meal:meal-list", payload=lambda w: {"plan": w.objects["plan"].pk})
    sweep.route("meal:meal-detail", kwargs=lambda w: {"pk": w.objects["meal"].pk})
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

API_PREFIX = "api/v1/"
CLEAN_STATUSES_FOR_FOREIGN_PATHS = {401, 403, 404, 405}


@dataclass
class World:
    a: Any
    b: Any
    a_user: Any
    a_admin: Any
    b_user: Any
    b_admin: Any
    b_key: str
    objects: dict[str, Any] = field(default_factory=dict)
    markers: set[str] = field(default_factory=set)

    def marker(self, label: str) -> str:
        """A string unique to tenant A's data; it must never appear in a response to B."""
        value = f"{label}-a-{uuid.uuid4().hex[:12]}"
        self.markers.add(value)
        return value


@dataclass(frozen=True)
class RouteCase:
    kwargs: Callable[[World], dict[str, Any]] | None = None
    payload: Callable[[World], dict[str, Any]] | None = None
    # Set when the payload names A's objects: the write must then be refused.
    payload_names_foreign: bool = True
    # Extra headers (e.g. X-Tenant) for routes that need them.
    headers: Callable[[World], dict[str, str]] | None = None
    # Run after every other call: the route retires B's own credentials (sign out everywhere).
    last: bool = False


SEEDERS: list[Callable[[World], None]] = []
ROUTES: dict[str, RouteCase] = {}


def seeder(fn: Callable[[World], None]) -> Callable[[World], None]:
    SEEDERS.append(fn)
    return fn


def route(name: str, **case: Any) -> None:
    if name in ROUTES:
        raise ValueError(f"sweep case for {name!r} registered twice")
    ROUTES[name] = RouteCase(**case)


def load_cases() -> None:
    for config in apps.get_app_configs():
        for module in (f"{config.name}.tests.sweep", f"{config.name}.sweep"):
            try:
                importlib.import_module(module)
            except ModuleNotFoundError as exc:
                if exc.name != module and not module.startswith(str(exc.name)):
                    raise


@dataclass(frozen=True)
class ApiRoute:
    name: str
    methods: tuple[str, ...]
    has_path_params: bool


def api_routes(urlconf: str | None = None) -> list[ApiRoute]:
    found: list[ApiRoute] = []

    def walk(patterns: list[Any], prefix: str, namespaces: list[str]) -> None:
        for pattern in patterns:
            text = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                ns = [*namespaces, pattern.namespace] if pattern.namespace else namespaces
                walk(pattern.url_patterns, text, ns)
            elif isinstance(pattern, URLPattern) and text.startswith(API_PREFIX):
                name = ":".join([*namespaces, pattern.name]) if pattern.name else f"<unnamed {text}>"
                found.append(ApiRoute(name, _methods(pattern.callback), "<" in text or "(?P" in text))

    walk(get_resolver(urlconf).url_patterns, "", [])
    return found


def _methods(callback: Any) -> tuple[str, ...]:
    actions = getattr(callback, "actions", None)
    if actions:
        return tuple(m.upper() for m in actions)
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is None:
        return ("GET", "POST")
    return tuple(m.upper() for m in cls.http_method_names if m not in {"options", "head"} and hasattr(cls, m))


def snapshot(tenant: Any) -> dict[str, list[dict[str, Any]]]:
    """Every row tenant A owns, directly or through its users."""
    state: dict[str, list[dict[str, Any]]] = {}
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    for model in apps.get_models():
        names = {f.name: f for f in model._meta.get_fields() if isinstance(f, models.ForeignKey)}
        manager = model._default_manager
        if "tenant" in names or model is user_model:
            rows = manager.filter(tenant=tenant)
        elif "user" in names and names["user"].related_model is user_model:
            rows = manager.filter(user__tenant=tenant)
        else:
            continue
        state[model._meta.label] = list(rows.order_by("pk").values())
    return state


# Reads first, then writes, deletes last: a DELETE may remove B's own principal.
_METHOD_ORDER = {"GET": 0, "POST": 1, "PUT": 2, "PATCH": 3, "DELETE": 4}


def run(world: World, clients: dict[str, APIClient], urlconf: str | None = None) -> list[str]:
    failures: list[str] = []
    routes = api_routes(urlconf)
    for r in routes:
        if r.name.startswith("<unnamed"):
            failures.append(f"{r.name}: every API route needs a name to be swept")
        elif r.name not in ROUTES:
            failures.append(f"{r.name}: no sweep case registered (add one in <app>/tests/sweep.py)")
    before = snapshot(world.a)
    calls = [(r, m) for r in routes if r.name in ROUTES for m in r.methods]
    calls.sort(key=lambda rm: (ROUTES[rm[0].name].last, _METHOD_ORDER.get(rm[1], 9)))
    for r, method in calls:
        case = ROUTES[r.name]
        kwargs = case.kwargs(world) if case.kwargs else {}
        path = reverse(r.name, urlconf=urlconf, kwargs=kwargs)
        headers = case.headers(world) if case.headers else {}
        body = case.payload(world) if case.payload else {}
        foreign_path = bool(kwargs)
        for who, client in clients.items():
            call = getattr(client, method.lower())
            extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
            response = call(path, body, format="json", **extra) if method != "GET" else call(path, **extra)
            where = f"{method} {path} as {who} -> {response.status_code}"
            if response.status_code >= 500:
                failures.append(f"{where}: server error")
            if foreign_path and response.status_code not in CLEAN_STATUSES_FOR_FOREIGN_PATHS:
                failures.append(f"{where}: tenant A's object in the path was not refused")
            if (
                case.payload
                and case.payload_names_foreign
                and method in {"POST", "PUT", "PATCH"}
                and 200 <= response.status_code < 300
            ):
                failures.append(f"{where}: a write naming tenant A's objects succeeded")
            content = response.content.decode(errors="replace")
            leaked = sorted(m for m in world.markers if m in content)
            if leaked:
                failures.append(f"{where}: response contains tenant A's data {leaked}")
    after = snapshot(world.a)
    for label in sorted(before):
        if before[label] != after.get(label):
            failures.append(f"{label}: tenant A's rows changed during the sweep")
    return failures
