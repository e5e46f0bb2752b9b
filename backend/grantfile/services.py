"""Writes to the grant record."""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from backend.accounts.models import ProjectRole, ProjectRoleKind, role_refusal
from backend.audit.services import event_record
from backend.common.seam import projects_changed
from backend.grantfile.errors import GrantFileInvalid
from backend.grantfile.loading import load_grant_file
from backend.grantfile.selectors import grant_import_context
from backend.grantfile.validation import (
    ORGANISATION_HISTORY_KEYS,
    DeliverableData,
    GrantData,
    HistoryData,
    MilestoneData,
    ParticipantData,
    ThirdPartyData,
    WorkPackageData,
    grant_number_taken,
    validate_grant_file,
)
from backend.grants.models import (
    Call,
    Organisation,
    OrganisationType,
    OrganisationUpdate,
    Participation,
    ParticipationRoleChange,
    Project,
    ProjectSuspension,
    ThirdParty,
)
from backend.grants.permissions import can_import_grant
from backend.workplan.models import (
    ActivityCluster,
    Deliverable,
    Milestone,
    ReportingPeriod,
    WorkPackage,
    WorkPackageShare,
)


def grant_file_import(*, content: bytes | str, user=None, officer=None) -> Project:
    """Import a grant file: all of it, or nothing.

    ``user`` is the person importing (checked, and the actor of the ``grant.imported`` audit
    event); None means the command line, which is trusted (the event's actor is the system).
    ``officer`` is put in charge of the project; an importing agency officer is by default.
    Raises GrantFileInvalid with every error found, PermissionDenied if the user may not import.
    """
    if officer is not None and not officer.is_agency_officer:
        raise ValueError(f"{officer} is not an agency officer")
    if user is not None:
        allowed, reason = can_import_grant(user)
        if not allowed:
            raise PermissionDenied(reason)
        if officer is None and user.is_agency_officer:
            officer = user
    data = load_grant_file(content)
    try:
        with transaction.atomic():
            context = grant_import_context(data)
            grant = validate_grant_file(data, context)
            project = _create_record(grant, user)
            if officer is not None:
                # An agency officer who works for one of the grant's participants is not put in
                # charge of it (separation of duties): the import is refused, saying why.
                refusal = role_refusal(officer, project.pk, ProjectRoleKind.OFFICER)
                if refusal:
                    raise PermissionDenied(refusal)
                ProjectRole.objects.create(
                    user=officer, project=project, role=ProjectRoleKind.OFFICER
                )
            event_record(
                actor=user,
                verb="grant.imported",
                obj=project,
                project_id=project.pk,
                after={
                    "grant_agreement_number": project.grant_agreement_number,
                    "acronym": project.acronym,
                    "participants": len(grant.participants),
                },
            )
            # A valid file may describe a consortium that breaks its call's rules: that is
            # flagged at once, like any later change.
            projects_changed([project.pk], reason="grant imported")
    except IntegrityError:
        # Another import of the same grant (or of a new organisation) won the race between
        # our checks and our writes; report it like the check would have.
        number = data.get("grant_agreement_number")
        if Project.objects.filter(grant_agreement_number=number).exists():
            raise GrantFileInvalid([grant_number_taken(number)]) from None
        raise
    return project


