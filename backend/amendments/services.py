"""Writes of amendment requests: draft, change, submit, approve (which applies every change to
the grant record at once), reject and withdraw; the agency's requests for information and the
consortium's answers, which stop the decision period meanwhile.

Each service checks permission first (PermissionDenied with the reason), then the request's
status (AmendmentConflict), then the input (AmendmentInvalid with field paths); a refusal writes
nothing. Each step records one audit event (amendment.created, .updated, .submitted,
.approved, .rejected, .withdrawn, .information_requested, .information_answered) with the
request's state before and after.

The input comes parsed: texts, and the changes as ``ChangeInput`` values (the API's serializers
and the pages' forms read what is sent).
"""

import datetime
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.permissions import require
from backend.audit.models import Audience
from backend.audit.services import event_record
from backend.common.concurrency import check_version
from backend.common.dates import brussels_today
from backend.common.seam import projects_changed
from backend.grants.eligibility.messages import rule_label
from backend.grants.models import (
    Project,
)

from .apply import apply_changes_to_record
from .errors import AmendmentConflict, AmendmentInvalid, FieldError
from .models import (
    AmendmentChange,
    AmendmentRequest,
    AmendmentStatus,
    InformationRequest,
)
from .permissions import (
    can_answer_information,
    can_decide,
    can_propose,
    can_request_information,
    can_withdraw,
)
from .selectors import context_for, stored_change_input
from .validation import ChangeInput, check_changes
from .whatif import breached_rules, breaches, planned_changes, what_if

# Which statuses each step starts from: the transition table. "ask" is the agency's request
# for information; its answer is checked on the question (``information_request_answer``).
TRANSITIONS = {
    "update": (AmendmentStatus.DRAFT,),
    "submit": (AmendmentStatus.DRAFT,),
    "approve": (AmendmentStatus.SUBMITTED,),
    "reject": (AmendmentStatus.SUBMITTED,),
    "withdraw": (AmendmentStatus.DRAFT, AmendmentStatus.SUBMITTED),
    "ask": (AmendmentStatus.SUBMITTED,),
    "answer": (AmendmentStatus.SUBMITTED,),
}


def _conflict_message(step: str, amendment: AmendmentRequest) -> str:
    status = amendment.get_status_display()
    messages = {
        "update": _("Only a draft can be changed; this request is %(status)s."),
        "submit": _("Only a draft can be submitted; this request is %(status)s."),
        "approve": _("Only a submitted request can be approved; this request is %(status)s."),
        "reject": _("Only a submitted request can be rejected; this request is %(status)s."),
        "withdraw": _(
            "Only a draft or a submitted request can be withdrawn; this request is %(status)s."
        ),
        "ask": _(
            "Information can be asked for only on a submitted request; this request is %(status)s."
        ),
        "answer": _(
            "A question can be answered only while its request is submitted; this request is "
            "%(status)s."
        ),
    }
    return messages[step] % {"status": f'"{status}"'}


def _lapsed(amendment: AmendmentRequest) -> str:
    return _(
        "No decision was taken by %(date)s, the end of the decision period: the "
        "request counts as rejected and has to be launched again."
    ) % {"date": amendment.decision_due_on.isoformat()}


def step_check(amendment: AmendmentRequest, step: str, today: datetime.date | None = None) -> None:
    """AmendmentConflict unless the request's status allows the step ("update", "submit",
    "approve", "reject", "withdraw", "ask", "answer") now: approving and asking for information
    also need the decision period to run still. The services check it on the request as
    committed; a caller may check first, before it reads the input, so that a step out of order
    is told as such whatever the input."""
    if amendment.status not in TRANSITIONS[step]:
        raise AmendmentConflict(_conflict_message(step, amendment))
    if step in ("approve", "ask") and amendment.is_deemed_rejected(today or brussels_today()):
        raise AmendmentConflict(_lapsed(amendment))


def _lock(
    amendment: AmendmentRequest, step: str, today: datetime.date | None = None
) -> AmendmentRequest:
    """The request as committed, locked until the end of the transaction, if the step may be
    taken now (``step_check``)."""
    locked = AmendmentRequest.objects.select_for_update().get(pk=amendment.pk)
    step_check(locked, step, today)
    return locked


