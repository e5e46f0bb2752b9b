"""Recording audit events. Every service that changes the record's state calls
``event_record`` once, inside its transaction."""

import datetime
import decimal
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models

from backend.audit.models import Audience, Event


def _plain(value: Any) -> Any:
    """A value as JSON keeps it: dates and times in ISO form, amounts as strings (no float)."""
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(item) for item in value]
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or None
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of an object as plain data (a foreign key as its id)."""
    state = {}
    for name in fields:
        field = obj._meta.get_field(name)
        value = getattr(obj, field.attname)
        state[name] = _plain(value)
    return state


def event_record(
    *,
    actor,
    verb: str,
    obj: models.Model | None = None,
    project_id: int | None = None,
    object_type: str | None = None,
    object_id: Any = "",
    object_repr: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    note: str = "",
    audience: Audience = Audience.PROJECT,
    audience_participation_id: int | None = None,
) -> Event:
    """Record one event. ``obj`` names the object changed (its type, id and text); ``project_id``
    defaults to the object's project.

    ``audience`` says who may read the event (``backend.audit.selectors.events_visible``): an
    event about a draft, whose state or note carries the draft's content, is read only by those
    who may read the draft itself; with ``Audience.PARTICIPATION``, ``audience_participation_id``
    names the participation whose draft it is.
    """
    if (audience == Audience.PARTICIPATION) != (audience_participation_id is not None):
        raise ValueError("a participation's audience, and only it, names the participation")
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = obj.pk
        object_repr = str(obj) if object_repr is None else object_repr
        if project_id is None:
            project_id = getattr(obj, "project_id", None)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return Event.objects.create(
        actor=actor if authenticated else None,
        actor_name=actor.get_username() if authenticated else "",
        project_id=project_id,
        verb=verb,
        object_type=object_type or "",
        object_id="" if object_id in (None, "") else str(object_id),
        object_repr=(object_repr or "")[:300],
        before=None if before is None else _plain(before),
        after=None if after is None else _plain(after),
        note=note,
        audience=audience,
        audience_participation_id=audience_participation_id,
    )
