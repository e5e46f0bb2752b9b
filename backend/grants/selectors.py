"""Reads of the grant record, scoped to the requesting user, in a fixed number of queries."""

from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet

from backend.accounts.models import ProjectRole
from backend.grants.grantfile.validation import CallInfo, ImportContext, OrganisationInfo
from backend.grants.models import Call, Country, CountryStatus, Organisation, Participation, Project
from backend.workplan.models import Deliverable, Milestone, WorkPackage, WorkPackageShare


def projects_visible_to(user) -> QuerySet[Project]:
    """Administrators see every project; everyone else the projects they hold a role on
    (an officer's portfolio, a manager's or partner contact's own projects)."""
    projects = Project.objects.all()
    if user.is_superuser:
        return projects
    if not user.is_authenticated:
        return projects.none()
    return projects.filter(
        Exists(ProjectRole.objects.filter(project=OuterRef("pk"), user_id=user.pk))
    )


def project_list(*, user) -> QuerySet[Project]:
    """Projects for a listing: call, coordinator and participant count loaded with the page."""
    coordinators = Participation.objects.filter(role="coordinator").select_related("organisation")
    return (
        projects_visible_to(user)
        .select_related("call")
        .annotate(participant_count=Count("participations"))
        .prefetch_related(Prefetch("participations", queryset=coordinators, to_attr="coordinators"))
        .order_by("grant_agreement_number")
    )


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
