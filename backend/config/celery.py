"""The Celery application. Its configuration lives in Django settings under CELERY_*."""

import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")

app = Celery("grantwatch")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect(weak=False, dispatch_uid="grantwatch.setup_logging")
def _use_django_logging(**kwargs) -> None:
    """Worker and beat log as the web process does (settings.LOGGING: JSON lines with the task
    id), instead of Celery's own format: with a receiver here, Celery configures no logging."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
