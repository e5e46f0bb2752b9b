"""Checks turn the grant record into findings for the flag store.

``check_projects`` is what both paths run: the check after a change (a few projects, seconds
after the commit) and the sweep (every active project, in batches). Its query count depends on
neither the number of projects nor the number of participants, deliverables, milestones or
reporting periods.

A deadline on day D runs to the end of D in Brussels: an item is overdue from D + 1.
"""

import datetime
from collections.abc import Collection

from django.utils.translation import gettext_noop

from backend.amendments.selectors import amendments_past_decision_date
from backend.common.dates import brussels_today
from backend.grants.eligibility.engine import BREACH, REVIEW, WARNING, evaluate, next_breach
from backend.grants.eligibility.facts import Consortium, RuleSetFacts
from backend.grants.eligibility.messages import messages_param, result_details, stored_message
from backend.grants.selectors import consortia
from backend.payments import rules as payment_rules
from backend.payments.selectors import grant_facts
from backend.reporting.models import REPORT_DUE_DAYS
from backend.workplan.rules import deliverable_is_overdue, milestone_is_overdue
from monitoring.deadlines import (
    DueDeliverable,
    DueMilestone,
    DueReport,
    deliverables_not_submitted,
    milestones_not_achieved,
    project_suspensions,
    reports_not_received,
)
from monitoring.flags import Finding, SyncResult, flags_sync
from monitoring.lifecycle import LIFECYCLE_KINDS, lifecycle_findings
from monitoring.models import FlagKind, Severity
from monitoring.summaries import summaries_refresh

ELIGIBILITY_KINDS = (
    FlagKind.ELIGIBILITY_BREACH,
    FlagKind.ELIGIBILITY_REVIEW,
    FlagKind.BREACH_SCHEDULED,
)
OVERDUE_KINDS = (
    FlagKind.DELIVERABLE_OVERDUE,
    FlagKind.MILESTONE_OVERDUE,
    FlagKind.REPORT_OVERDUE,
)
INSTALMENT_KINDS = (
    FlagKind.INSTALMENT_READY,
    FlagKind.INSTALMENT_DECISION_NEEDED,
    FlagKind.INSTALMENT_BLOCKED,
    FlagKind.PAYMENT_LATE,
)
CHECKED_KINDS = (
    *ELIGIBILITY_KINDS,
    FlagKind.AMENDMENT_DECISION_OVERDUE,
    *OVERDUE_KINDS,
    *INSTALMENT_KINDS,
    *LIFECYCLE_KINDS,
)
# A deliverable or milestone more than this many days late is flagged one step more severe.
ESCALATE_AFTER_DAYS = 30
_SEVERITY = {BREACH: Severity.CRITICAL, REVIEW: Severity.MEDIUM, WARNING: Severity.LOW}


def eligibility_findings(
    project_id: int, consortium: Consortium, rules: RuleSetFacts, today: datetime.date
) -> list[Finding]:
    """One finding per rule that is not met today (a breach, or something to review), and one
    for a breach that changes already recorded will cause within the rule set's horizon."""
    verdict = evaluate(consortium, rules, today)
    findings = []
    for result in verdict.results:
        if result.status not in _SEVERITY:
            continue
        kind = (
            FlagKind.ELIGIBILITY_BREACH if result.status == BREACH else FlagKind.ELIGIBILITY_REVIEW
        )
        findings.append(
            Finding(
                project_id=project_id,
                kind=kind,
                severity=_SEVERITY[result.status],
                fingerprint=f"{kind}:{result.rule}",
                explanation=stored_message(result.message, result.params, result_details(result)),
            )
        )
    if verdict.compliant:
        coming = next_breach(consortium, rules, today)
        if coming is not None:
            breached = [r for r in coming.verdict.results if r.status == BREACH]
            message = gettext_noop(
                "Changes already recorded break the composition on %(date)s: %(problems)s"
            )
            findings.append(
                Finding(
                    project_id=project_id,
                    kind=FlagKind.BREACH_SCHEDULED,
                    severity=Severity.HIGH,
                    fingerprint=f"{FlagKind.BREACH_SCHEDULED}:composition",
                    explanation=stored_message(
                        message,
                        {
                            "date": coming.starts_on,
                            "problems": messages_param((r.message, r.params) for r in breached),
                        },
                        {"date": coming.starts_on, "rules": [r.rule for r in breached]},
                    ),
                )
            )
    return findings


