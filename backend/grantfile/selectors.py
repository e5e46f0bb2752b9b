"""Reads for importing and exporting grant files: what the checks need to know from the
database, and projects with their whole record (consortium and work plan)."""

import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet

from backend.grantfile.validation import CallInfo, HistoryData, ImportContext, OrganisationInfo
from backend.grants.models import (
    Call,
    Country,
    CountryStatus,
    Organisation,
    OrganisationUpdate,
    Participation,
    Project,
    ThirdParty,
)
from backend.grants.selectors import projects_visible_to
from backend.workplan.models import Deliverable, Milestone, WorkPackage, WorkPackageShare


def projects_with_record() -> QuerySet[Project]:
    """Projects with their whole record (consortium with its dated history, third parties,
    suspensions and work plan) loaded in a fixed number of queries, whatever its size."""
    participations = Participation.objects.select_related(
        "organisation", "affiliated_to"
    ).prefetch_related(
        "organisation__type_entries",
        Prefetch(
            "organisation__updates",
            queryset=OrganisationUpdate.objects.order_by("effective_on", "id"),
        ),
        "role_changes",
    )
    third_parties = ThirdParty.objects.select_related("organisation").prefetch_related(
        "organisation__type_entries"
    )
    work_packages = WorkPackage.objects.select_related("lead").prefetch_related(
        "clusters",
        Prefetch("shares", queryset=WorkPackageShare.objects.select_related("participation")),
    )
    return Project.objects.select_related("call").prefetch_related(
        Prefetch("participations", queryset=participations),
        Prefetch("work_packages", queryset=work_packages),
        Prefetch(
            "deliverables", queryset=Deliverable.objects.select_related("work_package", "lead")
        ),
        Prefetch(
            "milestones",
            queryset=Milestone.objects.select_related("lead").prefetch_related("work_packages"),
        ),
        "reporting_periods",
        "suspensions",
        Prefetch("third_parties", queryset=third_parties),
    )


def project_record(*, user, project_id: int) -> Project | None:
    """One project with its whole record, or None if it does not exist or the user may not
    see it (the two are not told apart)."""
    visible = projects_visible_to(user).filter(pk=project_id)
    return projects_with_record().filter(pk__in=visible).first()


def grant_import_context(data: dict[str, Any]) -> ImportContext:
    """What the grant-file checks need to know from the database about this file."""
    calls = {
        call.identifier: CallInfo(
            identifier=call.identifier,
            max_grant_eur=call.max_grant_eur,
            max_duration_months=call.max_duration_months,
            country_reference_date=call.country_reference_date,
        )
        for call in Call.objects.all()
    }
    countries: dict[str, list] = {
        code: [] for code in Country.objects.values_list("code", flat=True)
    }
    for status in CountryStatus.objects.all():
        countries[status.country_id].append((status.status, status.valid_from, status.valid_to))

    number = data.get("grant_agreement_number")
    taken = frozenset(
        Project.objects.filter(grant_agreement_number=number).values_list(
            "grant_agreement_number", flat=True
        )
        if isinstance(number, str)
        else []
    )
    pics = [
        entry["pic"]
        for key in ("participants", "third_parties")
        for entry in (data.get(key) if isinstance(data.get(key), list) else [])
        if isinstance(entry, dict) and isinstance(entry.get("pic"), str)
    ]
    updates = OrganisationUpdate.objects.order_by("effective_on", "id")
    organisations = {
        organisation.pic: OrganisationInfo(
            pic=organisation.pic,
            legal_name=organisation.legal_name,
            country=organisation.country_id,
            types=frozenset(organisation.types),
            history=tuple(organisation_history(organisation)),
        )
        for organisation in Organisation.objects.filter(pic__in=pics).prefetch_related(
            "type_entries", Prefetch("updates", queryset=updates)
        )
    }
    return ImportContext(
        calls=calls,
        countries=countries,
        taken_grant_numbers=taken,
        organisations=organisations,
    )


def organisation_history(organisation: Organisation) -> list[HistoryData]:
    """An organisation's recorded updates (prefetched, oldest first) as the history entries
    of a grant file: the values it had up to the day before each update, those that changed."""
    history = []
    for update in organisation.updates.all():
        types_changed = update.previous_types is not None and set(update.previous_types) != set(
            update.types or ()
        )
        entry = HistoryData(
            until=update.effective_on - datetime.timedelta(days=1),
            country=(
                update.previous_country_id
                if update.previous_country_id != update.country_id
                else None
            ),
            types=tuple(sorted(set(update.previous_types))) if types_changed else None,
            legal_name=(
                update.previous_legal_name
                if update.previous_legal_name and update.previous_legal_name != update.legal_name
                else None
            ),
            source=update.source,
        )
        if entry.of_organisation:
            history.append(entry)
    return history
