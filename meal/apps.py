from django.apps import AppConfig


class MealConfig(AppConfig):
    name = "meal"
    verbose_name = "Nutrition"

    def ready(self) -> None:
        from notification.schedule import register_local_time_hook
        from users.registry import register_dashboard_section, register_export_section, register_weekly_report_section

        from . import selectors
        from .planning import replanning

        register_local_time_hook("meal_adaptive_replanning", replanning.run_weekly_adaptation)
        register_dashboard_section("nutrition", selectors.dashboard_section)
        register_export_section("nutrition", selectors.export_section)
        register_weekly_report_section("nutrition", selectors.weekly_report_section)
