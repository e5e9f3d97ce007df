from django.apps import AppConfig


class WorkoutConfig(AppConfig):
    name = "workout"
    verbose_name = "Workouts"
