"""OpenAPI: our authentication classes map onto the security schemes declared in settings."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from fitcore.api.security_schemes import API_KEY_AUTH, JWT_AUTH


class TenantJWTScheme(OpenApiAuthenticationExtension):
    target_class = "authapp.authentication.TenantJWTAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return dict(JWT_AUTH)


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "authapp.authentication.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return dict(API_KEY_AUTH)
