"""Checks turn the grant record into findings for the flag store.

``check_projects`` is what both paths run: the check after a change (a few projects, seconds
after the commit) and the sweep (every active project, in batches). Its query count depends on
neither the number of projects nor the number of participants.
"""

import datetime
from collections.abc import Collection

from django.utils.translation import gettext_noop

from backend.amendments.selectors import amendments_past_decision_date
from backend.grants.dates import brussels_today
from backend.grants.eligibility.engine import BREACH, REVIEW, WARNING, evaluate, next_breach
from backend.grants.eligibility.facts import Consortium, RuleSetFacts
from backend.grants.eligibility.messages import LANGUAGES, render, result_as_dict
from backend.grants.selectors import consortia
from monitoring.flags import Finding, SyncResult, flags_sync
from monitoring.models import FlagKind, Severity

ELIGIBILITY_KINDS = (
    FlagKind.ELIGIBILITY_BREACH,
    FlagKind.ELIGIBILITY_REVIEW,
    FlagKind.BREACH_SCHEDULED,
)
CHECKED_KINDS = (*ELIGIBILITY_KINDS, FlagKind.AMENDMENT_DECISION_OVERDUE)
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
        details = result_as_dict(result)
        findings.append(
            Finding(
                project_id=project_id,
                kind=kind,
                severity=_SEVERITY[result.status],
                fingerprint=f"{kind}:{result.rule}",
                explanation={**details["messages"], "details": details},
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
                    explanation={
                        **{
                            language: render(
                                message,
                                {
                                    "date": coming.starts_on,
                                    "problems": " ".join(
                                        render(r.message, r.params, language) for r in breached
                                    ),
                                },
                                language,
                            )
                            for language in LANGUAGES
                        },
                        "details": {
                            "date": coming.starts_on.isoformat(),
                            "rules": [r.rule for r in breached],
                        },
                    },
                )
            )
    return findings


def amendment_findings(project_ids: Collection[int], today: datetime.date) -> list[Finding]:
    """A submitted amendment request with no decision after the decision period counts as
    rejected (brief section 7, case 20): the consortium must launch it again."""
    message = gettext_noop(
        "The amendment request submitted on %(submitted)s has had no decision by %(due)s: it "
        "counts as rejected. Launch it again, or ask the project officer."
    )
    findings = []
    for request in amendments_past_decision_date(today=today, project_ids=project_ids):
        params = {"submitted": request.submitted_on, "due": request.decision_due_on}
        findings.append(
            Finding(
                project_id=request.project_id,
                kind=FlagKind.AMENDMENT_DECISION_OVERDUE,
                severity=Severity.MEDIUM,
                fingerprint=f"{FlagKind.AMENDMENT_DECISION_OVERDUE}:{request.pk}",
                explanation={
                    **{language: render(message, params, language) for language in LANGUAGES},
                    "details": {"amendment_id": request.pk, "due_on": str(request.decision_due_on)},
                },
            )
        )
    return findings


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
    return flags_sync(project_ids=snapshots.keys(), kinds=CHECKED_KINDS, findings=findings, now=now)
