from django.contrib import admin

from backend.audit.admin import AuditedAdmin, ViewOnlyAdmin
from backend.workplan.models import (
    ActivityCluster,
    Deliverable,
    DueDateRevision,
    EvidenceFile,
    Milestone,
    ReportingPeriod,
    WorkPackage,
    WorkPackageShare,
)


@admin.register(ActivityCluster)
class ActivityClusterAdmin(AuditedAdmin):
    list_display = ["number", "code"]


class WorkPackageShareInline(admin.TabularInline):
    model = WorkPackageShare
    extra = 0
    autocomplete_fields = ["participation"]


@admin.register(WorkPackage)
class WorkPackageAdmin(AuditedAdmin):
    list_display = [
        "project",
        "number",
        "title",
        "lead",
        "start_month",
        "end_month",
        "lump_sum_eur",
    ]
    list_filter = ["clusters"]
    search_fields = ["title", "project__acronym", "project__grant_agreement_number"]
    autocomplete_fields = ["project", "lead"]
    list_select_related = ["project", "lead"]
    inlines = [WorkPackageShareInline]


@admin.register(WorkPackageShare)
class WorkPackageShareAdmin(AuditedAdmin):
    list_display = ["work_package", "participation", "amount_eur"]
    search_fields = ["work_package__project__acronym", "participation__short_name"]
    autocomplete_fields = ["work_package", "participation"]
    list_select_related = ["work_package__project", "participation"]


@admin.register(Deliverable)
class DeliverableAdmin(AuditedAdmin):
    list_display = [
        "code",
        "title",
        "project",
        "work_package",
        "lead",
        "type",
        "due_month",
        "due_on",
        "status",
    ]
    list_filter = ["type", "dissemination", "status"]
    search_fields = ["code", "title", "project__acronym"]
    autocomplete_fields = ["project", "work_package", "lead"]
    list_select_related = ["project", "work_package", "lead"]
    # The reporting state changes through the services (with its checks and audit events).
    readonly_fields = [
        "due_on",
        "status",
        "delivered_on",
        "submitted_at",
        "submitted_by",
        "approved_on",
        "approved_by",
        "revision_reason",
    ]


@admin.register(Milestone)
class MilestoneAdmin(AuditedAdmin):
    list_display = ["code", "title", "project", "lead", "due_month", "achieved_on"]
    search_fields = ["code", "title", "project__acronym"]
    autocomplete_fields = ["project", "lead", "work_packages"]
    list_select_related = ["project", "lead"]
    readonly_fields = [
        "achieved_on",
        "achievement_evidence",
        "achieved_recorded_at",
        "achieved_recorded_by",
    ]


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(AuditedAdmin):
    list_display = ["project", "number", "start_month", "end_month", "payment"]
    list_filter = ["payment"]
    search_fields = ["project__acronym", "project__grant_agreement_number"]
    autocomplete_fields = ["project"]
    list_select_related = ["project"]


@admin.register(EvidenceFile)
class EvidenceFileAdmin(ViewOnlyAdmin):
    list_display = ["deliverable", "name", "size", "content_type", "uploaded_at", "current"]
    list_filter = ["current", "content_type"]
    search_fields = ["name", "deliverable__code", "deliverable__project__acronym"]
    list_select_related = ["deliverable__project"]
    # Files are downloaded through the API, which checks access; no link to storage here.
    exclude = ["file"]


@admin.register(DueDateRevision)
class DueDateRevisionAdmin(ViewOnlyAdmin):
    list_display = ["deliverable", "previous_on", "new_on", "revised_at", "revised_by"]
    search_fields = ["deliverable__code", "deliverable__project__acronym"]
    list_select_related = ["deliverable__project", "revised_by"]
