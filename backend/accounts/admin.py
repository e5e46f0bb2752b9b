from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from backend.accounts.calendar_models import CalendarFeed
from backend.accounts.models import ProjectRole, ProjectRoleKind, User
from backend.audit.admin import AuditedAdmin


class ProjectRoleFormSet(BaseInlineFormSet):
    """A user's roles, all saved at once: each is checked by ``ProjectRole.clean`` against the
    roles already saved, and here against the others given with it."""

    def clean(self) -> None:
        super().clean()
        officer_of, member_of = set(), set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE") or data.get("project") is None:
                continue
            mine = officer_of if data.get("role") == ProjectRoleKind.OFFICER else member_of
            mine.add(data["project"])
        both = officer_of & member_of
        if both:
            raise ValidationError(
                _(
                    "A user cannot be both the agency officer and a member of the consortium of "
                    "%(projects)s."
                )
                % {"projects": ", ".join(sorted(str(project) for project in both))}
            )


class ProjectRoleInline(admin.TabularInline):
    model = ProjectRole
    formset = ProjectRoleFormSet
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


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """Whose calendar feed is on and since when; never its digest, nor a way to make one
    (deleting a row turns the feed off)."""

    list_display = ["user", "created_at"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    ordering = ["-created_at"]
    fields = ["user", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
