"""What a user's calendar feed lists: the deadlines of the user's projects that the user's role
on each lets them see, each one day (Europe/Brussels) with a stable id.

Per role on a project (a user holding several roles sees each item once):

- a project manager: the project's deliverables not submitted and milestones not achieved, its
  periodic reports not received, the coordinator's contributions to lock, the decisions due on
  its submitted amendment requests, and the payments the agency owes;
- a partner contact: the deliverables and milestones their organisation leads, and its
  contributions to lock;
- an agency officer (a role that counts, ``accounts.permissions.officer_void``): the
  deliverables, milestones and periodic reports the consortium owes, the amendment decisions
  and the payments the agency owes.

The deadlines come from the watchers' selectors (``monitoring.deadlines``, with suspensions and
terminations) and the record's (``reporting.tasks_selectors`` for the contributions,
``payments`` for the schedule); nothing done is listed (a submitted deliverable, an achieved
milestone, a received report, a locked contribution, a decided request, a paid instalment), and
no draft amendment request (it has no decision date). Administrators see what their own roles
give them. The window starts ``PAST_DAYS`` days before today and runs to the last deadline of
the projects. A fixed number of queries, whatever the number of projects and items.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext as _

from backend.accounts.models import ProjectRole, ProjectRoleKind
from backend.accounts.permissions import officer_void
from backend.amendments.models import AmendmentRequest, AmendmentStatus
from backend.common.dates import brussels_today
from backend.grants.models import Participation
from backend.payments import rules as payment_rules
from backend.payments import statuses
from backend.payments.models import InstalmentKind
from backend.payments.selectors import grant_facts
from backend.reporting.tasks_selectors import user_tasks
from monitoring.deadlines import (
    deliverables_not_submitted,
    milestones_not_achieved,
    project_suspensions,
    reports_not_received,
)

PAST_DAYS = 90
UID_DOMAIN = "grantwatch"
# An instalment the agency still has to pay once its payment deadline runs.
UNPAID = (statuses.READY, statuses.APPROVED, statuses.DECISION_NEEDED, statuses.SUSPENDED)


@dataclass(frozen=True)
class FeedEvent:
    uid: str
    day: datetime.date
    summary: str  # in the language active when it was made
    path: str  # the item's page


@dataclass
class Scope:
    """The user's projects, by what the user is on each."""

    acronyms: dict[int, str] = field(default_factory=dict)
    managed: set[int] = field(default_factory=set)
    officer: set[int] = field(default_factory=set)
    partner_for: set[int] = field(default_factory=set)  # participations

    @property
    def watched(self) -> set[int]:
        """The projects whose every deadline the user sees (a manager's, an officer's)."""
        return self.managed | self.officer

    @property
    def projects(self) -> set[int]:
        return set(self.acronyms)


def feed_scope(user) -> Scope:
    """The user's roles that count, with their projects' acronyms: one query (two for an
    officer who works for an organisation)."""
    scope = Scope()
    rows = list(
        ProjectRole.objects.filter(user_id=user.pk).values_list(
            "role", "project_id", "participation_id", "project__acronym"
        )
    )
    officer_of = {}
    for role, project_id, participation_id, acronym in rows:
        if role == ProjectRoleKind.OFFICER:
            officer_of[project_id] = acronym
            continue
        if role == ProjectRoleKind.MANAGER:
            scope.managed.add(project_id)
        elif participation_id is not None:
            scope.partner_for.add(participation_id)
        scope.acronyms[project_id] = acronym
    for project_id in _officer_roles_that_count(user, officer_of, members=set(scope.acronyms)):
        scope.officer.add(project_id)
        scope.acronyms[project_id] = officer_of[project_id]
    return scope


def _officer_roles_that_count(user, officer_of: dict[int, str], *, members: set[int]) -> set[int]:
    """The projects whose officer role counts (``officer_void``): held by agency staff who
    neither work on the project for the consortium nor for one of its participants."""
    if not officer_of:
        return set()
    taking_part = set()
    if user.organisation_id is not None:
        taking_part = set(
            Participation.objects.filter(
                organisation_id=user.organisation_id, project_id__in=list(officer_of)
            ).values_list("project_id", flat=True)
        )
    return {
        project_id
        for project_id in officer_of
        if project_id not in taking_part
        and not officer_void(
            agency_staff=user.is_agency_officer,
            member=project_id in members,
            organisation_id=None,
            project_id=project_id,
        )
    }


