"""Sections other apps contribute to the user dashboard and the personal-data export.

``users`` sits above meal, workout, health and payment, so it cannot import them.
Instead each of those apps registers a provider in its ``AppConfig.ready()``::

    from users.registry import register_dashboard_section, register_export_section

    register_dashboard_section("nutrition", nutrition_dashboard_for)
    register_export_section("nutrition", nutrition_export_for)

A provider takes the user and returns JSON-able data (dicts, lists, strings, numbers,
booleans, None; dates, datetimes and Decimals are encoded by the API renderer). It
must only read rows of that user. Sections appear under their name, sorted by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import date

    from .models import User

SectionProvider = Callable[["User"], Any]

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


class SectionRegistry:
    """Named providers; registering the same provider twice is harmless, a different one is a bug."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._providers: dict[str, SectionProvider] = {}

    def register(self, name: str, provider: SectionProvider) -> None:
        if not _NAME.match(name):
            raise ValueError(f"{self.kind} section name {name!r} must be snake_case, at most 50 characters.")
        if not callable(provider):
            raise TypeError(f"{self.kind} section {name!r}: the provider must be callable.")
        existing = self._providers.get(name)
        if existing is not None and existing is not provider:
            raise ValueError(f"{self.kind} section {name!r} is already registered by {existing!r}.")
        self._providers[name] = provider

    def unregister(self, name: str) -> None:
        self._providers.pop(name, None)

    def items(self) -> list[tuple[str, SectionProvider]]:
        return sorted(self._providers.items())

    def names(self) -> list[str]:
        return sorted(self._providers)

    @contextmanager
    def temporarily(self, name: str, provider: SectionProvider) -> Iterator[None]:
        """For tests: a section that exists only inside the ``with`` block."""
        self.register(name, provider)
        try:
            yield
        finally:
            self.unregister(name)


dashboard_sections = SectionRegistry("dashboard")
export_sections = SectionRegistry("export")


def register_dashboard_section(name: str, provider: SectionProvider) -> None:
    """Add ``sections[name] = provider(user)`` to ``GET /api/v1/users/me/dashboard/``."""
    dashboard_sections.register(name, provider)


def register_export_section(name: str, provider: SectionProvider) -> None:
    """Add ``sections[name] = provider(user)`` to ``GET /api/v1/users/me/export/``."""
    export_sections.register(name, provider)


# --- token minting ----------------------------------------------------------------
# authapp mints tokens and sits below users; it hands its minter over in
# AuthappConfig.ready(), so POST /users/{id}/tokens/ needs no upward import.

TokenIssuer = Callable[["User"], dict[str, str]]
_token_issuer: list[TokenIssuer] = []


def register_token_issuer(issuer: TokenIssuer) -> None:
    _token_issuer[:] = [issuer]


def issue_tokens(user: User) -> dict[str, str]:
    if not _token_issuer:
        raise RuntimeError("No token issuer registered: authapp registers one in AuthappConfig.ready().")
    return _token_issuer[0](user)


# --- profile changes ----------------------------------------------------------------
# Higher apps react to a profile change without users importing them: the workout app's
# achievements read the body weight. Listeners run after the change commits, each on its own.
ProfileListener = Callable[["User", list[str]], None]
_profile_listeners: dict[str, ProfileListener] = {}


def register_profile_listener(name: str, listener: ProfileListener) -> None:
    """Call ``listener(user, changed_field_names)`` after a profile change commits."""
    existing = _profile_listeners.get(name)
    if existing is not None and existing is not listener:
        raise ValueError(f"profile listener {name!r} is already registered by {existing!r}.")
    _profile_listeners[name] = listener


def profile_changed(user: User, changed: list[str]) -> None:
    import logging

    for name, listener in sorted(_profile_listeners.items()):
        try:
            listener(user, changed)
        except Exception:  # one app's failure must not fail the profile update or the others
            logging.getLogger(__name__).exception("profile listener %s failed for user %s", name, user.pk)


# --- weekly report sections -----------------------------------------------------------
# The health app's weekly progress report gathers what the workout and meal apps know about
# the week without importing them: each registers ``provider(user, first_day, last_day)``
# (local dates, both included) returning JSON-able data about that user's week.
WeeklyReportProvider = Callable[["User", "date", "date"], Any]
_weekly_report_sections: dict[str, WeeklyReportProvider] = {}


def register_weekly_report_section(name: str, provider: WeeklyReportProvider) -> None:
    if not _NAME.match(name):
        raise ValueError(f"weekly report section name {name!r} must be snake_case, at most 50 characters.")
    existing = _weekly_report_sections.get(name)
    if existing is not None and existing is not provider:
        raise ValueError(f"weekly report section {name!r} is already registered by {existing!r}.")
    _weekly_report_sections[name] = provider


def weekly_report_sections() -> list[tuple[str, WeeklyReportProvider]]:
    return sorted(_weekly_report_sections.items())


# --- daily body data ------------------------------------------------------------------
# The meal app's adaptive re-planning needs the user's weights and measured energy
# expenditure, which the health app keeps; health registers one source,
# ``source(user, first_day, last_day)`` -> {local date: {"weight_kg": float | None,
# "expenditure_kcal": float | None}}. Without one (health not installed) there is no data.
BodyDataSource = Callable[["User", "date", "date"], dict[Any, dict[str, Any]]]
_body_data_source: list[BodyDataSource] = []


def register_body_data_source(source: BodyDataSource) -> None:
    _body_data_source[:] = [source]


def daily_body_data(user: User, first_day: date, last_day: date) -> dict[Any, dict[str, Any]]:
    return _body_data_source[0](user, first_day, last_day) if _body_data_source else {}