def _save_changes(amendment: AmendmentRequest, validated: list[dict]) -> None:
    AmendmentChange.objects.bulk_create(
        AmendmentChange(request=amendment, position=position, **values)
        for position, values in enumerate(validated, start=1)
    )


# The steps of a draft request: their events carry the draft's justification.
DRAFT_VERBS = frozenset({"amendment.created", "amendment.updated"})


def _record(
    verb: str,
    user,
    amendment: AmendmentRequest,
    project: Project,
    *,
    before: dict | None,
    after: dict,
    note: str,
    draft: bool = False,
) -> None:
    """The step's audit event (the request's text is built from the project at hand, without
    reading it again). ``draft``: the event is about a request the agency never received (a
    draft withdrawn), read like the draft itself."""
    event_record(
        actor=user,
        verb=verb,
        obj=amendment,
        project_id=project.pk,
        object_repr=f"{project} amendment {amendment.pk}",
        before=before,
        after=after,
        note=note,
        # A draft's justification and changes are read by whoever reads drafts (can_see_drafts).
        audience=Audience.MANAGERS if draft or verb in DRAFT_VERBS else Audience.PROJECT,
    )


def _validated(project: Project, changes: Sequence[ChangeInput]) -> list[dict]:
    return check_changes(changes, context_for(project.pk, changes))


def amendment_create(
    *, project: Project, user, justification: str = "", changes: Sequence[ChangeInput]
) -> AmendmentRequest:
    """A draft request with its changes (which may be none yet)."""
    require(can_propose, user, project)
    text = justification.strip()
    with transaction.atomic():
        validated = _validated(project, changes)
        amendment = AmendmentRequest(project=project, justification=text, created_by=user)
        amendment.full_clean()
        amendment.save()
        _save_changes(amendment, validated)
        _record(
            "amendment.created",
            user,
            amendment,
            project,
            before=None,
            after={"status": amendment.status, "changes": len(validated)},
            note=text,
        )
    return amendment


def amendment_update(
    *,
    request: AmendmentRequest,
    user,
    justification: str = "",
    changes: Sequence[ChangeInput],
    expected_version: int | None = None,
) -> AmendmentRequest:
    """Replace a draft's justification and changes; with ``expected_version``, refused
    (StaleVersion) if the request changed since the writer read it."""
    require(can_propose, user, request.project)
    with transaction.atomic():
        amendment = _lock(request, "update")
        check_version(amendment, expected_version, changed_at=amendment.updated_at)
        text = justification.strip()
        validated = _validated(amendment.project, changes)
        before = {"status": amendment.status, "changes": amendment.changes.count()}
        amendment.justification = text
        amendment.full_clean()
        amendment.save()  # bumps updated_at
        amendment.changes.all().delete()
        _save_changes(amendment, validated)
        _record(
            "amendment.updated",
            user,
            amendment,
            request.project,
            before=before,
            after={"status": amendment.status, "changes": len(validated)},
            note=text,
        )
    return amendment


def _stored_changes(amendment: AmendmentRequest) -> list[AmendmentChange]:
    return list(
        amendment.changes.select_related("participation__organisation", "affiliated_to").order_by(
            "position"
        )
    )


def _checked_again(amendment: AmendmentRequest, rows: list[AmendmentChange]):
    """The stored changes checked against the record as it stands now (it may have changed
    since the draft): the context and the validated changes."""
    inputs = [stored_change_input(row) for row in rows]
    context = context_for(amendment.project_id, inputs)
    return context, check_changes(inputs, context)


def amendment_submit(*, request: AmendmentRequest, user) -> AmendmentRequest:
    """Send a draft to the agency; the decision period starts."""
    require(can_propose, user, request.project)
    with transaction.atomic():
        amendment = _lock(request, "submit")
        rows = _stored_changes(amendment)
        errors = []
        if not amendment.justification.strip():
            errors.append(FieldError("justification", _("Give a justification before submitting.")))
        if not rows:
            errors.append(FieldError("changes", _("Give at least one change.")))
        if errors:
            raise AmendmentInvalid(errors)
        _checked_again(amendment, rows)
        before = {"status": amendment.status}
        amendment.status = AmendmentStatus.SUBMITTED
        amendment.submitted_by = user
        amendment.submitted_at = timezone.now()
        amendment.decision_due_on = amendment.submitted_on + datetime.timedelta(
            days=request.project.call.ruleset.decision_days
        )
        amendment.full_clean()
        amendment.save()
        _record(
            "amendment.submitted",
            user,
            amendment,
            request.project,
            before=before,
            after={
                "status": amendment.status,
                "changes": len(rows),
                "decision_due_on": amendment.decision_due_on,
            },
            note=amendment.justification,
        )
        # The watchers follow pending requests: one with no decision within the decision period
        # (the rule set's decision days, plus the days a question stood open) counts as rejected.
        projects_changed([amendment.project_id], reason="amendment submitted")
    return amendment


