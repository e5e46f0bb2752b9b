import os

from django.core.wsgi import get_wsgi_application

from backend.config.celery import app as celery_app
from backend.config.embedded import celery_folders_make

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")

# The web application queues tasks, and /readyz looks at the broker: with the embedded broker,
# its folders in var/ are made before the application serves.
celery_folders_make(celery_app.conf)
application = get_wsgi_application()
