"""The suspension and resumption of the project and the termination of the grant
(``suspend_project``, ``resume_project``, ``terminate_grant``). None of them takes ``details``:
the date says it all, and the request's justification says why.

- A suspension stops the implementation from its effective date (the first day suspended)
  until a resumption, whose effective date is the day work resumes (the last suspended day is
  the day before). One suspension at a time; a resumption needs one open. While suspended, no
  deadline falling in the suspension is overdue or reminded (``monitoring.deadlines``: once
  resumed, such a deadline comes the suspended days later), and every instalment's payment
  deadline stands still (``GrantFacts.project_suspensions``). The consortium's composition is
  not affected.
- A termination's effective date is the grant's last day (``Project.terminated_on``): the
  eligibility is judged up to it, nothing planned after it is due, and the money ends with it:
  the reporting periods starting after it are dropped and the period it falls in ends on it and
  pays the balance, its report being the final report, due 60 days after the last day
  (``payments.rules.periods_until``). A suspension still open at the termination ends with it.
"""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, replace

from django.utils.translation import gettext as _

from backend.audit.services import event_record
from backend.common.dates import brussels_today
from backend.grants.eligibility.changes import ChangeEnd
from backend.grants.models import Project, ProjectSuspension
from backend.payments.rules import GrantFacts, Interval, periods_until

from ..models import ChangeKind
from . import register

_ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class LifecycleRecord:
    """The project's suspensions (start, the day it resumed or None) and its termination."""

    project_id: int
    terminated_on: datetime.date | None
    suspensions: tuple[tuple[datetime.date, datetime.date | None], ...]
    today: datetime.date


def _load(project_id: int) -> LifecycleRecord:
    return LifecycleRecord(
        project_id=project_id,
        terminated_on=Project.objects.filter(pk=project_id)
        .values_list("terminated_on", flat=True)
        .get(),
        suspensions=tuple(
            ProjectSuspension.objects.filter(project_id=project_id)
            .order_by("started_on", "id")
            .values_list("started_on", "ended_on")
        ),
        today=brussels_today(),
    )


def _suspensions_with(
    record: LifecycleRecord, earlier: list[Mapping]
) -> list[tuple[datetime.date, datetime.date | None]]:
    """The suspensions as the request's earlier changes leave them."""
    found = list(record.suspensions)
    for values in earlier:
        kind = str(values.get("kind"))
        if kind == ChangeKind.SUSPEND_PROJECT:
            found.append((values["effective_on"], None))
        elif kind == ChangeKind.RESUME_PROJECT:
            found = [
                (start, values["effective_on"] if end is None else end) for start, end in found
            ]
    return found


def _terminated_by(record: LifecycleRecord, earlier: list[Mapping]) -> datetime.date | None:
    days = [record.terminated_on] if record.terminated_on else []
    days += [
        values["effective_on"]
        for values in earlier
        if str(values.get("kind")) == ChangeKind.TERMINATE_GRANT
    ]
    return min(days, default=None)


def _open(suspensions) -> datetime.date | None:
    """The first day of the suspension still open, if any."""
    return next((start for start, end in suspensions if end is None), None)


class _LifecycleHandler:
    required = frozenset()
    optional = frozenset()

    def load(self, project_id: int) -> LifecycleRecord:
        return _load(project_id)

    def consortium_changes(self, values: Mapping, record: LifecycleRecord) -> list:
        return []

    def _event(self, verb: str, project, user, before: dict, after: dict) -> None:
        event_record(
            actor=user, verb=verb, obj=project, project_id=project.pk, before=before, after=after
        )


