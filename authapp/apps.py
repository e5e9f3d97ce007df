from typing import Any

from django.apps import AppConfig
from django.core import checks


class AuthappConfig(AppConfig):
    name = "authapp"
    verbose_name = "Authentication"

    def ready(self) -> None:
        from users.registry import register_export_section, register_token_issuer

        from . import schema, signals  # noqa: F401 - registers the OpenAPI security schemes
        from .exports import sign_in_export
        from .tokens import issue_token_pair

        register_token_issuer(issue_token_pair)
        signals.connect()
        register_export_section("sign_in", sign_in_export)
        _narrow_allauth_unique_email_check()


def _narrow_allauth_unique_email_check() -> None:
    """Drop exactly one allauth check that cannot hold in a multi-tenant schema.

    allauth insists on ACCOUNT_UNIQUE_EMAIL when email is a login method. Our emails are
    unique per tenant (a constraint on users.User), and the same person may be a user of
    two partners' apps; a global unique email would forbid that. allauth never logs
    anyone in here (dj-rest-auth does, through TenantEmailBackend), so the rule guards
    nothing we use. Every other allauth settings check still runs.
    """
    from allauth.account import checks as allauth_checks

    original = allauth_checks.settings_check
    checks.registry.registry.registered_checks.discard(original)

    @checks.register()
    def allauth_settings_check(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
        return [m for m in original(app_configs, **kwargs) if "requires ACCOUNT_UNIQUE_EMAIL" not in m.msg]
