"""Writes of continuous reporting: a deliverable's file (upload, replace, delete), its submission,
the officer's acceptance or revision request, the officer's revision of its due date, and a
milestone's achievement.

Each service checks permission first (PermissionDenied with the reason), then locks the row and
checks its status (Conflict naming the status), then the input (InvalidInput naming the field);
a refusal writes nothing. Each change records one audit event and tells the watchers.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.permissions import require
from backend.audit.models import Audience
from backend.audit.services import event_record, snapshot
from backend.common.dates import brussels_today
from backend.common.errors import Conflict, InvalidInput, PathError
from backend.common.seam import projects_changed

from .evidence import evidence_check
from .models import Deliverable, DueDateRevision, EvidenceFile, Milestone
from .permissions import (
    can_accept,
    can_manage_evidence,
    can_record_achievement,
    can_request_revision,
    can_revise_due_date,
    can_submit,
)
from .rules import Step, achievement_date_problem, status_after, step_allowed

# What a deliverable's audit events show of it before and after.
DELIVERABLE_FIELDS = ("status", "due_on", "delivered_on", "approved_on", "revision_reason")
MILESTONE_FIELDS = ("achieved_on", "achievement_evidence")


def _conflict_message(step: Step, deliverable: Deliverable) -> str:
    messages = {
        Step.UPLOAD_EVIDENCE: _(
            "A file can be uploaded only while the deliverable is pending or a draft; this "
            "deliverable is %(status)s."
        ),
        Step.DELETE_EVIDENCE: _(
            "Only a draft's file can be deleted; this deliverable is %(status)s."
        ),
        Step.SUBMIT: _("Only a draft can be submitted; this deliverable is %(status)s."),
        Step.ACCEPT: _(
            "Only a submitted deliverable can be accepted; this deliverable is %(status)s."
        ),
        Step.REQUEST_REVISION: _(
            "Only a submitted deliverable can be sent back for revision; this deliverable is "
            "%(status)s."
        ),
        Step.REVISE_DUE_DATE: _(
            "The due date can be revised only while the deliverable is pending or a draft; this "
            "deliverable is %(status)s."
        ),
    }
    return messages[step] % {"status": f'"{deliverable.get_status_display()}"'}


def _lock(deliverable: Deliverable, step: Step) -> Deliverable:
    """The deliverable as committed, locked until the end of the transaction, in a status the
    step starts from."""
    locked = (
        Deliverable.objects.select_for_update().select_related("project").get(pk=deliverable.pk)
    )
    if not step_allowed(step, locked.status):
        raise Conflict(_conflict_message(step, locked))
    return locked


def _state(deliverable: Deliverable) -> dict:
    return snapshot(deliverable, DELIVERABLE_FIELDS)


def _file_state(evidence: EvidenceFile | None) -> dict | None:
    if evidence is None:
        return None
    return {
        "id": evidence.pk,
        "name": evidence.name,
        "size": evidence.size,
        "content_type": evidence.content_type,
        "sha256": evidence.sha256,
    }


def _current_file(deliverable: Deliverable) -> EvidenceFile | None:
    return (
        EvidenceFile.objects.select_for_update()
        .filter(deliverable=deliverable, current=True)
        .first()
    )


def _remove_stored(evidence: EvidenceFile) -> None:
    """Delete the row now and the stored file once the deletion is committed (a rolled-back
    deletion keeps its file)."""
    storage, name = evidence.file.storage, evidence.file.name
    evidence.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def _text(value, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput.at(field, _("Not a valid string."))
    return value.strip()


# -- the consortium's file ---------------------------------------------------------------------


def deliverable_evidence_upload(*, deliverable: Deliverable, user, upload) -> Deliverable:
    """Upload the deliverable's file (a Django ``UploadedFile``): a pending deliverable becomes
    a draft; a draft's file is replaced (the old one is removed)."""
    require(can_manage_evidence, user, deliverable)
    stored = None
    try:
        with transaction.atomic():
            locked = _lock(deliverable, Step.UPLOAD_EVIDENCE)
            checked = evidence_check(upload)
            previous = _current_file(locked)
            before = {**_state(locked), "evidence": _file_state(previous)}
            if previous is not None:
                _remove_stored(previous)
            evidence = EvidenceFile(
                deliverable=locked,
                name=checked.name,
                size=checked.size,
                content_type=checked.content_type,
                sha256=checked.sha256,
                uploaded_at=timezone.now(),
                uploaded_by=user,
                current=True,
            )
            upload.seek(0)
            evidence.file.save(checked.name, upload, save=False)
            stored = evidence.file
            evidence.save()
            locked.status = status_after(Step.UPLOAD_EVIDENCE, locked.status)
            locked.save(update_fields=["status"])
            event_record(
                actor=user,
                verb="deliverable.evidence_uploaded",
                obj=locked,
                before=before,
                after={**_state(locked), "evidence": _file_state(evidence)},
                note=_("Replaced %(name)s.") % {"name": previous.name} if previous else "",
                # A draft's file is the consortium's own (evidence_readable).
                audience=Audience.CONSORTIUM,
            )
            projects_changed([locked.project_id], reason="deliverable evidence uploaded")
    except BaseException:
        # Nothing of a refused or failed upload stays in storage.
        if stored is not None and stored.name:
            stored.storage.delete(stored.name)
        raise
    return locked


