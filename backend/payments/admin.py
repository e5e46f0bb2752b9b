"""Payments in the admin, for looking things up: approvals, payments, suspensions and reductions
change through the services only, which check the schedule and the reduction's procedure and
write the audit trail."""

from django.contrib import admin

from backend.audit.admin import ViewOnlyAdmin
from backend.payments.models import Instalment, Payment, PaymentSuspension, Reduction


@admin.register(Instalment)
class InstalmentAdmin(ViewOnlyAdmin):
    list_display = ["project", "key", "kind", "amount_eur", "approved_at", "approved_by"]
    list_filter = ["kind"]
    search_fields = ["project__acronym", "project__grant_agreement_number", "key"]
    list_select_related = ["project", "approved_by"]


@admin.register(Payment)
class PaymentAdmin(ViewOnlyAdmin):
    list_display = ["project", "instalment", "direction", "amount_eur", "paid_on", "reference"]
    list_filter = ["direction"]
    search_fields = ["project__acronym", "project__grant_agreement_number", "reference"]
    list_select_related = ["project", "instalment__project"]


@admin.register(Reduction)
class ReductionAdmin(ViewOnlyAdmin):
    list_display = [
        "project",
        "participation",
        "work_package",
        "kind",
        "percent",
        "amount_eur",
        "status",
        "letter_sent_on",
        "observations_due_on",
        "decided_on",
        "recorded_by",
    ]
    list_filter = ["status", "kind"]
    search_fields = [
        "project__acronym",
        "project__grant_agreement_number",
        "participation__short_name",
        "reason",
    ]
    list_select_related = ["project", "participation", "work_package", "recorded_by"]
    date_hierarchy = "recorded_at"


@admin.register(PaymentSuspension)
class PaymentSuspensionAdmin(ViewOnlyAdmin):
    list_display = ["project", "key", "suspended_on", "lifted_on", "suspended_by", "lifted_by"]
    list_filter = [("lifted_on", admin.EmptyFieldListFilter)]
    search_fields = ["project__acronym", "project__grant_agreement_number", "key", "reason"]
    list_select_related = ["project", "suspended_by", "lifted_by"]
