from django.apps import AppConfig


class PaymentConfig(AppConfig):
    name = "payment"
    verbose_name = "Payments"

    def ready(self) -> None:
        from notification.schedule import register_local_time_hook
        from users.registry import register_dashboard_section, register_export_section

        from . import selectors, services

        register_dashboard_section("subscription", selectors.dashboard_section)
        register_export_section("payments", selectors.export_section)
        register_local_time_hook("subscription_ending", services.send_subscription_ending_reminders)
