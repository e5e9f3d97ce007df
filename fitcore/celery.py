"""Celery application: configured from Django settings (CELERY_*), tasks autodiscovered."""

import logging.config
import os
from typing import Any

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fitcore.settings.development")

app = Celery("fitcore")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def keep_django_logging(**kwargs: Any) -> None:
    """Workers log through Django's LOGGING (JSON lines with request context), not Celery's own.

    Without a receiver Celery empties the root logger's handlers and installs its
    plain-text ones, so a worker's lines lose the format and the context filter the
    web processes use. An in-process test worker did the same to the test run.
    """
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