def amendment_findings(project_ids: Collection[int], today: datetime.date) -> list[Finding]:
    """A submitted amendment request with no decision after the decision period counts as
    rejected (``AmendmentRequest.is_deemed_rejected``): the consortium must launch it again."""
    message = gettext_noop(
        "The amendment request submitted on %(submitted)s has had no decision by %(due)s: it "
        "counts as rejected. Launch it again, or ask the project officer."
    )
    findings = []
    # In the projects' own order: the requests' default order joins the projects' table.
    requests = amendments_past_decision_date(today=today, project_ids=project_ids).order_by(
        "project_id", "-created_at", "-id"
    )
    for request in requests:
        params = {"submitted": request.submitted_on, "due": request.decision_due_on}
        findings.append(
            Finding(
                project_id=request.project_id,
                kind=FlagKind.AMENDMENT_DECISION_OVERDUE,
                severity=Severity.MEDIUM,
                fingerprint=f"{FlagKind.AMENDMENT_DECISION_OVERDUE}:{request.pk}",
                explanation=stored_message(
                    message,
                    params,
                    {"amendment_id": request.pk, "due_on": str(request.decision_due_on)},
                ),
            )
        )
    return findings


def _explanation(message: str, params: dict, details: dict) -> dict:
    """Stored as the message id and its parameters: rendered in the reader's language when
    the flag is shown, not for every finding on every check."""
    return stored_message(message, params, details)


def deliverable_finding(deliverable: DueDeliverable, today: datetime.date) -> Finding | None:
    """A deliverable still Pending or Draft after its deadline in force: the portal shows its
    status in red once its due date, revised or not, has passed (IT How To "Completing the
    deliverables")."""
    if not deliverable_is_overdue(deliverable.status, deliverable.due_on, today):
        return None
    late = (today - deliverable.due_on).days
    message = gettext_noop(
        'Deliverable %(code)s "%(title)s" was due on %(due)s (M%(month)s) and has not been '
        "submitted."
    )
    params = {
        "code": deliverable.code,
        "title": deliverable.title,
        "due": deliverable.due_on,
        "month": deliverable.due_month,
    }
    return Finding(
        project_id=deliverable.project_id,
        kind=FlagKind.DELIVERABLE_OVERDUE,
        severity=Severity.HIGH if late > ESCALATE_AFTER_DAYS else Severity.MEDIUM,
        fingerprint=f"{FlagKind.DELIVERABLE_OVERDUE}:{deliverable.id}",
        explanation=_explanation(
            message,
            params,
            {
                "deliverable_id": deliverable.id,
                "code": deliverable.code,
                "due_on": deliverable.due_on.isoformat(),
                "due_month": deliverable.due_month,
                "lead": deliverable.lead,
            },
        ),
    )


def milestone_finding(milestone: DueMilestone, today: datetime.date) -> Finding | None:
    """A milestone not recorded as achieved after the end of its due month."""
    if not milestone_is_overdue(None, milestone.due_on, today):
        return None
    late = (today - milestone.due_on).days
    message = gettext_noop(
        'Milestone %(code)s "%(title)s" was due on %(due)s (M%(month)s) and has not been '
        "recorded as achieved."
    )
    params = {
        "code": milestone.code,
        "title": milestone.title,
        "due": milestone.due_on,
        "month": milestone.due_month,
    }
    return Finding(
        project_id=milestone.project_id,
        kind=FlagKind.MILESTONE_OVERDUE,
        severity=Severity.MEDIUM if late > ESCALATE_AFTER_DAYS else Severity.LOW,
        fingerprint=f"{FlagKind.MILESTONE_OVERDUE}:{milestone.id}",
        explanation=_explanation(
            message,
            params,
            {
                "milestone_id": milestone.id,
                "code": milestone.code,
                "due_on": milestone.due_on.isoformat(),
                "due_month": milestone.due_month,
                "lead": milestone.lead,
            },
        ),
    )


