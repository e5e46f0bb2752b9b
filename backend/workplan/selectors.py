"""Reads of a project's deliverables and milestones, in a fixed number of queries whatever their
number. The views first make sure the user sees the project (``project_get``); the lookups here
never reach outside it (an id of another project is not found)."""

import datetime
from dataclasses import astuple, dataclass

from django.db.models import Prefetch, QuerySet

from backend.accounts.permissions import project_access
from backend.grants.models import Project

from .models import (
    Deliverable,
    DeliverableStatus,
    DueDateRevision,
    EvidenceFile,
    Milestone,
)
from .permissions import (
    can_accept,
    can_manage_evidence,
    can_request_revision,
    can_submit,
    evidence_readable,
)
from .rules import NOT_SUBMITTED, Step, months_ended_before, step_allowed


def _deliverables(project: Project) -> QuerySet[Deliverable]:
    """A project's deliverables with what an item shows: the work package and its clusters, the
    lead and the current file."""
    return (
        Deliverable.objects.filter(project=project)
        .select_related("project", "work_package", "lead")
        .prefetch_related(
            "work_package__clusters",
            Prefetch(
                "evidence_files",
                queryset=EvidenceFile.objects.filter(current=True),
                to_attr="current_files",
            ),
        )
    )


def deliverable_list(
    *,
    project: Project,
    today: datetime.date,
    status: str | None = None,
    work_package: int | None = None,
    cluster: str | None = None,
    lead: str | None = None,
    overdue: bool | None = None,
    due_before: datetime.date | None = None,
    due_after: datetime.date | None = None,
) -> QuerySet[Deliverable]:
    """The project's deliverables in the work plan's order. Each filter left at None does not
    filter; ``due_before`` and ``due_after`` include the day named; ``overdue`` is as of
    ``today``."""
    deliverables = _deliverables(project)
    if status is not None:
        deliverables = deliverables.filter(status=status)
    if work_package is not None:
        deliverables = deliverables.filter(work_package__number=work_package)
    if cluster is not None:
        deliverables = deliverables.filter(work_package__clusters__code=cluster)
    if lead is not None:
        deliverables = deliverables.filter(lead__short_name=lead)
    if overdue is True:
        deliverables = deliverables.filter(status__in=NOT_SUBMITTED, due_on__lt=today)
    elif overdue is False:
        deliverables = deliverables.exclude(status__in=NOT_SUBMITTED, due_on__lt=today)
    if due_before is not None:
        deliverables = deliverables.filter(due_on__lte=due_before)
    if due_after is not None:
        deliverables = deliverables.filter(due_on__gte=due_after)
    return deliverables.distinct().order_by("position", "id")


def deliverable_get(*, project: Project, deliverable_id: int) -> Deliverable | None:
    """One of the project's deliverables with its history (due-date revisions, every file),
    or None."""
    return (
        _deliverables(project)
        .prefetch_related(
            Prefetch(
                "due_date_revisions",
                queryset=DueDateRevision.objects.select_related("revised_by"),
            ),
            Prefetch(
                "evidence_files",
                queryset=EvidenceFile.objects.select_related("uploaded_by"),
                to_attr="all_files",
            ),
        )
        .filter(pk=deliverable_id)
        .first()
    )


def current_file_readable(*, access, deliverable: Deliverable) -> EvidenceFile | None:
    """The deliverable's current file if the user (``access``: their standing on the project)
    may read it (``evidence_readable``), else None: what a list or a detail shows of it. A
    draft's file is the consortium's own, its name and digest included."""
    files = getattr(deliverable, "current_files", None)
    if files is None:
        files = list(deliverable.evidence_files.filter(current=True))
    if not files:
        return None
    evidence = files[0]
    evidence.deliverable = deliverable
    return evidence if evidence_readable(access, evidence)[0] else None


def deliverable_evidence_history(*, user, deliverable: Deliverable) -> list[EvidenceFile]:
    """The deliverable's files (newest first) that the user may download."""
    access = project_access(user, deliverable.project_id)
    files = getattr(deliverable, "all_files", None)
    if files is None:
        files = list(deliverable.evidence_files.select_related("uploaded_by"))
    for evidence in files:
        evidence.deliverable = deliverable
    return [evidence for evidence in files if evidence_readable(access, evidence)[0]]


@dataclass(frozen=True)
class DeliverableActions:
    """The workflow steps the user may take on a deliverable now: each allowed by the
    deliverable's status (``rules.step_allowed``) and by the step's ``can_*`` check."""

    upload: bool  # upload (or replace) the file
    delete: bool  # delete a draft's file
    submit: bool  # submit the draft to the agency
    # Would submit it, once a file is uploaded: the deliverable is still pending.
    submit_later: bool
    accept: bool
    request_revision: bool

    @property
    def any(self) -> bool:
        return any(astuple(self))


def deliverable_actions(*, user, deliverable: Deliverable) -> DeliverableActions:
    """What ``user`` may do with the deliverable in its current status."""
    status = deliverable.status
    may_manage = can_manage_evidence(user, deliverable)[0]
    may_submit = can_submit(user, deliverable)[0]
    return DeliverableActions(
        upload=may_manage and step_allowed(Step.UPLOAD_EVIDENCE, status),
        delete=may_manage and step_allowed(Step.DELETE_EVIDENCE, status),
        submit=may_submit and step_allowed(Step.SUBMIT, status),
        submit_later=may_submit and status == DeliverableStatus.PENDING,
        accept=step_allowed(Step.ACCEPT, status) and can_accept(user, deliverable)[0],
        request_revision=step_allowed(Step.REQUEST_REVISION, status)
        and can_request_revision(user, deliverable)[0],
    )


def evidence_get(*, deliverable: Deliverable, file_id: int | None = None) -> EvidenceFile | None:
    """A file of the deliverable: the current one, or the one with this id; None if there is
    none."""
    files = EvidenceFile.objects.filter(deliverable=deliverable)
    files = files.filter(current=True) if file_id is None else files.filter(pk=file_id)
    evidence = files.first()
    if evidence is not None:
        evidence.deliverable = deliverable
    return evidence


def _milestones(project: Project) -> QuerySet[Milestone]:
    return (
        Milestone.objects.filter(project=project)
        .select_related("project", "lead", "achieved_recorded_by")
        .prefetch_related("work_packages")
    )


def milestone_list(
    *,
    project: Project,
    today: datetime.date,
    achieved: bool | None = None,
    overdue: bool | None = None,
    work_package: int | None = None,
) -> QuerySet[Milestone]:
    """The project's milestones in the work plan's order. A milestone is overdue once its due
    month has ended (as of ``today``) and it is not recorded as achieved."""
    milestones = _milestones(project)
    if achieved is not None:
        milestones = milestones.filter(achieved_on__isnull=not achieved)
    if overdue is not None:
        ended = months_ended_before(project.start_date, today)
        late = {"achieved_on__isnull": True, "due_month__lte": ended}
        milestones = milestones.filter(**late) if overdue else milestones.exclude(**late)
    if work_package is not None:
        milestones = milestones.filter(work_packages__number=work_package)
    return milestones.distinct().order_by("position", "id")


def milestone_get(*, project: Project, milestone_id: int) -> Milestone | None:
    return _milestones(project).filter(pk=milestone_id).first()
