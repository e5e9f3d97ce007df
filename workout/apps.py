from django.apps import AppConfig


class WorkoutConfig(AppConfig):
    name = "workout"
    verbose_name = "Workouts"

    def ready(self) -> None:
        from notification.schedule import register_local_time_hook
        from users.registry import (
            register_dashboard_section,
            register_export_section,
            register_profile_listener,
            register_weekly_report_section,
        )

        from . import achievements, reminders, selectors

        register_dashboard_section("workouts", selectors.dashboard_section)
        register_export_section("workouts", selectors.export_section)
        register_weekly_report_section("workouts", selectors.weekly_report_section)
        register_local_time_hook("workout_reminders", reminders.send_due_reminders)
        register_profile_listener("workout_achievements", achievements.on_profile_changed)