def report_finding(report: DueReport, today: datetime.date) -> Finding | None:
    """A periodic report not received 60 days after its period ended (``REPORT_DUE_DAYS``):
    overdue, escalated at once, since the later payments wait for it."""
    if today <= report.due_on:
        return None
    message = gettext_noop(
        "The periodic report of reporting period %(number)s (M%(start)s-M%(end)s) was due on "
        "%(due)s, %(days)s days after the period ended, and has not been submitted. The "
        "following payments wait for it."
    )
    params = {
        "number": report.number,
        "start": report.start_month,
        "end": report.end_month,
        "due": report.due_on,
        "days": REPORT_DUE_DAYS,
    }
    return Finding(
        project_id=report.project_id,
        kind=FlagKind.REPORT_OVERDUE,
        severity=Severity.HIGH,
        fingerprint=f"{FlagKind.REPORT_OVERDUE}:{report.number}",
        explanation=_explanation(
            message,
            params,
            {
                "reporting_period": report.number,
                "period_end": report.period_end.isoformat(),
                "due_on": report.due_on.isoformat(),
            },
        ),
    )


def overdue_findings(project_ids: Collection[int], today: datetime.date) -> list[Finding]:
    """Deliverables, milestones and periodic reports past their deadline, in four queries (the
    projects' suspensions read once for the three). Submitting, recording the achievement or
    submitting the report makes the finding go away, and the next check resolves its flag."""
    suspensions = project_suspensions(project_ids)
    found = [
        deliverable_finding(item, today)
        for item in deliverables_not_submitted(
            project_ids, due_before=today, suspensions=suspensions
        )
    ]
    found += [
        milestone_finding(item, today)
        for item in milestones_not_achieved(project_ids, due_before=today, suspensions=suspensions)
    ]
    found += [
        report_finding(item, today)
        for item in reports_not_received(project_ids, suspensions=suspensions)
    ]
    return [finding for finding in found if finding is not None]


# What an instalment is called in a sentence ("The interim payment of RP2 ..."), by its kind.
_READY_MESSAGES = {
    payment_rules.PREFINANCING: gettext_noop(
        "The pre-financing of EUR %(amount)s is ready for payment."
    ),
    payment_rules.ADDITIONAL_PREFINANCING: gettext_noop(
        "The additional pre-financing of RP%(number)s, EUR %(amount)s, is ready for payment."
    ),
    payment_rules.INTERIM: gettext_noop(
        "The interim payment of RP%(number)s, EUR %(amount)s, is ready for payment."
    ),
    payment_rules.BALANCE: gettext_noop("The balance of EUR %(amount)s is ready for payment."),
}
_RECOVERY_READY = gettext_noop(
    "The balance is a recovery of EUR %(amount)s: it is ready for the recovery order."
)
_RECOVERY_AFTER_BALANCE_READY = gettext_noop(
    "A recovery of EUR %(amount)s after the balance (a reduction confirmed since) is ready for "
    "the recovery order."
)
# An instalment whose only unmet condition is the consortium's eligibility: the officer
# suspends its payment or approves it with a justification.
_DECISION_MESSAGES = {
    payment_rules.ADDITIONAL_PREFINANCING: gettext_noop(
        "The additional pre-financing of RP%(number)s, EUR %(amount)s, needs the officer's "
        "decision: %(reasons)s Suspend the payment, or approve it with a justification."
    ),
    payment_rules.INTERIM: gettext_noop(
        "The interim payment of RP%(number)s, EUR %(amount)s, needs the officer's decision: "
        "%(reasons)s Suspend the payment, or approve it with a justification."
    ),
    payment_rules.BALANCE: gettext_noop(
        "The balance of EUR %(amount)s needs the officer's decision: %(reasons)s Suspend the "
        "payment, or approve it with a justification."
    ),
}
_BLOCKED_MESSAGES = {
    payment_rules.PREFINANCING: gettext_noop(
        "The pre-financing of EUR %(amount)s is blocked: %(reasons)s"
    ),
    payment_rules.ADDITIONAL_PREFINANCING: gettext_noop(
        "The additional pre-financing of RP%(number)s is blocked: %(reasons)s"
    ),
    payment_rules.INTERIM: gettext_noop(
        "The interim payment of RP%(number)s is blocked: %(reasons)s"
    ),
    payment_rules.BALANCE: gettext_noop("The balance is blocked: %(reasons)s"),
    payment_rules.RECOVERY: gettext_noop(
        "The recovery of EUR %(amount)s after the balance is blocked: %(reasons)s"
    ),
}
_PREFINANCING_LATE = gettext_noop(
    "The pre-financing of EUR %(amount)s was due for payment on %(due)s and has not been "
    "paid: %(days_late)s days late, interest of EUR %(interest)s so far."
)
_PERIOD_PAYMENT_LATE = gettext_noop(
    "The report of RP%(number)s was received on %(received)s; the payment of EUR %(amount)s "
    "was due within %(days)s days, plus %(suspended)s days suspended, by %(due)s, and has not "
    "been made: %(days_late)s days late, interest of EUR %(interest)s so far."
)