def deliverable_evidence_delete(*, deliverable: Deliverable, user) -> Deliverable:
    """Delete a draft's file: the deliverable is pending again. The stored file and its row go;
    the audit event keeps its name, size and digest."""
    require(can_manage_evidence, user, deliverable)
    with transaction.atomic():
        locked = _lock(deliverable, Step.DELETE_EVIDENCE)
        evidence = _current_file(locked)
        before = {**_state(locked), "evidence": _file_state(evidence)}
        if evidence is not None:
            _remove_stored(evidence)
        locked.status = status_after(Step.DELETE_EVIDENCE, locked.status)
        locked.save(update_fields=["status"])
        event_record(
            actor=user,
            verb="deliverable.evidence_deleted",
            obj=locked,
            before=before,
            after={**_state(locked), "evidence": None},
            # A draft's file is the consortium's own (evidence_readable).
            audience=Audience.CONSORTIUM,
        )
        projects_changed([locked.project_id], reason="deliverable evidence deleted")
    return locked


def deliverable_submit(
    *, deliverable: Deliverable, user, today: datetime.date | None = None
) -> Deliverable:
    """Submit a draft to the agency: the delivery date (today in Brussels) is recorded."""
    require(can_submit, user, deliverable)
    with transaction.atomic():
        locked = _lock(deliverable, Step.SUBMIT)
        before = _state(locked)
        locked.status = status_after(Step.SUBMIT, locked.status)
        locked.delivered_on = today or brussels_today()
        locked.submitted_at = timezone.now()
        locked.submitted_by = user
        locked.save(update_fields=["status", "delivered_on", "submitted_at", "submitted_by"])
        event_record(
            actor=user,
            verb="deliverable.submitted",
            obj=locked,
            before=before,
            after=_state(locked),
        )
        projects_changed([locked.project_id], reason="deliverable submitted")
    return locked


# -- the agency's decisions --------------------------------------------------------------------


def deliverable_accept(
    *, deliverable: Deliverable, user, today: datetime.date | None = None
) -> Deliverable:
    """Accept a submitted deliverable: the approval date (today in Brussels) is recorded."""
    require(can_accept, user, deliverable)
    with transaction.atomic():
        locked = _lock(deliverable, Step.ACCEPT)
        before = _state(locked)
        locked.status = status_after(Step.ACCEPT, locked.status)
        locked.approved_on = today or brussels_today()
        locked.approved_by = user
        locked.save(update_fields=["status", "approved_on", "approved_by"])
        event_record(
            actor=user,
            verb="deliverable.accepted",
            obj=locked,
            before=before,
            after=_state(locked),
        )
        projects_changed([locked.project_id], reason="deliverable accepted")
    return locked


def deliverable_request_revision(*, deliverable: Deliverable, user, reason) -> Deliverable:
    """Send a submitted deliverable back to Pending with the officer's reason. The submitted
    file stays as history (no longer current); the consortium uploads a new one."""
    require(can_request_revision, user, deliverable)
    with transaction.atomic():
        locked = _lock(deliverable, Step.REQUEST_REVISION)
        text = _text(reason, "reason")
        if not text:
            raise InvalidInput.at("reason", _("Say what has to be revised."))
        evidence = _current_file(locked)
        before = {**_state(locked), "evidence": _file_state(evidence)}
        if evidence is not None:
            evidence.current = False
            evidence.save(update_fields=["current"])
        locked.status = status_after(Step.REQUEST_REVISION, locked.status)
        locked.delivered_on = None
        locked.submitted_at = None
        locked.submitted_by = None
        locked.revision_reason = text
        locked.save(
            update_fields=[
                "status",
                "delivered_on",
                "submitted_at",
                "submitted_by",
                "revision_reason",
            ]
        )
        event_record(
            actor=user,
            verb="deliverable.revision_requested",
            obj=locked,
            before=before,
            after={**_state(locked), "evidence": None},
            note=text,
        )
        projects_changed([locked.project_id], reason="deliverable revision requested")
    return locked


