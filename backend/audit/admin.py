from django.contrib import admin

from backend.audit.models import Event


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
