"""The accession of a new beneficiary or affiliated entity added by amendment (``apply``: it
joins "pending accession", due within the rule set's accession days): the agency records the
day it acceded, from which it counts toward the composition, or that it did not accede, after
which it never counts.

A participation that did not accede is closed on the day it would have started
(``left_on = joined_on``): the database keeps one open participation per organisation, so the
organisation can be added again by a later request, and the engine, which never counts a
participant whose accession is not acceded, sees no departure of someone who took part.

Like the request's steps, each service checks permission first (PermissionDenied with the
reason), then the participation's accession (AmendmentConflict), then the input
(AmendmentInvalid naming the field); each records one audit event and has the project checked
again.
"""

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from backend.accounts.permissions import require
from backend.audit.services import event_record, snapshot
from backend.common.dates import brussels_today
from backend.common.seam import projects_changed
from backend.grants.models import Accession, Participation

from .errors import AmendmentConflict, AmendmentInvalid, FieldError
from .permissions import can_record_accession

ACCESSION_FIELDS = ("accession", "accession_due_on", "acceded_on", "left_on")


def _locked_pending(participation: Participation) -> Participation:
    """The participation as committed, locked, if its accession is still pending."""
    locked = (
        Participation.objects.select_for_update(of=("self",))
        .select_related("project")
        .get(pk=participation.pk)
    )
    if locked.accession == Accession.ACCEDED:
        raise AmendmentConflict(
            _("%(participant)s already acceded to the grant agreement, on %(date)s.")
            % {
                "participant": locked.short_name,
                "date": (locked.acceded_on or locked.joined_on).isoformat(),
            }
        )
    if locked.accession == Accession.NOT_ACCEDED:
        raise AmendmentConflict(
            _("%(participant)s did not accede to the grant agreement: that is recorded.")
            % {"participant": locked.short_name}
        )
    return locked


def _record(verb: str, user, participation: Participation, before: dict, note: str) -> None:
    event_record(
        actor=user,
        verb=verb,
        obj=participation,
        project_id=participation.project_id,
        object_repr=f"{participation.project} {participation.short_name}",
        before=before,
        after=snapshot(participation, ACCESSION_FIELDS),
        note=note,
    )


def accession_record(
    *,
    participation: Participation,
    user,
    acceded_on: datetime.date,
    today: datetime.date | None = None,
) -> Participation:
    """A pending newcomer acceded on ``acceded_on`` (not in the future, within the action's
    life): it counts from then, or from the day it joins if that comes later."""
    require(can_record_accession, user, participation.project)
    today = today or brussels_today()
    with transaction.atomic():
        locked = _locked_pending(participation)
        if acceded_on > today:
            raise AmendmentInvalid(
                [
                    FieldError(
                        "acceded_on",
                        _("The date cannot be in the future: today is %(today)s.")
                        % {"today": today.isoformat()},
                    )
                ]
            )
        last_day = locked.left_on or locked.project.last_day
        if acceded_on > last_day:
            raise AmendmentInvalid(
                [
                    FieldError(
                        "acceded_on",
                        _(
                            "%(participant)s's participation ends on %(date)s; it cannot accede "
                            "after that."
                        )
                        % {"participant": locked.short_name, "date": last_day.isoformat()},
                    )
                ]
            )
        before = snapshot(locked, ACCESSION_FIELDS)
        locked.accession = Accession.ACCEDED
        locked.acceded_on = acceded_on
        locked.full_clean()
        locked.save(update_fields=["accession", "acceded_on"])
        _record("participation.acceded", user, locked, before, note="")
        projects_changed([locked.project_id], reason="accession recorded")
    return locked


def non_accession_record(*, participation: Participation, user, note: str) -> Participation:
    """A pending newcomer did not accede (its organisation or signatories were never
    validated, or it withdrew): it never counts, and its participation is closed on the day it
    would have started. ``note`` says why."""
    require(can_record_accession, user, participation.project)
    with transaction.atomic():
        locked = _locked_pending(participation)
        text = note.strip()
        if not text:
            raise AmendmentInvalid(
                [FieldError("note", _("Say why the new participant did not accede."))]
            )
        before = snapshot(locked, ACCESSION_FIELDS)
        locked.accession = Accession.NOT_ACCEDED
        locked.left_on = locked.joined_on
        locked.full_clean()
        locked.save(update_fields=["accession", "left_on"])
        _record("participation.not_acceded", user, locked, before, note=text)
        projects_changed([locked.project_id], reason="non-accession recorded")
    return locked
