from authapp.services import IssuedKey, api_key_create
from fitcore.api.scopes import ALL_SCOPES
from users.models import Tenant


def make_api_key(tenant: Tenant, *, scopes: list[str] | None = None, name: str = "test key") -> IssuedKey:
    """Through the service, so tests hold the one-time secret exactly as a partner would."""
    return api_key_create(tenant=tenant, name=name, scopes=list(ALL_SCOPES) if scopes is None else scopes)
