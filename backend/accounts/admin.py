from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import ProjectRole, User
from backend.audit.admin import AuditedAdmin


class ProjectRoleInline(admin.TabularInline):
    model = ProjectRole
    extra = 0
    autocomplete_fields = ["project", "participation"]


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (_("Granting authority"), {"fields": ["is_agency_officer"]}),
        (_("Work"), {"fields": ["organisation", "language", "reminder_days"]}),
    ]
    list_display = [*DjangoUserAdmin.list_display, "organisation", "is_agency_officer"]
    autocomplete_fields = ["organisation"]
    list_filter = [*DjangoUserAdmin.list_filter, "is_agency_officer"]
    inlines = [ProjectRoleInline]


@admin.register(ProjectRole)
class ProjectRoleAdmin(AuditedAdmin):
    list_display = ["user", "project", "role", "participation", "is_primary"]
    list_filter = ["role", "is_primary"]
    search_fields = ["user__username", "project__acronym", "project__grant_agreement_number"]
    autocomplete_fields = ["user", "project", "participation"]
    list_select_related = ["user", "project", "participation"]
