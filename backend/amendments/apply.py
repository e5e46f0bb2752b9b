"""Applying an approved amendment request to the grant record: every change, in order, in the
caller's transaction (``services.amendment_approve``). Consortium changes are written here;
changes of the grant as a whole by their kinds' handlers (``kinds``).

Dated history: a change of coordinator records each role change with its date, and a change of
an organisation is an update of the organisation with its effective date; checks of earlier
dates read the values of those dates. A new beneficiary or affiliated entity is added pending
its accession (``Participation.accession``), due within the rule set's accession days.
"""

import datetime

from backend.common.dates import brussels_today
from backend.grants.models import (
    Accession,
    Organisation,
    OrganisationType,
    Participation,
    ParticipationRole,
    Project,
)
from backend.reporting.terminations import termination_report_open

from .kinds import handler_for
from .models import ADDITIONS, PROJECT_LEVEL, AmendmentChange, AmendmentRequest, ChangeKind

# Who accedes to the grant agreement: an associated partner does not sign it.
ACCEDING_ROLES = (ParticipationRole.BENEFICIARY, ParticipationRole.AFFILIATED_ENTITY)


def apply_changes_to_record(
    project: Project,
    rows: list[AmendmentChange],
    *,
    user=None,
    records=None,
    amendment: AmendmentRequest | None = None,
) -> set[int]:
    """Every change, in order; returns the projects whose record changed."""
    changed = {project.pk}
    position = (
        Participation.objects.filter(project=project)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
        or 0
    )
    for row in rows:
        if row.kind in PROJECT_LEVEL:
            changed |= handler_for(row.kind).apply(
                project=project, change=row, user=user, record=(records or {}).get(str(row.kind))
            )
        elif row.kind in ADDITIONS:
            position += 1
            _add_participation(project, row, position, today=brussels_today())
        elif row.kind == ChangeKind.TERMINATE_PARTICIPATION:
            _end_participation(row)
        elif row.kind == ChangeKind.CHANGE_COORDINATOR:
            _change_coordinator(project, row)
        elif row.kind in (
            ChangeKind.CHANGE_ORGANISATION_COUNTRY,
            ChangeKind.CHANGE_ORGANISATION_TYPES,
        ):
            changed |= _change_organisation(row)
        else:  # pragma: no cover - the kinds are closed by a database constraint
            raise ValueError(f"unknown kind of change: {row.kind!r}")
    return changed


def _add_participation(
    project: Project, row: AmendmentChange, position: int, *, today: datetime.date
) -> Participation:
    organisation = Organisation.objects.filter(pic=row.pic).first()
    if organisation is None:
        organisation = Organisation(
            pic=row.pic,
            legal_name=row.legal_name,
            short_name=row.short_name,
            country_id=row.country_id,
        )
        organisation.full_clean()
        organisation.save()
        OrganisationType.objects.bulk_create(
            OrganisationType(organisation=organisation, code=code) for code in row.types
        )
    role = ADDITIONS[row.kind]
    pending = role in ACCEDING_ROLES
    participation = Participation(
        project=project,
        organisation=organisation,
        short_name=row.short_name,
        role=role,
        joined_on=row.effective_on,
        affiliated_to_id=row.affiliated_to_id,
        position=position,
        accession=Accession.PENDING if pending else Accession.ACCEDED,
        accession_due_on=(
            today + datetime.timedelta(days=project.call.ruleset.accession_days)
            if pending
            else None
        ),
    )
    participation.full_clean()
    participation.save()
    return participation


def _end_participation(row: AmendmentChange) -> None:
    """The effective date is the last day of the participation; the termination reports fall
    due (``reporting.terminations``)."""
    Participation.objects.filter(pk=row.participation_id).update(left_on=row.effective_on)
    termination_report_open(
        participation_id=row.participation_id,
        initiated_by=row.initiated_by,
        left_on=row.effective_on,
    )


def _change_coordinator(project: Project, row: AmendmentChange) -> None:
    # The database holds one open coordinator per project: step the old one down first. Like
    # the engine's ChangeCoordinator, the role is not dated: the record shows the new roles.
    Participation.objects.filter(project=project, role=ParticipationRole.COORDINATOR).exclude(
        pk=row.participation_id
    ).update(role=ParticipationRole.BENEFICIARY)
    Participation.objects.filter(pk=row.participation_id).update(role=ParticipationRole.COORDINATOR)


def _change_organisation(row: AmendmentChange) -> set[int]:
    """Change the organisation's country or types; returns every project it takes part in,
    whose eligibility may change with it."""
    organisation = row.participation.organisation
    if row.kind == ChangeKind.CHANGE_ORGANISATION_COUNTRY:
        organisation.country_id = row.new_country_id
        organisation.full_clean()
        organisation.save(update_fields=["country"])
    else:
        organisation.type_entries.all().delete()
        OrganisationType.objects.bulk_create(
            OrganisationType(organisation=organisation, code=code) for code in row.new_types
        )
    return set(
        Participation.objects.filter(organisation=organisation).values_list("project_id", flat=True)
    )
