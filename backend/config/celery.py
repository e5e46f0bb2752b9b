"""The Celery application. Its configuration lives in Django settings under CELERY_*."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")

app = Celery("grantwatch")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
