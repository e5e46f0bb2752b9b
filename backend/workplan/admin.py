from django.contrib import admin

from backend.workplan.models import (
    ActivityCluster,
    Deliverable,
    Milestone,
    ReportingPeriod,
    WorkPackage,
    WorkPackageShare,
)


@admin.register(ActivityCluster)
class ActivityClusterAdmin(admin.ModelAdmin):
    list_display = ["number", "code"]


class WorkPackageShareInline(admin.TabularInline):
    model = WorkPackageShare
    extra = 0
    autocomplete_fields = ["participation"]


@admin.register(WorkPackage)
class WorkPackageAdmin(admin.ModelAdmin):
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
class WorkPackageShareAdmin(admin.ModelAdmin):
    list_display = ["work_package", "participation", "amount_eur"]
    search_fields = ["work_package__project__acronym", "participation__short_name"]
    autocomplete_fields = ["work_package", "participation"]
    list_select_related = ["work_package__project", "participation"]


@admin.register(Deliverable)
class DeliverableAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "project", "work_package", "lead", "type", "due_month"]
    list_filter = ["type", "dissemination"]
    search_fields = ["code", "title", "project__acronym"]
    autocomplete_fields = ["project", "work_package", "lead"]
    list_select_related = ["project", "work_package", "lead"]


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "project", "lead", "due_month"]
    search_fields = ["code", "title", "project__acronym"]
    autocomplete_fields = ["project", "lead", "work_packages"]
    list_select_related = ["project", "lead"]


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(admin.ModelAdmin):
    list_display = ["project", "number", "start_month", "end_month", "payment"]
    list_filter = ["payment"]
    search_fields = ["project__acronym", "project__grant_agreement_number"]
    autocomplete_fields = ["project"]
    list_select_related = ["project"]