class SuspendHandler(_LifecycleHandler):
    """The implementation stops from the effective date on."""

    kind = ChangeKind.SUSPEND_PROJECT

    def check(self, change, record: LifecycleRecord, checker, earlier: list[Mapping]):
        suspensions = _suspensions_with(record, earlier)
        started = _open(suspensions)
        day = change.effective_on
        if started is not None:
            checker.error(
                "kind",
                _("The project is already suspended from %(date)s; resume it first.")
                % {"date": started.isoformat()},
            )
            return None
        covering = next(
            ((start, end) for start, end in suspensions if start <= day < end),
            None,
        )
        if covering is not None:
            checker.error(
                "effective_on",
                _("The project was suspended from %(start)s until %(end)s already.")
                % {"start": covering[0].isoformat(), "end": covering[1].isoformat()},
            )
        return None

    def facts_after(self, facts: GrantFacts, values: Mapping, record) -> GrantFacts:
        return replace(
            facts,
            project_suspensions=(*facts.project_suspensions, Interval(values["effective_on"])),
        )

    def apply(self, *, project, change, user, record) -> set[int]:
        suspension = ProjectSuspension(
            project=project, started_on=change.effective_on, reason=change.request.justification
        )
        suspension.full_clean()
        suspension.save()
        self._event(
            "project.suspended",
            project,
            user,
            before={"suspended": False},
            after={"suspended": True, "suspended_from": change.effective_on},
        )
        return {project.pk}


class ResumeHandler(_LifecycleHandler):
    """Work resumes on the effective date: the open suspension ends the day before."""

    kind = ChangeKind.RESUME_PROJECT

    def check(self, change, record: LifecycleRecord, checker, earlier: list[Mapping]):
        started = _open(_suspensions_with(record, earlier))
        if started is None:
            checker.error("kind", _("The project is not suspended; there is nothing to resume."))
        elif change.effective_on <= started:
            checker.error(
                "effective_on",
                _("The project is suspended from %(date)s; work resumes on a later day.")
                % {"date": started.isoformat()},
            )
        return None

    def facts_after(self, facts: GrantFacts, values: Mapping, record) -> GrantFacts:
        day = values["effective_on"]
        return replace(
            facts,
            project_suspensions=tuple(
                replace(interval, end=day) if interval.end is None else interval
                for interval in facts.project_suspensions
            ),
        )

    def apply(self, *, project, change, user, record) -> set[int]:
        suspension = ProjectSuspension.objects.select_for_update().get(
            project=project, ended_on__isnull=True
        )
        suspension.ended_on = change.effective_on
        suspension.full_clean()
        suspension.save(update_fields=["ended_on"])
        self._event(
            "project.resumed",
            project,
            user,
            before={"suspended": True, "suspended_from": suspension.started_on},
            after={
                "suspended": False,
                "suspended_from": suspension.started_on,
                "resumed_on": change.effective_on,
            },
        )
        return {project.pk}


class TerminateHandler(_LifecycleHandler):
    """The grant ends early: the effective date is its last day."""

    kind = ChangeKind.TERMINATE_GRANT

    def check(self, change, record: LifecycleRecord, checker, earlier: list[Mapping]):
        terminated = _terminated_by(record, earlier)
        if terminated is not None:
            checker.error(
                "kind",
                _("The grant is already terminated, with %(date)s as its last day.")
                % {"date": terminated.isoformat()},
            )
        return None

    def consortium_changes(self, values: Mapping, record: LifecycleRecord) -> list:
        return [ChangeEnd(values["effective_on"])]

    def facts_after(self, facts: GrantFacts, values: Mapping, record) -> GrantFacts:
        return replace(facts, periods=periods_until(facts.periods, values["effective_on"]))

    def apply(self, *, project, change, user, record) -> set[int]:
        last_day = change.effective_on
        before = {"terminated_on": project.terminated_on, "last_day": project.last_day}
        project.terminated_on = last_day
        project.save(update_fields=["terminated_on"])
        # A suspension still open ends with the grant.
        for suspension in ProjectSuspension.objects.select_for_update().filter(
            project=project, ended_on__isnull=True
        ):
            suspension.ended_on = max(last_day, suspension.started_on) + _ONE_DAY
            suspension.save(update_fields=["ended_on"])
        self._event(
            "project.terminated",
            project,
            user,
            before=before,
            after={"terminated_on": last_day, "last_day": project.last_day},
        )
        return {project.pk}


register(SuspendHandler())
register(ResumeHandler())
register(TerminateHandler())
