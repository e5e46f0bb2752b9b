from django.contrib import admin

from backend.amendments.models import AmendmentChange, AmendmentRequest
from backend.audit.admin import AuditedAdmin


class AmendmentChangeInline(admin.TabularInline):
    model = AmendmentChange
    extra = 0
    fields = [
        "position",
        "kind",
        "effective_on",
        "participation",
        "pic",
        "legal_name",
        "short_name",
        "country",
        "types",
        "affiliated_to",
        "new_country",
        "new_types",
    ]
    autocomplete_fields = ["participation", "affiliated_to", "country", "new_country"]


@admin.register(AmendmentRequest)
class AmendmentRequestAdmin(AuditedAdmin):
    list_display = ["id", "project", "status", "created_by", "submitted_at", "decided_at"]
    list_filter = ["status"]
    search_fields = ["project__acronym", "project__grant_agreement_number", "justification"]
    autocomplete_fields = ["project", "created_by", "submitted_by", "decided_by"]
    list_select_related = ["project", "created_by"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [AmendmentChangeInline]


@admin.register(AmendmentChange)
class AmendmentChangeAdmin(AuditedAdmin):
    list_display = ["request", "position", "kind", "effective_on", "participation", "short_name"]
    list_filter = ["kind"]
    search_fields = [
        "request__project__acronym",
        "participation__short_name",
        "short_name",
        "pic",
    ]
    autocomplete_fields = ["request", "participation", "affiliated_to", "country", "new_country"]
    list_select_related = ["request__project", "participation"]
