"""The Celery application. Its configuration lives in Django settings under CELERY_*."""

import os

from celery import Celery
from celery.signals import setup_logging

from backend.config.embedded import celery_folders_make

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")

app = Celery("grantwatch")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect(weak=False)
def _make_folders(sender=None, source=None, **kwargs) -> None:
    """The embedded setup's broker and result folders (var/celery/), made once the
    configuration is read: by the worker and beat as they start, by the web process before it
    queues its first task."""
    celery_folders_make(source)


@setup_logging.connect(weak=False, dispatch_uid="grantwatch.setup_logging")
def _use_django_logging(**kwargs) -> None:
    """Worker and beat log as the web process does (settings.LOGGING: JSON lines with the task
    id), instead of Celery's own format: with a receiver here, Celery configures no logging."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