def amendment_approve(
    *,
    request: AmendmentRequest,
    user,
    note: str = "",
    override_justification: str | None = None,
    today: datetime.date | None = None,
) -> AmendmentRequest:
    """Approve a submitted request and apply every change to the record, all or nothing.

    The consortium is evaluated as it would stand with the changes, from the earliest effective
    date to the project's end; if it would be in breach on any of those days, approval needs an
    ``override_justification``, which is recorded. Refused once the decision period is over.
    """
    require(can_decide, user, request.project)
    override = (override_justification or "").strip()
    try:
        with transaction.atomic():
            amendment = _lock(request, "approve", today)
            project = Project.objects.select_for_update().get(pk=amendment.project_id)
            rows = _stored_changes(amendment)
            context, validated = _checked_again(amendment, rows)
            result = what_if(
                context.consortium,
                context.rules,
                planned_changes(
                    validated, context.consortium, context.organisations, context.records
                ),
                effective_on=min(row.effective_on for row in rows),
            )
            breached = breaches(result)
            if breached and not override:
                raise AmendmentInvalid([_override_needed(breached)])
            changed = apply_changes_to_record(
                project, rows, user=user, records=context.records, amendment=amendment
            )
            _decide(
                amendment,
                user,
                project,
                status=AmendmentStatus.APPROVED,
                note=note.strip(),
                after={
                    "changes": len(rows),
                    "override_justification": override if breached else "",
                },
            )
            projects_changed(changed, reason="amendment approved")
    except IntegrityError:
        # Another write won the race between the checks and the writes (e.g. the same new
        # organisation added by two approvals at once); nothing was applied.
        raise AmendmentConflict(
            _("The grant record changed while the request was approved; try again.")
        ) from None
    return amendment


def _override_needed(breached) -> FieldError:
    """Why approving needs an override justification: the rules broken, from when."""
    when = "; ".join(
        _("%(rules)s from %(date)s")
        % {
            "date": entry.starts_on.isoformat(),
            "rules": ", ".join(rule_label(rule) for rule in breached_rules(entry.verdict)),
        }
        for entry in breached
    )
    return FieldError(
        "override_justification",
        _(
            "With these changes the consortium would be in breach: %(when)s. "
            "Approving needs an override justification."
        )
        % {"when": when},
    )


def _decide(
    amendment: AmendmentRequest, user, project: Project, *, status: str, note: str, after: dict
) -> None:
    """Record the officer's decision on the request (approved or rejected) and its event;
    ``after`` adds to the event's record of the decision (an approval's override)."""
    before = {"status": amendment.status}
    amendment.status = status
    amendment.decided_by = user
    amendment.decided_at = timezone.now()
    amendment.decision_note = note
    if "override_justification" in after:
        amendment.override_justification = after["override_justification"]
    amendment.full_clean()
    amendment.save()
    _record(
        f"amendment.{status}",
        user,
        amendment,
        project,
        before=before,
        after={"status": amendment.status, **after},
        note=note,
    )


def amendment_reject(*, request: AmendmentRequest, user, note: str) -> AmendmentRequest:
    """Reject a submitted request with a note saying why. A request past its decision period
    already counts as rejected; rejecting it records the decision explicitly."""
    require(can_decide, user, request.project)
    with transaction.atomic():
        amendment = _lock(request, "reject")
        text = note.strip()
        if not text:
            raise AmendmentInvalid([FieldError("note", _("Say why the request is rejected."))])
        _decide(
            amendment, user, request.project, status=AmendmentStatus.REJECTED, note=text, after={}
        )
        projects_changed([amendment.project_id], reason="amendment rejected")
    return amendment


# -- withdrawal --------------------------------------------------------------------------------


