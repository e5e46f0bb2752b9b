from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The HTTP API. An app for its one table: the idempotency keys of create requests
    (``backend/api/idempotency.py``)."""

    name = "backend.api"
    label = "api"
    default_auto_field = "django.db.models.BigAutoField"
