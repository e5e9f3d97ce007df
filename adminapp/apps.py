from django.apps import AppConfig


class AdminappConfig(AppConfig):
    name = "adminapp"
    verbose_name = "Staff administration"
