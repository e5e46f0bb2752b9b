"""Helpers every part of the suite uses."""

from django.apps import apps


def _own_app_labels() -> list[str]:
    return [
        config.label
        for config in apps.get_app_configs()
        if config.name.startswith(("backend.", "monitoring"))
    ]


def row_counts(*app_labels: str) -> dict[str, int]:
    """Rows in every table of these apps, many-to-many tables included; of every app of the
    project (the grant record, reports, payments, amendments, audit events, flags...) when none
    is named. A refusal that writes nothing leaves them all as they were."""
    return {
        model._meta.label: model.objects.count()
        for label in app_labels or _own_app_labels()
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    }