def feed_events(*, user, now: datetime.datetime) -> list[FeedEvent]:
    """The user's calendar, by day then id, with summaries in the active language."""
    today = brussels_today(now)
    scope = feed_scope(user)
    events: dict[str, FeedEvent] = {}
    if scope.projects:
        suspensions = project_suspensions(scope.projects)
        found = [
            *_work_plan_events(scope, suspensions),
            *_report_events(scope, suspensions),
            *_contribution_events(user, scope, now),
            *_amendment_events(scope),
            *_payment_events(scope, today),
        ]
        since = today - datetime.timedelta(days=PAST_DAYS)
        events = {event.uid: event for event in found if event.day >= since}
    return sorted(events.values(), key=lambda event: (event.day, event.uid))


def _uid(kind: str, *ids) -> str:
    return "-".join([kind, *(str(part) for part in ids)]) + f"@{UID_DOMAIN}"


def _work_plan_events(scope: Scope, suspensions) -> Iterable[FeedEvent]:
    """Deliverables and milestones: a project's for its manager and officer, the ones their
    organisation leads for a partner contact. Two queries."""
    kinds = (
        (
            "deliverable",
            deliverables_not_submitted(scope.projects, suspensions=suspensions),
            _('%(project)s: deliverable %(code)s "%(title)s" due'),
            lambda item: reverse("frontend:deliverable", args=[item.project_id, item.id]),
        ),
        (
            "milestone",
            milestones_not_achieved(scope.projects, suspensions=suspensions),
            _('%(project)s: milestone %(code)s "%(title)s" due'),
            lambda item: reverse("frontend:milestones", args=[item.project_id]),
        ),
    )
    for kind, items, summary, path in kinds:
        for item in items:
            if item.project_id in scope.watched or item.lead_id in scope.partner_for:
                yield FeedEvent(
                    uid=_uid(kind, item.id),
                    day=item.due_on,
                    summary=summary
                    % {
                        "project": scope.acronyms[item.project_id],
                        "code": item.code,
                        "title": item.title,
                    },
                    path=path(item),
                )


def _report_events(scope: Scope, suspensions) -> Iterable[FeedEvent]:
    """The periodic reports not received, for the managers and officers. One query."""
    if not scope.watched:
        return
    for item in reports_not_received(scope.watched, suspensions=suspensions):
        yield FeedEvent(
            uid=_uid("report", item.period_id),
            day=item.due_on,
            summary=_("%(project)s: periodic report RP%(number)s due")
            % {"project": scope.acronyms[item.project_id], "number": item.number},
            path=reverse("frontend:report", args=[item.project_id, item.number]),
        )


def _contribution_events(user, scope: Scope, now: datetime.datetime) -> Iterable[FeedEvent]:
    """The contributions the user's organisations still have to lock (``user_tasks``)."""
    if not (scope.managed or scope.partner_for):
        return
    for task in user_tasks(user=user, now=now).contributions:
        project_id = task.project.pk
        yield FeedEvent(
            uid=_uid("contribution", task.participation_id, task.period_number),
            day=task.due_on,
            summary=_("%(project)s: lock %(participant)s's contribution to RP%(number)s")
            % {
                "project": scope.acronyms.get(project_id, task.project.acronym),
                "participant": task.participant,
                "number": task.period_number,
            },
            path=reverse(
                "frontend:contribution",
                args=[project_id, task.period_number, task.participation_id],
            ),
        )


def _amendment_events(scope: Scope) -> Iterable[FeedEvent]:
    """The agency's decisions due on submitted amendment requests (never a draft, which has no
    decision date), for the managers and officers. One query."""
    if not scope.watched:
        return
    for amendment_id, project_id, due_on in (
        AmendmentRequest.objects.filter(
            project_id__in=list(scope.watched),
            status=AmendmentStatus.SUBMITTED,
            decision_due_on__isnull=False,
        )
        .order_by("id")
        .values_list("id", "project_id", "decision_due_on")
    ):
        yield FeedEvent(
            uid=_uid("amendment", amendment_id),
            day=due_on,
            summary=_("%(project)s: decision on amendment request %(id)s due")
            % {"project": scope.acronyms[project_id], "id": amendment_id},
            path=reverse("frontend:amendment", args=[project_id, amendment_id]),
        )


def _payment_events(scope: Scope, today: datetime.date) -> Iterable[FeedEvent]:
    """The instalments the agency owes with a payment deadline, for the managers and officers
    (the payment schedule of ``backend.payments``: a fixed number of queries)."""
    if not scope.watched:
        return
    kinds = dict(InstalmentKind.choices)
    for project_id, facts in sorted(grant_facts(scope.watched, today=today).items()):
        for item in payment_rules.schedule(facts, today):
            if item.status not in UNPAID or item.payment_due_on is None:
                continue
            yield FeedEvent(
                uid=_uid("payment", project_id, item.key),
                day=item.payment_due_on,
                summary=_("%(project)s: payment due: %(instalment)s")
                % {"project": scope.acronyms[project_id], "instalment": kinds[item.kind]},
                path=reverse("frontend:project_compliance", args=[project_id]),
            )
