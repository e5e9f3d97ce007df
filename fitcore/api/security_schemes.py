"""The API's two security schemes, defined once: settings append them to the schema and
authapp's OpenAPI extensions map its authentication classes onto them. No DRF imports:
settings load this module."""

JWT_AUTH = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "An access token from `/api/v1/auth/login/` (or Google/Apple sign-in).",
}
API_KEY_AUTH = {
    "type": "apiKey",
    "in": "header",
    "name": "X-API-Key",
    "description": "A tenant's API key (`fc_live_…`), for partner backends.",
}
