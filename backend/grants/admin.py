from django.contrib import admin

from backend.audit.admin import AuditedAdmin, ViewOnlyAdmin
from backend.common.seam import all_projects_changed, projects_changed
from backend.grants.models import (
    Call,
    Country,
    CountryStatus,
    Organisation,
    OrganisationRestriction,
    OrganisationType,
    OrganisationUpdate,
    Participation,
    ParticipationRoleChange,
    Project,
    ProjectSuspension,
    RuleSet,
    ThirdParty,
)


class WatchedAdmin(AuditedAdmin):
    """Edits in the admin reach the watchers like any other change: after commit, the projects
    the edited row concerns are checked again (all of them for reference data)."""

    def projects_of(self, obj) -> list[int] | None:
        """The ids of the projects this row concerns; None for all projects."""
        return None

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        self._notify(
            self.projects_of(form.instance), f"{self.opts.verbose_name} edited in the admin"
        )

    def delete_model(self, request, obj):
        ids = self.projects_of(obj)
        super().delete_model(request, obj)
        self._notify(ids, f"{self.opts.verbose_name} deleted in the admin")

    def delete_queryset(self, request, queryset):
        found = [self.projects_of(obj) for obj in queryset]
        super().delete_queryset(request, queryset)
        ids = None if None in found else [i for some in found for i in some]
        self._notify(ids, f"{self.opts.verbose_name_plural} deleted in the admin")

    @staticmethod
    def _notify(ids, reason):
        if ids is None:
            all_projects_changed()
        else:
            projects_changed(ids, reason=reason)


def _organisation_projects(organisation_id) -> list[int]:
    return list(
        Participation.objects.filter(organisation_id=organisation_id).values_list(
            "project_id", flat=True
        )
    )


@admin.register(RuleSet)
class RuleSetAdmin(WatchedAdmin):
    list_display = [
        "key",
        "min_full_partners",
        "min_eligible_countries",
        "min_member_states",
        "member_states_severity",
        "type_rule_reading",
        "country_reference",
    ]


@admin.register(Call)
class CallAdmin(WatchedAdmin):
    list_display = [
        "identifier",
        "year",
        "deadline",
        "max_grant_eur",
        "max_duration_months",
        "ruleset",
        "country_reference_date",
    ]
    search_fields = ["identifier", "title"]


class CountryStatusInline(admin.TabularInline):
    model = CountryStatus
    extra = 0


@admin.register(Country)
class CountryAdmin(WatchedAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    inlines = [CountryStatusInline]


@admin.register(CountryStatus)
class CountryStatusAdmin(WatchedAdmin):
    list_display = ["country", "status", "valid_from", "valid_to", "source"]
    list_filter = ["status"]
    search_fields = ["country__code", "country__name"]
    autocomplete_fields = ["country"]


class OrganisationTypeInline(admin.TabularInline):
    model = OrganisationType
    extra = 0


class OrganisationRestrictionInline(admin.TabularInline):
    model = OrganisationRestriction
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(WatchedAdmin):
    list_display = ["pic", "short_name", "legal_name", "country"]
    list_filter = ["country"]
    search_fields = ["pic", "short_name", "legal_name"]
    autocomplete_fields = ["country"]
    inlines = [OrganisationTypeInline, OrganisationRestrictionInline]

    def projects_of(self, obj):
        return _organisation_projects(obj.pk)


@admin.register(OrganisationType)
class OrganisationTypeAdmin(WatchedAdmin):
    list_display = ["organisation", "code"]
    list_filter = ["code"]
    search_fields = ["organisation__pic", "organisation__legal_name"]
    autocomplete_fields = ["organisation"]

    def projects_of(self, obj):
        return _organisation_projects(obj.organisation_id)


@admin.register(OrganisationRestriction)
class OrganisationRestrictionAdmin(WatchedAdmin):
    list_display = ["organisation", "kind", "valid_from", "valid_to", "reference"]
    list_filter = ["kind"]
    search_fields = ["organisation__pic", "organisation__legal_name", "reference"]
    autocomplete_fields = ["organisation"]

    def projects_of(self, obj):
        return _organisation_projects(obj.organisation_id)


class ParticipationInline(admin.TabularInline):
    model = Participation
    fk_name = "project"
    extra = 0
    fields = [
        "position",
        "short_name",
        "organisation",
        "role",
        "joined_on",
        "left_on",
        "affiliated_to",
    ]
    autocomplete_fields = ["organisation", "affiliated_to"]


@admin.register(Project)
class ProjectAdmin(WatchedAdmin):
    list_display = ["grant_agreement_number", "acronym", "call", "start_date", "max_grant_eur"]
    list_filter = ["call"]
    search_fields = ["grant_agreement_number", "acronym", "title"]
    inlines = [ParticipationInline]

    def projects_of(self, obj):
        return [obj.pk]


@admin.register(Participation)
class ParticipationAdmin(WatchedAdmin):
    list_display = ["short_name", "project", "organisation", "role", "joined_on", "left_on"]
    list_filter = ["role"]
    search_fields = [
        "short_name",
        "project__acronym",
        "organisation__legal_name",
        "organisation__pic",
    ]
    autocomplete_fields = ["project", "organisation", "affiliated_to"]
    list_select_related = ["project", "organisation"]

    def projects_of(self, obj):
        return [obj.project_id]


# The dated history is written by the services (an organisation's update, an approved amendment's
# change of coordinator or suspension), which check it and record it in the audit trail: the
# admin shows it.


@admin.register(OrganisationUpdate)
class OrganisationUpdateAdmin(ViewOnlyAdmin):
    list_display = [
        "organisation",
        "effective_on",
        "previous_country",
        "country",
        "previous_types",
        "types",
        "legal_name",
        "source",
        "recorded_by",
        "recorded_at",
    ]
    search_fields = ["organisation__pic", "organisation__legal_name", "source"]
    list_select_related = ["organisation", "recorded_by"]
    date_hierarchy = "effective_on"


@admin.register(ParticipationRoleChange)
class ParticipationRoleChangeAdmin(ViewOnlyAdmin):
    list_display = ["participation", "effective_on", "previous_role", "role", "source"]
    list_filter = ["role"]
    search_fields = ["participation__short_name", "participation__project__acronym", "source"]
    list_select_related = ["participation"]


@admin.register(ProjectSuspension)
class ProjectSuspensionAdmin(ViewOnlyAdmin):
    list_display = ["project", "started_on", "ended_on", "reason"]
    search_fields = ["project__acronym", "project__grant_agreement_number"]
    list_select_related = ["project"]


@admin.register(ThirdParty)
class ThirdPartyAdmin(WatchedAdmin):
    list_display = ["organisation", "project", "kind", "started_on", "ended_on", "description"]
    list_filter = ["kind"]
    search_fields = ["organisation__pic", "organisation__legal_name", "project__acronym"]
    autocomplete_fields = ["project", "organisation"]
    list_select_related = ["project", "organisation"]

    def projects_of(self, obj):
        return [obj.project_id]
