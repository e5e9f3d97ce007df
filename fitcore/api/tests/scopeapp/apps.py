from django.apps import AppConfig


class ScopeAppConfig(AppConfig):
    """Installed only in test settings: a user-owned table to exercise the tenancy layer with."""

    name = "fitcore.api.tests.scopeapp"
    label = "scopeapp"
