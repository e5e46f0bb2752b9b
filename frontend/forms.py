"""What every page's forms share: one way to run a posted form through a service.

A page that posts calls ``submit``: the form is validated, the service called, and its answer
turned into the page's: a service's ``InvalidInput`` puts its errors on the form's fields
(400, the form shown again as typed), a ``Conflict`` (a step the object's state does not allow
now) is a 409 with its reason, and a success is the htmx partial for an htmx request or a
redirect (303 See Other, with a message) for a plain post. htmx swaps the 400 and 409 answers
too (``htmx-config`` in ``base.html``).

Before the service is called, a text that holds a NUL byte or another control character
(``backend/common/text.py``; tabs and line breaks are fine) is refused at its field, in every
form posted this way, whatever its fields check themselves.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect

from backend.common.errors import Conflict, InvalidInput, PathError
from backend.common.text import control_character_message, forbidden_character

T = TypeVar("T")


@dataclass(frozen=True)
class Refusal:
    """Why a post was refused, for the page that shows it again with ``status``.

    400: the input is refused. The form (kept as typed) holds the errors at its fields;
    ``unplaced`` are the service's errors that name no field of it (the form shows them on
    top), or all of them for a post without a form. 409: ``conflict`` is why the object's
    state does not allow the step now, and ``refused`` the service's refusal itself (a kind of
    conflict may say more).
    """

    status: int
    conflict: str = ""
    unplaced: tuple[PathError, ...] = ()
    refused: Conflict | None = None

    @property
    def message(self) -> str:
        """What to say beside the form: the conflict, or the errors at no field."""
        return self.conflict or " ".join(error.message for error in self.unplaced)


def see_other(url: str) -> HttpResponseRedirect:
    """The answer to a successful post: 303, so that reloading the page does not post again."""
    return HttpResponseRedirect(url, status=303)


def is_partial(request) -> bool:
    """An htmx request for a part of the page (a history restore asks for the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def add_service_errors(
    form: forms.Form, invalid: InvalidInput, paths: Mapping[str, str] | None = None
) -> list[PathError]:
    """Put each error of a service's InvalidInput next to the field it names: ``paths`` maps a
    service path to a field name where the two differ; otherwise the path's first part is the
    field (``entries[0].title`` → ``entries``). An error naming no field goes on top; those are
    returned."""
    if not hasattr(form, "cleaned_data"):
        form.is_valid()
    paths = paths or {}
    unplaced = []
    for error in invalid.errors:
        name = paths.get(error.path, error.path)
        if name not in form.fields:
            name = name.split(".", 1)[0].split("[", 1)[0]
        if name not in form.fields:
            name = None
            unplaced.append(error)
        form.add_error(name, error.message)
    return unplaced


def _forms_in(form) -> list[forms.BaseForm]:
    """The Django forms a posted form is made of: itself, a formset's forms, or the forms and
    formsets an object holds (the amendment builder's form and rows)."""
    if isinstance(form, forms.BaseForm):
        return [form]
    if isinstance(form, forms.BaseFormSet):
        return list(form.forms)
    return [
        inner
        for value in vars(form).values()
        if isinstance(value, forms.BaseForm | forms.BaseFormSet)
        for inner in _forms_in(value)
    ]


def refuse_control_characters(form) -> bool:
    """Put an error on each field of ``form`` (validated already) whose posted text holds a
    control character, unless the field refused it already; whether no field held one."""
    plain = True
    for each in _forms_in(form):
        for name in each.fields:
            key = each.add_prefix(name)
            texts = (
                each.data.getlist(key) if hasattr(each.data, "getlist") else [each.data.get(key)]
            )
            for text in texts:
                character = forbidden_character(text) if isinstance(text, str) else None
                if character is not None:
                    plain = False
                    if name not in each.errors:
                        each.add_error(name, control_character_message(character))
                    break
    return plain


def attempt(form, service: Callable[[], T]) -> tuple[T | None, Refusal | None]:
    """Validate ``form`` (None: a post without fields), then call ``service``: the service's
    result, or why it was refused (with its errors placed on the form, a control character in
    a text among them)."""
    if form is not None:
        valid = form.is_valid()
        if not (refuse_control_characters(form) and valid):
            return None, Refusal(400)
    try:
        return service(), None
    except Conflict as conflict:
        return None, Refusal(409, conflict=conflict.message, refused=conflict)
    except InvalidInput as invalid:
        unplaced = invalid.errors if form is None else _place(form, invalid)
        return None, Refusal(400, unplaced=tuple(unplaced))


def submit(
    request,
    form,
    service: Callable[[], T],
    *,
    refused: Callable[[Refusal], HttpResponse],
    url: str | Callable[[T], str],
    message: str | Callable[[T], str] = "",
    partial: Callable[[T], HttpResponse] | None = None,
) -> HttpResponse:
    """Run a posted form through a service and answer.

    ``form`` is the bound form (None for a button that posts no field) and ``service`` the
    service's call, made once the form is valid. Refused, ``refused(refusal)`` shows the page
    again with the refusal's status. Done, an htmx request gets ``partial(result)`` when there
    is one; otherwise ``message`` is shown at ``url`` (each may be worked out from the result).
    """
    result, refusal = attempt(form, service)
    if refusal is not None:
        return refused(refusal)
    if partial is not None and is_partial(request):
        return partial(result)
    text = message(result) if callable(message) else message
    if text:
        messages.success(request, text)
    return see_other(url(result) if callable(url) else url)


def _place(form, invalid: InvalidInput) -> list[PathError]:
    """Put a service's errors on the form; those at no field are returned. A form whose fields
    do not follow the service's paths (the contribution's entries, the amendment builder's
    rows) places them itself with ``place_errors(errors)``, returning those it put at no field
    (or nothing: the builder shows them on top itself)."""
    if hasattr(form, "place_errors"):
        return list(form.place_errors(invalid.errors) or ())
    return add_service_errors(form, invalid)
