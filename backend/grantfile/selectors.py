"""Reads for importing and exporting grant files: what the checks need to know from the
database, and projects with their whole record (consortium and work plan)."""

from typing import Any

from django.db.models import Prefetch, QuerySet

from backend.grantfile.validation import CallInfo, ImportContext, OrganisationInfo
from backend.grants.models import Call, Country, CountryStatus, Organisation, Participation, Project
from backend.grants.selectors import projects_visible_to
from backend.workplan.models import Deliverable, Milestone, WorkPackage, WorkPackageShare


def projects_with_record() -> QuerySet[Project]:
    """Projects with their whole record (consortium and work plan) loaded in a fixed number of
    queries, whatever its size."""
    participations = Participation.objects.select_related(
        "organisation", "affiliated_to"
    ).prefetch_related("organisation__type_entries")
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
    participants = data.get("participants")
    pics = [
        entry["pic"]
        for entry in (participants if isinstance(participants, list) else [])
        if isinstance(entry, dict) and isinstance(entry.get("pic"), str)
    ]
    organisations = {
        organisation.pic: OrganisationInfo(
            pic=organisation.pic,
            legal_name=organisation.legal_name,
            country=organisation.country_id,
            types=frozenset(organisation.types),
        )
        for organisation in Organisation.objects.filter(pic__in=pics).prefetch_related(
            "type_entries"
        )
    }
    return ImportContext(
        calls=calls,
        countries=countries,
        taken_grant_numbers=taken,
        organisations=organisations,
    )
