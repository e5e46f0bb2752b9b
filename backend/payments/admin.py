"""Payments in the admin, for looking things up: approvals, payments and reductions change
through the services only, which check the schedule and write the audit trail."""

from django.contrib import admin

from backend.audit.admin import ViewOnlyAdmin
from backend.payments.models import Instalment, Payment, Reduction


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
    list_display = ["project", "percent", "recorded_at", "recorded_by"]
    search_fields = ["project__acronym", "project__grant_agreement_number", "reason"]
    list_select_related = ["project", "recorded_by"]