def _instalment_details(instalment: payment_rules.Instalment) -> dict:
    return {
        "key": instalment.key,
        "kind": instalment.kind,
        "reporting_period": instalment.period,
        "status": instalment.status,
        "amount": str(instalment.amount),
    }


def instalment_findings(
    project_id: int,
    facts: payment_rules.GrantFacts,
    today: datetime.date,
    *,
    schedule: list[payment_rules.Instalment] | None = None,
) -> list[Finding]:
    """What the payment schedule asks of the officer today: an instalment
    ready for payment, one that needs the officer's decision (an open composition breach: an
    approval with a justification, or a suspension), one
    blocked (with the reasons, each rendered in the reader's language), and a payment the
    agency owes past its deadline (with the days late and the interest). Nothing due, a
    suspended, an approved or a paid instalment raises nothing but a late payment, and a
    suspended or paid one not even that. ``schedule``: the schedule of ``facts`` today, when
    the caller has computed it already."""
    if schedule is None:
        schedule = payment_rules.schedule(facts, today)
    findings = []
    for instalment in schedule:
        if instalment.status == payment_rules.READY:
            findings.append(_ready_finding(project_id, instalment))
        elif instalment.status == payment_rules.DECISION_NEEDED:
            findings.append(_decision_finding(project_id, instalment))
        elif instalment.status == payment_rules.BLOCKED:
            findings.append(_blocked_finding(project_id, instalment))
        if instalment.payment_late:
            findings.append(_payment_late_finding(project_id, instalment))
    return findings


def _instalment_params(instalment: payment_rules.Instalment) -> dict:
    return {"number": instalment.period, "amount": abs(instalment.amount)}


def _ready_finding(project_id: int, instalment: payment_rules.Instalment) -> Finding:
    if instalment.kind == payment_rules.RECOVERY:
        message = _RECOVERY_AFTER_BALANCE_READY
    elif instalment.is_recovery:
        message = _RECOVERY_READY
    else:
        message = _READY_MESSAGES[instalment.kind]
    return Finding(
        project_id=project_id,
        kind=FlagKind.INSTALMENT_READY,
        severity=Severity.LOW,
        fingerprint=f"{FlagKind.INSTALMENT_READY}:{instalment.key}",
        explanation=_explanation(
            message, _instalment_params(instalment), _instalment_details(instalment)
        ),
    )


def _decision_finding(project_id: int, instalment: payment_rules.Instalment) -> Finding:
    return Finding(
        project_id=project_id,
        kind=FlagKind.INSTALMENT_DECISION_NEEDED,
        severity=Severity.MEDIUM,
        fingerprint=f"{FlagKind.INSTALMENT_DECISION_NEEDED}:{instalment.key}",
        explanation=_with_reasons(_DECISION_MESSAGES[instalment.kind], instalment),
    )


