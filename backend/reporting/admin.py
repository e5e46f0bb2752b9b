"""Periodic reports in the admin, for looking things up: they change through the services,
which keep the workflow's rules and write the audit trail."""

from django.contrib import admin

from backend.audit.admin import ViewOnlyAdmin
from backend.reporting.models import (
    CompletionWaiver,
    Contribution,
    ContributionEntry,
    DeadlineSuspension,
    LateJustification,
    PeriodicReport,
    ReportVersion,
    TerminationReport,
    WorkPackageDeclaration,
)


@admin.register(PeriodicReport)
class PeriodicReportAdmin(ViewOnlyAdmin):
    list_display = ["project", "reporting_period", "status", "submitted_at", "approved_at"]
    list_filter = ["status"]
    search_fields = ["project__acronym", "project__grant_agreement_number"]
    list_select_related = ["project", "reporting_period"]


@admin.register(Contribution)
class ContributionAdmin(ViewOnlyAdmin):
    list_display = ["report", "participation", "status", "updated_at", "locked_at"]
    list_filter = ["status"]
    search_fields = ["report__project__acronym", "participation__short_name"]
    list_select_related = ["report__project", "report__reporting_period", "participation"]


@admin.register(ContributionEntry)
class ContributionEntryAdmin(ViewOnlyAdmin):
    list_display = ["contribution", "work_package"]
    search_fields = ["contribution__report__project__acronym"]
    list_select_related = [
        "contribution__report__project",
        "contribution__report__reporting_period",
        "contribution__participation",
        "work_package",
    ]


@admin.register(WorkPackageDeclaration)
class WorkPackageDeclarationAdmin(ViewOnlyAdmin):
    list_display = [
        "work_package",
        "reporting_period",
        "completed",
        "completed_on",
        "declared_at",
        "decision",
        "accepted_percent",
    ]
    list_filter = ["completed", "decision"]
    search_fields = ["work_package__project__acronym"]
    list_select_related = ["work_package__project", "reporting_period"]


@admin.register(CompletionWaiver)
class CompletionWaiverAdmin(ViewOnlyAdmin):
    list_display = ["work_package", "waived_at", "waived_by"]
    search_fields = ["work_package__project__acronym"]
    list_select_related = ["work_package__project", "waived_by"]


@admin.register(LateJustification)
class LateJustificationAdmin(ViewOnlyAdmin):
    list_display = ["report", "deliverable", "updated_at"]
    search_fields = ["report__project__acronym", "deliverable__code"]
    list_select_related = ["report__project", "report__reporting_period", "deliverable"]


@admin.register(ReportVersion)
class ReportVersionAdmin(ViewOnlyAdmin):
    list_display = ["report", "number", "submitted_at", "decision", "decided_at"]
    list_filter = ["decision"]
    search_fields = ["report__project__acronym"]
    list_select_related = ["report__project", "report__reporting_period"]


@admin.register(DeadlineSuspension)
class DeadlineSuspensionAdmin(ViewOnlyAdmin):
    list_display = ["report", "reason", "started_on", "ended_on"]
    list_filter = ["reason"]
    search_fields = ["report__project__acronym"]
    list_select_related = ["report__project", "report__reporting_period"]


@admin.register(TerminationReport)
class TerminationReportAdmin(ViewOnlyAdmin):
    list_display = [
        "project",
        "participation",
        "initiated_by",
        "due_on",
        "skipped_for",
        "report_submitted_at",
        "distribution_submitted_at",
    ]
    list_filter = ["initiated_by"]
    search_fields = ["project__acronym", "participation__short_name"]
    list_select_related = ["project", "participation", "skipped_for"]
