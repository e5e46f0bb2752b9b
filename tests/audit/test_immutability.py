"""An audit event, once written, is never changed or deleted: not through the model, not through
a query set, not in the admin, and on PostgreSQL not even by a raw statement."""

import pytest
from django.contrib import admin
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse

from backend.audit.models import Event, EventIsImmutable
from backend.audit.services import event_record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return event_record(
        actor=None,
        verb="grant.imported",
        object_type="project",
        object_id=7,
        object_repr="CARETECH",
        after={"acronym": "CARETECH"},
        note="The first note.",
    )


def _unchanged(event) -> None:
    stored = Event.objects.get(pk=event.pk)
    assert (stored.verb, stored.note, stored.after) == (
        "grant.imported",
        "The first note.",
        {"acronym": "CARETECH"},
    )
    assert Event.objects.count() == 1


def test_saving_an_existing_event_is_refused(event):
    event.note = "Rewritten."

    with pytest.raises(EventIsImmutable, match="audit events cannot be changed"):
        event.save()

    _unchanged(event)


def test_saving_a_fresh_copy_of_an_event_is_refused(event):
    copy = Event.objects.get(pk=event.pk)
    copy.verb = "grant.deleted"

    with pytest.raises(EventIsImmutable, match="audit events cannot be changed"):
        copy.save(update_fields=["verb"])

    _unchanged(event)


def test_deleting_an_event_is_refused(event):
    with pytest.raises(EventIsImmutable, match="audit events cannot be deleted"):
        event.delete()

    _unchanged(event)


def test_updating_events_through_a_query_is_refused(event):
    with pytest.raises(EventIsImmutable, match="audit events cannot be changed"):
        Event.objects.update(note="Rewritten.")
    with pytest.raises(EventIsImmutable, match="audit events cannot be changed"):
        Event.objects.filter(pk=event.pk).update(note="Rewritten.")

    _unchanged(event)


def test_deleting_events_through_a_query_is_refused(event):
    with pytest.raises(EventIsImmutable, match="audit events cannot be deleted"):
        Event.objects.all().delete()
    with pytest.raises(EventIsImmutable, match="audit events cannot be deleted"):
        Event.objects.filter(pk=event.pk).delete()

    _unchanged(event)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET note = 'Rewritten.' WHERE id = %s",
        "DELETE FROM audit_event WHERE id = %s",
    ],
    ids=["update", "delete"],
)
def test_postgresql_refuses_a_raw_update_or_delete(event, statement):
    with (
        pytest.raises(DatabaseError, match="audit events cannot be changed or deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [event.pk])

    _unchanged(event)


def test_the_admin_gives_nobody_the_right_to_add_change_or_delete_events(event):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    request = RequestFactory().get("/admin/audit/event/")
    request.user = root
    model_admin = admin.site._registry[Event]

    assert (
        model_admin.has_add_permission(request),
        model_admin.has_change_permission(request, event),
        model_admin.has_delete_permission(request, event),
        model_admin.has_view_permission(request, event),
    ) == (False, False, False, True)


def test_the_admin_pages_show_an_event_but_refuse_to_add_or_delete_one(client, event):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))

    assert client.get(reverse("admin:audit_event_changelist")).status_code == 200
    assert client.get(reverse("admin:audit_event_change", args=[event.pk])).status_code == 200
    assert client.get(reverse("admin:audit_event_add")).status_code == 403
    assert client.get(reverse("admin:audit_event_delete", args=[event.pk])).status_code == 403
    changed = client.post(
        reverse("admin:audit_event_change", args=[event.pk]), {"note": "Rewritten."}
    )
    assert changed.status_code == 403

    _unchanged(event)
