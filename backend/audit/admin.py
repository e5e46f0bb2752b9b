from django.contrib import admin

from backend.audit.models import Event
from backend.audit.services import event_record, snapshot

# Never copied into the trail.
SECRET_FIELDS = frozenset({"password"})


def _fields(obj) -> list[str]:
    return [field.name for field in obj._meta.concrete_fields if field.name not in SECRET_FIELDS]


def _project_id(obj) -> int | None:
    if obj._meta.label == "grants.Project":
        return obj.pk
    return getattr(obj, "project_id", None)


def _record(request, verb: str, obj, *, object_id, before=None, after=None) -> None:
    event_record(
        actor=request.user,
        verb=f"{obj._meta.model_name}.{verb}",
        project_id=_project_id(obj),
        object_type=obj._meta.model_name,
        object_id=object_id,
        object_repr=str(obj),
        before=before,
        after=after,
        note="admin",
    )


class AuditedAdmin(admin.ModelAdmin):
    """An administrator's edits are state changes like any other: each added, changed or
    deleted row (inline rows included) is an audit event with the row's fields before and
    after (passwords left out)."""

    def save_model(self, request, obj, form, change):
        before = None
        if change:
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = None if stored is None else snapshot(stored, _fields(stored))
        super().save_model(request, obj, form, change)
        _record(
            request,
            "changed_in_admin" if change else "added_in_admin",
            obj,
            object_id=obj.pk,
            before=before,
            after=snapshot(obj, _fields(obj)),
        )

    def delete_model(self, request, obj):
        object_id, before = obj.pk, snapshot(obj, _fields(obj))
        super().delete_model(request, obj)
        _record(request, "deleted_in_admin", obj, object_id=object_id, before=before)

    def delete_queryset(self, request, queryset):
        gone = [(obj, obj.pk, snapshot(obj, _fields(obj))) for obj in queryset]
        super().delete_queryset(request, queryset)
        for obj, object_id, before in gone:
            _record(request, "deleted_in_admin", obj, object_id=object_id, before=before)

    def save_formset(self, request, form, formset, change):
        deleted = [
            (obj, obj.pk, snapshot(obj, _fields(obj)))
            for obj in (
                inline.instance
                for inline in getattr(formset, "deleted_forms", [])
                if inline.instance.pk is not None
            )
        ]
        super().save_formset(request, form, formset, change)
        for obj in getattr(formset, "new_objects", []):
            _record(
                request, "added_in_admin", obj, object_id=obj.pk, after=snapshot(obj, _fields(obj))
            )
        for obj, changed in getattr(formset, "changed_objects", []):
            _record(
                request,
                "changed_in_admin",
                obj,
                object_id=obj.pk,
                after={**snapshot(obj, _fields(obj)), "changed": list(changed)},
            )
        for obj, object_id, before in deleted:
            _record(request, "deleted_in_admin", obj, object_id=object_id, before=before)


class ViewOnlyAdmin(admin.ModelAdmin):
    """For what only services write (each change with its audit event): the admin shows it and
    lets nobody add, change or delete it."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(ViewOnlyAdmin):
    list_display = ["at", "actor_name", "project", "verb", "object_repr"]
    list_filter = ["verb", "object_type"]
    search_fields = ["verb", "object_repr", "actor_name", "project__acronym"]
    list_select_related = ["project"]
    date_hierarchy = "at"
