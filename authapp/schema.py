"""OpenAPI: our authentication classes map onto the security schemes declared in settings."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TenantJWTScheme(OpenApiAuthenticationExtension):
    target_class = "authapp.authentication.TenantJWTAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An access token from `/api/v1/auth/login/` (or Google/Apple sign-in).",
        }


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "authapp.authentication.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": "A tenant's API key (`fc_live_…`), for partner backends.",
        }
