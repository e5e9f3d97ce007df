from django.apps import AppConfig


class MealConfig(AppConfig):
    name = "meal"
    verbose_name = "Nutrition"

    def ready(self) -> None:
        from users.registry import register_dashboard_section, register_export_section, register_weekly_report_section

        from . import selectors

        register_dashboard_section("nutrition", selectors.dashboard_section)
        register_export_section("nutrition", selectors.export_section)
        register_weekly_report_section("nutrition", selectors.weekly_report_section)
