"""Applying an approved amendment request to the grant record: every change, in order, in the
caller's transaction (``services.amendment_approve``). Consortium changes are written here;
changes of the grant as a whole by their kinds' handlers (``kinds``).

Dated history: a change of coordinator records each role change with its date, and a change of
an organisation is an update of the organisation with its effective date; checks of earlier
dates read the values of those dates. A new beneficiary or affiliated entity is added pending
its accession (``Participation.accession``), due within the rule set's accession days.
"""

import datetime

from django.utils.translation import gettext as _

from backend.common.dates import brussels_today
from backend.common.errors import InvalidInput
from backend.grants.models import (
    Accession,
    Organisation,
    OrganisationType,
    Participation,
    ParticipationRole,
    ParticipationRoleChange,
    Project,
)
from backend.grants.organisations import record_organisation_update
from backend.reporting.terminations import termination_report_open

from .errors import AmendmentInvalid, FieldError
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
            _change_coordinator(project, row, source=_source(project, amendment))
        elif row.kind in (
            ChangeKind.CHANGE_ORGANISATION_COUNTRY,
            ChangeKind.CHANGE_ORGANISATION_TYPES,
        ):
            changed |= _change_organisation(row, user=user, source=_source(project, amendment))
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


def _source(project: Project, amendment: AmendmentRequest | None) -> str:
    """What a dated change records as its source: the amendment that made it."""
    if amendment is None:
        return f"Amendment of {project.grant_agreement_number}"
    return f"Amendment {amendment.pk} of {project.grant_agreement_number} ({project.acronym})"


def _change_coordinator(project: Project, row: AmendmentChange, *, source: str) -> None:
    """The new coordinator's role from the effective date on; each participation whose role
    changes keeps its earlier role in a ParticipationRoleChange, so that a check of an earlier
    day reads the roles of that day. The participations hold the newest roles. The database
    holds one open coordinator per project: the old one steps down first."""
    later = (
        ParticipationRoleChange.objects.filter(
            participation__project=project, effective_on__gte=row.effective_on
        )
        .order_by("-effective_on")
        .first()
    )
    if later is not None:
        # The roles' history stays in order: the roles held before a later change are known
        # only up to it.
        raise AmendmentInvalid(
            [
                FieldError.at(
                    ("changes", row.position - 1, "effective_on"),
                    _(
                        "The coordinator already changes on %(date)s; a change of coordinator "
                        "can only take effect after it."
                    )
                    % {"date": later.effective_on.isoformat()},
                )
            ]
        )
    old = list(
        Participation.objects.filter(project=project, role=ParticipationRole.COORDINATOR).exclude(
            pk=row.participation_id
        )
    )
    new = Participation.objects.get(pk=row.participation_id)
    for participation in old:
        _role_from(participation, ParticipationRole.BENEFICIARY, row.effective_on, source)
    _role_from(new, ParticipationRole.COORDINATOR, row.effective_on, source)


def _role_from(participation: Participation, role: str, day: datetime.date, source: str) -> None:
    if participation.role == role:
        return
    ParticipationRoleChange.objects.create(
        participation=participation,
        effective_on=day,
        previous_role=participation.role,
        role=role,
        source=source,
    )
    Participation.objects.filter(pk=participation.pk).update(role=role)


def _change_organisation(row: AmendmentChange, *, user, source: str) -> set[int]:
    """An update of the organisation from the effective date on (its earlier values kept for
    earlier days); returns every project it takes part in, whose eligibility may change
    with it."""
    organisation = row.participation.organisation
    if row.kind == ChangeKind.CHANGE_ORGANISATION_COUNTRY:
        values = {"country": row.new_country_id}
    else:
        values = {"types": list(row.new_types)}
    try:
        _update, project_ids = record_organisation_update(
            organisation=organisation,
            user=user,
            effective_on=row.effective_on,
            source=source,
            **values,
        )
    except InvalidInput as invalid:
        # The organisation's history refuses it (an update of the same value from a later
        # date was recorded since): said of the change, as the request's other errors are.
        raise AmendmentInvalid(
            [
                FieldError.at(("changes", row.position - 1, *_parts(error.path)), error.message)
                for error in invalid.errors
            ]
        ) from None
    return project_ids


def _parts(path: str) -> tuple[str, ...]:
    return (path.split("[", 1)[0],) if path else ()
