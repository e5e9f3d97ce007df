from django.apps import AppConfig


class MealConfig(AppConfig):
    name = "meal"
    verbose_name = "Nutrition"