def deliverable_due_date_revise(
    *,
    deliverable: Deliverable,
    user,
    due_on: datetime.date,
    reason="",
    today: datetime.date | None = None,
) -> Deliverable:
    """Revise the due date of a pending or draft deliverable to a later day than today; the
    revision is kept."""
    today = today or brussels_today()
    require(can_revise_due_date, user, deliverable)
    with transaction.atomic():
        locked = _lock(deliverable, Step.REVISE_DUE_DATE)
        errors = []
        if not isinstance(due_on, datetime.date):
            errors.append(PathError("due_on", _("Give the new due date.")))
        elif due_on <= today:
            errors.append(
                PathError(
                    "due_on",
                    _("The new due date must come after today (%(today)s).")
                    % {"today": today.isoformat()},
                )
            )
        elif due_on == locked.due_on:
            errors.append(
                PathError(
                    "due_on",
                    _("The deliverable is already due on %(date)s.") % {"date": due_on.isoformat()},
                )
            )
        try:
            text = _text(reason, "reason")
        except InvalidInput as invalid:
            errors.extend(invalid.errors)
        if errors:
            raise InvalidInput(errors)
        before = _state(locked)
        revision = DueDateRevision.objects.create(
            deliverable=locked,
            previous_on=locked.due_on,
            new_on=due_on,
            reason=text,
            revised_at=timezone.now(),
            revised_by=user,
        )
        locked.due_on = due_on
        locked.save(update_fields=["due_on"])
        event_record(
            actor=user,
            verb="deliverable.due_date_revised",
            obj=locked,
            before=before,
            after={**_state(locked), "revision": revision.pk},
            note=text,
        )
        projects_changed([locked.project_id], reason="deliverable due date revised")
    return locked


# -- milestones --------------------------------------------------------------------------------


def milestone_achieve(
    *,
    milestone: Milestone,
    user,
    achieved_on: datetime.date,
    verification,
    today: datetime.date | None = None,
) -> Milestone:
    """Record a milestone as achieved on a day (not in the future, not before the project's
    start) with the means of verification provided."""
    today = today or brussels_today()
    require(can_record_achievement, user, milestone)
    with transaction.atomic():
        locked = (
            Milestone.objects.select_for_update().select_related("project").get(pk=milestone.pk)
        )
        if locked.achieved_on is not None:
            raise Conflict(
                _("This milestone was already recorded as achieved on %(date)s.")
                % {"date": locked.achieved_on.isoformat()}
            )
        errors = _achievement_date_errors(locked, achieved_on, today)
        try:
            text = _text(verification, "verification")
        except InvalidInput as invalid:
            errors.extend(invalid.errors)
            text = ""
        else:
            if not text:
                errors.append(
                    PathError(
                        "verification",
                        _("Say how the means of verification show the milestone achieved."),
                    )
                )
        if errors:
            raise InvalidInput(errors)
        before = snapshot(locked, MILESTONE_FIELDS)
        locked.achieved_on = achieved_on
        locked.achievement_evidence = text
        locked.achieved_recorded_at = timezone.now()
        locked.achieved_recorded_by = user
        locked.save(
            update_fields=[
                "achieved_on",
                "achievement_evidence",
                "achieved_recorded_at",
                "achieved_recorded_by",
            ]
        )
        event_record(
            actor=user,
            verb="milestone.achieved",
            obj=locked,
            before=before,
            after=snapshot(locked, MILESTONE_FIELDS),
        )
        projects_changed([locked.project_id], reason="milestone achieved")
    return locked


def _achievement_date_errors(
    milestone: Milestone, achieved_on, today: datetime.date
) -> list[PathError]:
    """What is wrong with the day a milestone is said to be achieved on (empty: nothing)."""
    if not isinstance(achieved_on, datetime.date):
        return [PathError("achieved_on", _("Give the date it was achieved."))]
    start = milestone.project.start_date
    problem = achievement_date_problem(achieved_on, project_start=start, today=today)
    if problem == "future":
        return [
            PathError(
                "achieved_on",
                _("A milestone cannot be achieved in the future (today is %(today)s).")
                % {"today": today.isoformat()},
            )
        ]
    if problem == "before_start":
        return [
            PathError(
                "achieved_on",
                _("The project starts on %(start)s; a milestone cannot be achieved before.")
                % {"start": start.isoformat()},
            )
        ]
    return []
