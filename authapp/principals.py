from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fitcore.api.scopes import grants

if TYPE_CHECKING:
    from users.models import Tenant

    from .models import ApiKey


@dataclass(eq=False)
class ApiKeyPrincipal:
    """``request.user`` for a partner backend: acts for its tenant, within its scopes. Not a DB user."""

    api_key: "ApiKey"
    scopes: frozenset[str] = field(init=False)

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    is_api_key = True
    is_tenant_admin = False
    pk = None
    id = None

    def __post_init__(self) -> None:
        self.scopes = frozenset(self.api_key.scopes)

    @property
    def tenant(self) -> "Tenant":
        return self.api_key.tenant

    @property
    def principal_id(self) -> str:
        return f"api_key:{self.api_key.pk}"

    def has_scope(self, scope: str) -> bool:
        return grants(self.scopes, scope)

    def __str__(self) -> str:
        return f"API key {self.api_key.prefix}"