def _create_record(grant: GrantData, user=None) -> Project:
    project = Project.objects.create(
        grant_agreement_number=grant.grant_agreement_number,
        acronym=grant.acronym,
        title=grant.title,
        call=Call.objects.get(identifier=grant.call),
        signed_on=grant.signed_on,
        start_date=grant.start_date,
        duration_months=grant.duration_months,
        signed_duration_months=grant.signed_duration_months,
        terminated_on=grant.terminated_on,
        max_grant_eur=grant.max_grant_eur,
        prefinancing_percent=grant.prefinancing_percent,
        payments_cap_percent=grant.payments_cap_percent,
        **{f"{kind}_payment_days": days for kind, days in grant.payment_days.items()},
    )
    organisations = _organisations_ensure(grant, user)
    participations = _participations_create(project, grant.participants, organisations)
    _role_changes_create(grant.participants, participations)
    ProjectSuspension.objects.bulk_create(
        ProjectSuspension(
            project=project,
            started_on=suspension.started_on,
            ended_on=suspension.ended_on,
            reason=suspension.reason,
        )
        for suspension in grant.suspensions
    )
    ThirdParty.objects.bulk_create(
        ThirdParty(
            project=project,
            organisation=organisations[third_party.pic],
            kind=third_party.kind,
            started_on=third_party.started_on,
            ended_on=third_party.ended_on,
            description=third_party.description,
        )
        for third_party in grant.third_parties
    )
    work_packages = _work_packages_create(project, grant.work_packages, participations)
    _deliverables_create(project, grant.deliverables, work_packages, participations)
    _milestones_create(project, grant.milestones, work_packages, participations)
    ReportingPeriod.objects.bulk_create(
        ReportingPeriod(
            project=project,
            number=period.number,
            start_month=period.start_month,
            end_month=period.end_month,
            payment=period.payment,
        )
        for period in grant.reporting_periods
    )
    return project


def _organisations_ensure(grant: GrantData, user=None) -> dict[str, Organisation]:
    """The organisations of the participants and third parties by PIC: the ones the system
    knows (the checks made sure they match; their recorded history stays as it is), and the
    others created with their types and the dated history the file gives them."""
    described = [*grant.participants, *grant.third_parties]
    organisations = {
        organisation.pic: organisation
        for organisation in Organisation.objects.filter(pic__in=[d.pic for d in described])
    }
    first: dict[str, ParticipantData | ThirdPartyData] = {}
    for entry in described:
        if entry.pic not in organisations:
            first.setdefault(entry.pic, entry)
    new = list(first.values())
    new_organisations = [
        Organisation(
            pic=entry.pic,
            legal_name=entry.legal_name,
            # A third party has no short name in the file: its legal name, cut to fit.
            short_name=getattr(entry, "short_name", entry.legal_name[:50]),
            country_id=entry.country,
        )
        for entry in new
    ]
    Organisation.objects.bulk_create(new_organisations)
    OrganisationType.objects.bulk_create(
        OrganisationType(organisation=organisation, code=code)
        for organisation, entry in zip(new_organisations, new, strict=True)
        for code in entry.types
    )
    OrganisationUpdate.objects.bulk_create(
        update
        for organisation, entry in zip(new_organisations, new, strict=True)
        if isinstance(entry, ParticipantData)
        for update in _organisation_updates(organisation, entry, user)
    )
    organisations.update({organisation.pic: organisation for organisation in new_organisations})
    return organisations


def _following(history: list[HistoryData], position: int, key: str, newest):
    """The value of ``key`` the day after ``history[position]``: the next entry's that gives
    one, or the newest."""
    return next(
        (getattr(item, key) for item in history[position + 1 :] if getattr(item, key) is not None),
        newest,
    )


def _organisation_updates(
    organisation: Organisation, participant: ParticipantData, user=None
) -> list[OrganisationUpdate]:
    """A new organisation's updates from the history the file gives: each entry of its own
    data is an update from the day after its ``until``, from those values to the following."""
    history = participant.history
    newest = {
        "country": participant.country,
        "types": tuple(participant.types),
        "legal_name": participant.legal_name,
    }
    updates = []
    for position, item in enumerate(history):
        if not item.of_organisation:
            continue
        changed = {
            key: (getattr(item, key), _following(history, position, key, newest[key]))
            for key in ORGANISATION_HISTORY_KEYS
            if getattr(item, key) is not None
        }
        country = changed.get("country", (None, None))
        types = changed.get("types")
        legal_name = changed.get("legal_name", ("", ""))
        updates.append(
            OrganisationUpdate(
                organisation=organisation,
                effective_on=item.until + datetime.timedelta(days=1),
                previous_country_id=country[0],
                country_id=country[1],
                previous_types=None if types is None else list(types[0]),
                types=None if types is None else list(types[1]),
                previous_legal_name=legal_name[0],
                legal_name=legal_name[1],
                source=item.source,
                recorded_by=user,
            )
        )
    return updates


