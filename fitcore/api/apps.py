from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "fitcore.api"
    label = "fitcore_api"
    verbose_name = "FitCore API layer"

    def ready(self) -> None:
        # Registers the OpenAPI extensions (problem responses, auth schemes).
        from . import json_types, schema  # noqa: F401

        json_types.install()
