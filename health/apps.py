from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "health"
    verbose_name = "Health data"

    def ready(self) -> None:
        from notification.schedule import register_local_time_hook
        from users.registry import register_body_data_source, register_dashboard_section, register_export_section

        from . import selectors, services

        register_dashboard_section("health", selectors.dashboard_section)
        register_export_section("health", selectors.export_section)
        register_body_data_source(selectors.daily_body_data)
        register_local_time_hook("health_weekly_report", services.send_weekly_reports)
