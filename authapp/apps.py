from django.apps import AppConfig


class AuthappConfig(AppConfig):
    name = "authapp"
    verbose_name = "Authentication"
