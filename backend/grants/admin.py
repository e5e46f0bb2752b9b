from django.contrib import admin

from backend.grants.models import (
    Call,
    Country,
    CountryStatus,
    Organisation,
    OrganisationRestriction,
    OrganisationType,
    Participation,
    Project,
    RuleSet,
)


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
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
class CallAdmin(admin.ModelAdmin):
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
class CountryAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    inlines = [CountryStatusInline]


@admin.register(CountryStatus)
class CountryStatusAdmin(admin.ModelAdmin):
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
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["pic", "short_name", "legal_name", "country"]
    list_filter = ["country"]
    search_fields = ["pic", "short_name", "legal_name"]
    autocomplete_fields = ["country"]
    inlines = [OrganisationTypeInline, OrganisationRestrictionInline]


@admin.register(OrganisationType)
class OrganisationTypeAdmin(admin.ModelAdmin):
    list_display = ["organisation", "code"]
    list_filter = ["code"]
    search_fields = ["organisation__pic", "organisation__legal_name"]
    autocomplete_fields = ["organisation"]


@admin.register(OrganisationRestriction)
class OrganisationRestrictionAdmin(admin.ModelAdmin):
    list_display = ["organisation", "kind", "valid_from", "valid_to", "reference"]
    list_filter = ["kind"]
    search_fields = ["organisation__pic", "organisation__legal_name", "reference"]
    autocomplete_fields = ["organisation"]


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
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["grant_agreement_number", "acronym", "call", "start_date", "max_grant_eur"]
    list_filter = ["call"]
    search_fields = ["grant_agreement_number", "acronym", "title"]
    inlines = [ParticipationInline]


@admin.register(Participation)
class ParticipationAdmin(admin.ModelAdmin):
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
