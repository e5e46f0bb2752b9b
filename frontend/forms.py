"""What every page's forms share."""

from django import forms

from backend.common.errors import InvalidInput


def add_service_errors(
    form: forms.Form, invalid: InvalidInput, paths: dict[str, str] | None = None
) -> None:
    """Put each error of a service's InvalidInput next to the field it names: ``paths`` maps a
    service path to a field name where the two differ; otherwise the path's first part is the
    field (``entries[0].title`` → ``entries``). An error naming no field goes on top."""
    if not hasattr(form, "cleaned_data"):
        form.is_valid()
    paths = paths or {}
    for error in invalid.errors:
        name = paths.get(error.path, error.path)
        if name not in form.fields:
            name = name.split(".", 1)[0].split("[", 1)[0]
        form.add_error(name if name in form.fields else None, error.message)