def amendment_withdraw(*, request: AmendmentRequest, user, note: str = "") -> AmendmentRequest:
    """The consortium withdraws a draft or a submitted request (in the portal the coordinator
    cancels a request not yet decided): it is closed for good, with no decision, and a
    submitted one no longer waits for the agency. A decided request cannot be withdrawn."""
    require(can_withdraw, user, request.project)
    with transaction.atomic():
        amendment = _lock(request, "withdraw")
        before = {"status": amendment.status}
        amendment.status = AmendmentStatus.WITHDRAWN
        amendment.withdrawn_by = user
        amendment.withdrawn_at = timezone.now()
        amendment.full_clean()
        amendment.save()
        _record(
            "amendment.withdrawn",
            user,
            amendment,
            request.project,
            before=before,
            after={"status": amendment.status},
            note=note.strip(),
            # A draft never reached the agency: its withdrawal is read like the draft.
            draft=amendment.submitted_at is None,
        )
        projects_changed([amendment.project_id], reason="amendment withdrawn")
    return amendment


# -- requests for information ------------------------------------------------------------------


def _open_question(amendment: AmendmentRequest) -> InformationRequest | None:
    return amendment.information_requests.filter(answered_at__isnull=True).first()


def information_request_create(
    *, request: AmendmentRequest, user, question: str, today: datetime.date | None = None
) -> InformationRequest:
    """The agency asks the consortium for information on a submitted request: the decision
    period stands still from the question to its answer (``information_request_answer``). One
    question is open at a time; a request whose decision period is over cannot be asked about
    (it counts as rejected)."""
    require(can_request_information, user, request.project)
    with transaction.atomic():
        amendment = _lock(request, "ask", today)
        open_question = _open_question(amendment)
        if open_question is not None:
            raise AmendmentConflict(
                _("The question asked on %(date)s is not answered yet: ask one question at a time.")
                % {"date": brussels_today(open_question.asked_at).isoformat()}
            )
        text = question.strip()
        if not text:
            raise AmendmentInvalid([FieldError("question", _("Say what information is needed."))])
        information = InformationRequest(
            request=amendment, question=text, asked_at=timezone.now(), asked_by=user
        )
        information.full_clean()
        information.save()
        _record(
            "amendment.information_requested",
            user,
            amendment,
            request.project,
            before={"awaiting_information": False, "decision_due_on": amendment.decision_due_on},
            after={
                "awaiting_information": True,
                "information_request": information.pk,
                "decision_due_on": amendment.decision_due_on,
            },
            note=text,
        )
        # The watchers hold back the request's decision flag while it waits.
        projects_changed([amendment.project_id], reason="amendment information requested")
    return information


def information_request_answer(
    *, information: InformationRequest, user, answer: str
) -> InformationRequest:
    """The consortium answers the agency's question: the decision period runs again, and its
    last day moves on by the days it stood still (the Brussels days from the question to the
    answer: a question answered the day it was asked stops nothing)."""
    amendment = information.request
    require(can_answer_information, user, amendment.project)
    with transaction.atomic():
        amendment = _lock(amendment, "answer")
        locked = InformationRequest.objects.select_for_update().get(pk=information.pk)
        if locked.answered_at is not None:
            raise AmendmentConflict(
                _("This question was answered on %(date)s.")
                % {"date": brussels_today(locked.answered_at).isoformat()}
            )
        text = answer.strip()
        if not text:
            raise AmendmentInvalid([FieldError("answer", _("Give the information asked for."))])
        now = timezone.now()
        paused = (brussels_today(now) - brussels_today(locked.asked_at)).days
        locked.answer = text
        locked.answered_at = now
        locked.answered_by = user
        locked.paused_days = paused
        locked.full_clean()
        locked.save()
        before = {"awaiting_information": True, "decision_due_on": amendment.decision_due_on}
        amendment.decision_due_on += datetime.timedelta(days=paused)
        amendment.full_clean()
        amendment.save()
        _record(
            "amendment.information_answered",
            user,
            amendment,
            amendment.project,
            before=before,
            after={
                "awaiting_information": False,
                "information_request": locked.pk,
                "paused_days": paused,
                "decision_due_on": amendment.decision_due_on,
            },
            note=text,
        )
        projects_changed([amendment.project_id], reason="amendment information answered")
    return locked
