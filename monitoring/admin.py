"""The flags in the admin: for looking things up. Officers triage through the API and the
pages, which check permissions and keep the store's rules; so nothing is edited here."""

from django.contrib import admin

from backend.audit.admin import ViewOnlyAdmin
from monitoring.models import DigestSent, Flag, ReminderSent


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = [
        "fingerprint",
        "project",
        "kind",
        "severity",
        "first_seen_at",
        "last_seen_at",
        "resolved_at",
        "resolution",
        "acknowledged_at",
    ]
    list_filter = ["kind", "severity", "resolution", ("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["fingerprint", "project__acronym", "project__grant_agreement_number"]
    list_select_related = ["project"]
    date_hierarchy = "last_seen_at"
    readonly_fields = [field.name for field in Flag._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # The change page still opens (read-only) for those who may view.
        return False


@admin.register(ReminderSent)
class ReminderSentAdmin(ViewOnlyAdmin):
    list_display = ["sent_at", "user", "project", "item_kind", "item_id", "due_on"]
    list_filter = ["item_kind"]
    search_fields = ["user__username", "project__acronym"]
    list_select_related = ["user", "project"]


@admin.register(DigestSent)
class DigestSentAdmin(ViewOnlyAdmin):
    list_display = ["sent_at", "user", "week", "flags"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