def _blocked_finding(project_id: int, instalment: payment_rules.Instalment) -> Finding:
    return Finding(
        project_id=project_id,
        kind=FlagKind.INSTALMENT_BLOCKED,
        severity=Severity.MEDIUM,
        fingerprint=f"{FlagKind.INSTALMENT_BLOCKED}:{instalment.key}",
        explanation=_with_reasons(_BLOCKED_MESSAGES[instalment.kind], instalment),
    )


def _with_reasons(message: str, instalment: payment_rules.Instalment) -> dict:
    """The message with the reasons after it, each rendered in the reader's language."""
    reasons = instalment.reasons
    return _explanation(
        message,
        {
            **_instalment_params(instalment),
            "reasons": messages_param((reason.message, reason.params) for reason in reasons),
        },
        {**_instalment_details(instalment), "reasons": [reason.code for reason in reasons]},
    )


def _payment_late_finding(project_id: int, instalment: payment_rules.Instalment) -> Finding:
    """A payment the agency owes past its due date: the pre-financing's, or a period's (due
    the grant's payment days after the period's report was received, plus the days the
    deadline was suspended), with the days late and the interest so far."""
    base = {
        **_instalment_params(instalment),
        "due": instalment.payment_due_on,
        "days_late": instalment.days_late,
        "interest": instalment.interest,
    }
    if instalment.period is None:
        message = _PREFINANCING_LATE
        params = base
    else:
        message = _PERIOD_PAYMENT_LATE
        params = {
            **base,
            "received": instalment.report_received_on,
            "days": instalment.payment_days,
            "suspended": instalment.suspended_days,
        }
    received = instalment.report_received_on
    return Finding(
        project_id=project_id,
        kind=FlagKind.PAYMENT_LATE,
        severity=Severity.HIGH,
        fingerprint=f"{FlagKind.PAYMENT_LATE}:{instalment.key}",
        explanation=_explanation(
            message,
            params,
            {
                **_instalment_details(instalment),
                "payment_due_on": instalment.payment_due_on.isoformat(),
                "report_received_on": None if received is None else received.isoformat(),
                "days_late": instalment.days_late,
                "suspended_days": instalment.suspended_days,
                "interest": str(instalment.interest),
            },
        ),
    )


def check_projects(project_ids: Collection[int], *, now: datetime.datetime) -> SyncResult:
    """Check these projects and bring their flags in line with what is found now."""
    today = brussels_today(now)
    snapshots = consortia(project_ids)
    findings = [
        finding
        for project_id, (consortium, rules) in snapshots.items()
        for finding in eligibility_findings(project_id, consortium, rules, today)
    ]
    findings += amendment_findings(snapshots.keys(), today)
    findings += overdue_findings(snapshots.keys(), today)
    findings += lifecycle_findings(snapshots.keys(), today)
    # The same consortia and today's breaches found above: a breach blocks the instalments now.
    breaches = {project_id: [] for project_id in snapshots}
    for finding in findings:
        if finding.kind == FlagKind.ELIGIBILITY_BREACH:
            breaches[finding.project_id].append(finding.fingerprint.split(":", 1)[1])
    facts = grant_facts(
        snapshots.keys(),
        today=today,
        snapshots=snapshots,
        breaches_today={pid: tuple(rules) for pid, rules in breaches.items()},
        with_shares=False,
    )
    # Each project's schedule once: for its instalment findings and for its summary.
    schedules = {
        project_id: payment_rules.schedule(project_facts, today)
        for project_id, project_facts in facts.items()
    }
    findings += [
        finding
        for project_id, project_facts in facts.items()
        for finding in instalment_findings(
            project_id, project_facts, today, schedule=schedules[project_id]
        )
    ]
    result = flags_sync(
        project_ids=snapshots.keys(), kinds=CHECKED_KINDS, findings=findings, now=now
    )
    summaries_refresh(
        snapshots.keys(),
        now=now,
        today=today,
        schedules=schedules,
        participants={pid: len(c.participants) for pid, (c, _rules) in snapshots.items()},
    )
    return result
