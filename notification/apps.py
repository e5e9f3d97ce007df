from django.apps import AppConfig


class NotificationConfig(AppConfig):
    name = "notification"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from allauth.account import signals as allauth_signals

        from users.registry import register_dashboard_section, register_export_section
        from users.signals import email_changed

        from . import schedule, selectors, signals

        allauth_signals.user_signed_up.connect(signals.welcome, dispatch_uid="notification.welcome")
        allauth_signals.password_changed.connect(signals.password_changed, dispatch_uid="notification.password_changed")
        allauth_signals.password_reset.connect(signals.password_changed, dispatch_uid="notification.password_reset")
        email_changed.connect(signals.email_changed, dispatch_uid="notification.email_changed")
        register_dashboard_section("notifications", selectors.dashboard_section)
        register_export_section("notifications", selectors.export_section)
        schedule.register_local_time_hook("daily_digest", schedule.send_daily_digests)