def _role_changes_create(
    participants: list[ParticipantData], participations: dict[str, Participation]
) -> None:
    """Each participation's role changes from the history the file gives: each entry with a
    role is a change from the day after its ``until``, from that role to the following."""
    ParticipationRoleChange.objects.bulk_create(
        ParticipationRoleChange(
            participation=participations[participant.short_name],
            effective_on=item.until + datetime.timedelta(days=1),
            previous_role=item.role,
            role=_following(participant.history, position, "role", participant.role),
            source=item.source,
        )
        for participant in participants
        for position, item in enumerate(participant.history)
        if item.role is not None
    )


def _participations_create(
    project: Project, participants: list[ParticipantData], organisations: dict[str, Organisation]
) -> dict[str, Participation]:
    """The participations by short name. Affiliated entities point at a participation, so they
    come second."""

    def participation(position, participant, affiliated_to=None):
        return Participation(
            project=project,
            organisation=organisations[participant.pic],
            short_name=participant.short_name,
            role=participant.role,
            joined_on=participant.joined_on,
            left_on=participant.left_on,
            affiliated_to=affiliated_to,
            position=position,
            accession=participant.accession,
            accession_due_on=participant.accession_due_on,
            acceded_on=participant.acceded_on,
        )

    numbered = list(enumerate(participants, start=1))
    participations = {
        p.short_name: p
        for p in Participation.objects.bulk_create(
            participation(position, participant)
            for position, participant in numbered
            if participant.affiliated_to is None
        )
    }
    participations.update(
        {
            p.short_name: p
            for p in Participation.objects.bulk_create(
                participation(position, participant, participations[participant.affiliated_to])
                for position, participant in numbered
                if participant.affiliated_to is not None
            )
        }
    )
    return participations


def _work_packages_create(
    project: Project,
    work_packages: list[WorkPackageData],
    participations: dict[str, Participation],
) -> dict[int, WorkPackage]:
    """The work packages by number, with their activity clusters and their shares."""
    clusters = {cluster.code: cluster for cluster in ActivityCluster.objects.all()}
    created = {
        wp.number: wp
        for wp in WorkPackage.objects.bulk_create(
            WorkPackage(
                project=project,
                number=wp.number,
                title=wp.title,
                lead=participations[wp.lead],
                start_month=wp.start_month,
                end_month=wp.end_month,
                lump_sum_eur=wp.lump_sum_eur,
            )
            for wp in work_packages
        )
    }
    WorkPackage.clusters.through.objects.bulk_create(
        WorkPackage.clusters.through(workpackage=created[wp.number], activitycluster=clusters[code])
        for wp in work_packages
        for code in wp.clusters
    )
    WorkPackageShare.objects.bulk_create(
        WorkPackageShare(
            work_package=created[wp.number],
            participation=participations[name],
            amount_eur=amount,
        )
        for wp in work_packages
        for name, amount in wp.shares_eur.items()
    )
    return created


def _deliverables_create(
    project: Project,
    deliverables: list[DeliverableData],
    work_packages: dict[int, WorkPackage],
    participations: dict[str, Participation],
) -> None:
    Deliverable.objects.bulk_create(
        Deliverable(
            project=project,
            code=deliverable.code,
            title=deliverable.title,
            work_package=work_packages[deliverable.work_package],
            lead=participations[deliverable.lead],
            type=deliverable.type,
            dissemination=deliverable.dissemination,
            due_month=deliverable.due_month,
            due_on=project.month_end(deliverable.due_month),
            position=position,
        )
        for position, deliverable in enumerate(deliverables, start=1)
    )


def _milestones_create(
    project: Project,
    milestones: list[MilestoneData],
    work_packages: dict[int, WorkPackage],
    participations: dict[str, Participation],
) -> None:
    """The milestones, and the work packages each belongs to."""
    created = Milestone.objects.bulk_create(
        Milestone(
            project=project,
            code=milestone.code,
            title=milestone.title,
            lead=participations[milestone.lead],
            due_month=milestone.due_month,
            verification=milestone.verification,
            position=position,
        )
        for position, milestone in enumerate(milestones, start=1)
    )
    Milestone.work_packages.through.objects.bulk_create(
        Milestone.work_packages.through(milestone=saved, workpackage=work_packages[number])
        for saved, milestone in zip(created, milestones, strict=True)
        for number in milestone.work_packages
    )
