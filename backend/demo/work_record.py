"""The demo project's work record: what a consortium in its third year would have done.

Everything is written through the services (so the permission checks, the workflow rules and the
audit trail apply), as the demo users; afterwards the dates a service stamps with "today" are
moved back to when the work would have happened, so that the record reads like a real one.
Relative to the day the demo is loaded (month 33 when the demo's dates are shifted to that day):

- deliverables due before today are submitted, and those due in the first two years accepted,
  except D5.4 (left pending: an overdue flag) and D3.3 (late: justified in the RP1 report,
  submitted afterwards); D2.4 was sent back for revision once (its first file stays as history);
- D7.4 is a draft with its file; the officer moved D3.6's deadline by six weeks;
- milestones due before today are achieved, except MS8 (overdue);
- the RP1 report was submitted, sent back with comments, submitted again and approved (two
  frozen versions) 100 days after its period ended; the RP2 report has a partner's draft
  contribution; the officer waived the deliverable condition of WP6;
- the officer approved the pre-financing a week before it was due and the second officer
  recorded its payment on the due date; RP1's interim payment stays blocked, since no work
  package was completed in RP1.

Each step happens only once its day has come, so the demo loads on any day of the project's
life, before its start and after its end included.
"""

import datetime
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from backend.common.dates import BRUSSELS
from backend.grants.models import Project
from backend.payments.models import Instalment, Payment
from backend.payments.rules import PREFINANCING
from backend.payments.selectors import schedule_state
from backend.payments.services import instalment_approve, payment_record
from backend.reporting.models import PeriodicReport, ReportVersion
from backend.reporting.services import (
    completion_waive,
    contribution_lock,
    contribution_save,
    declaration_save,
    justification_save,
    report_approve,
    report_request_changes,
    report_submit,
    report_update,
)
from backend.workplan.models import Deliverable, DeliverableStatus, DueDateRevision, Milestone
from backend.workplan.services import (
    deliverable_accept,
    deliverable_due_date_revise,
    deliverable_evidence_upload,
    deliverable_request_revision,
    deliverable_submit,
    milestone_achieve,
)

LEFT_PENDING = "D5.4"
LATE_IN_RP1 = "D3.3"
REVISED_ONCE = "D2.4"
DRAFT = "D7.4"
DUE_DATE_REVISED = "D3.6"
NOT_ACHIEVED = "MS8"
ACCEPTED_UP_TO_MONTH = 24
RP1_APPROVED_AFTER_DAYS = 100  # the RP1 report's approval, counted from the period's end


@dataclass(frozen=True)
class DemoPeople:
    manager: object
    officer: object
    partners: dict  # short name -> user
    payer: object  # another officer: who approves an instalment does not record its payment


def demo_pdf(title: str, name: str | None = None) -> SimpleUploadedFile:
    """A minimal PDF file carrying ``title``, as a deliverable's evidence."""
    body = (
        "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        "2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        f"% {title}\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )
    name = name or title.replace(" ", "-").replace(".", "") + ".pdf"
    return SimpleUploadedFile(name, body.encode(), content_type="application/pdf")


def _deliver(
    deliverable: Deliverable, people: DemoPeople, *, accept: bool, today: datetime.date
) -> None:
    deliverable_evidence_upload(
        deliverable=deliverable, user=people.manager, upload=demo_pdf(deliverable.code)
    )
    deliverable_submit(deliverable=deliverable, user=people.manager)
    if accept:
        deliverable_accept(deliverable=deliverable, user=people.officer)
    # Back to when it would have happened: delivered a few days before the deadline, accepted
    # three weeks later (or today, for one due lately).
    delivered = deliverable.due_on - datetime.timedelta(days=3)
    Deliverable.objects.filter(pk=deliverable.pk).update(
        delivered_on=delivered,
        approved_on=min(delivered + datetime.timedelta(days=21), today) if accept else None,
    )


def _contribute(period, project: Project, short_name: str, user, entries, *, lock: bool):
    participation = project.participations.get(short_name=short_name)
    contribution_save(period=period, participation=participation, user=user, entries=entries)
    if lock:
        contribution_lock(period=period, participation=participation, user=user)


def _report_rp1(period, people: DemoPeople, late: Deliverable | None, *, decided: bool) -> None:
    """The partners' parts, the technical part, the declarations and the justification; once
    ``decided``, the report's whole round: submitted, sent back, submitted again, approved."""
    _contribute_to_rp1(period, people)
    report_update(
        period=period,
        user=people.manager,
        technical_part="The first eighteen months set up the centres' network, mapped the "
        "curricula and opened two training labs.",
    )
    for work_package in period.project.work_packages.filter(start_month__lte=period.end_month):
        declaration_save(
            period=period, work_package=work_package, user=people.manager, completed=False
        )
    if late is not None:
        justification_save(
            period=period,
            deliverable=late,
            user=people.manager,
            text="The skills-needs survey closed late: two national employer associations "
            "asked for more time to reach their members.",
        )
    if decided:
        _decide_rp1(period, people)


def _contribute_to_rp1(period, people: DemoPeople) -> None:
    """The coordinator's part (WP1) and two partners' parts, each locked."""
    project = period.project
    _contribute(
        period,
        project,
        "GAUJA",
        people.manager,
        [
            {
                "work_package": 1,
                "activities": "Kick-off meeting in Sigulda; steering committee every quarter; "
                "quality plan and risk register adopted.",
                "outputs": "Project handbook (D1.1), data management plan (D1.2).",
                "narrative": "Management ran as planned; one partner changed its contact.",
            }
        ],
        lock=True,
    )
    for short_name, work_package, text in (
        ("NEMPOLY", 3, "Curriculum mapping of 14 care-technology programmes in four countries."),
        ("NORDLYS", 5, "Two assistive-technology demonstrators lent to the training labs."),
    ):
        _contribute(
            period,
            project,
            short_name,
            people.partners[short_name],
            [{"work_package": work_package, "activities": text, "outputs": "", "narrative": ""}],
            lock=True,
        )


def _decide_rp1(period, people: DemoPeople) -> None:
    """Submitted, sent back with comments, submitted again and approved; then dated back: the
    report reached the agency within its 60 days and was approved some weeks later."""
    report_submit(period=period, user=people.manager)
    report_request_changes(
        period=period,
        user=people.officer,
        comments="Please describe the labs' opening hours and how many learners used them.",
    )
    report_update(
        period=period,
        user=people.manager,
        technical_part="The first eighteen months set up the centres' network, mapped the "
        "curricula and opened two training labs, open 40 hours a week and used by 312 learners.",
    )
    report_submit(period=period, user=people.manager)
    report_approve(period=period, user=people.officer, comments="Thank you, approved.")
    end = period.end_date
    first = demo_at(end + datetime.timedelta(days=50))
    second = demo_at(end + datetime.timedelta(days=75))
    approved = demo_at(end + datetime.timedelta(days=RP1_APPROVED_AFTER_DAYS))
    report = PeriodicReport.objects.get(reporting_period=period)
    PeriodicReport.objects.filter(pk=report.pk).update(
        first_submitted_at=first, submitted_at=second, approved_at=approved
    )
    ReportVersion.objects.filter(report=report, number=1).update(
        submitted_at=first, decided_at=demo_at(end + datetime.timedelta(days=65))
    )
    ReportVersion.objects.filter(report=report, number=2).update(
        submitted_at=second, decided_at=approved
    )


def _pay_prefinancing(project: Project, people: DemoPeople, today: datetime.date) -> None:
    """The officer approves the pre-financing and the second officer records its payment on
    its due date; both are then dated back to when they would have happened (approved a week
    before)."""
    due = schedule_state(project).get(PREFINANCING).payment_due_on
    if due > today:
        return
    instalment = instalment_approve(
        project=project, key=PREFINANCING, user=people.officer, today=today
    )
    approved_at = demo_at(due - datetime.timedelta(days=7))
    Instalment.objects.filter(pk=instalment.pk).update(approved_at=approved_at)
    instalment.refresh_from_db()
    payment = payment_record(
        project=project,
        key=PREFINANCING,
        user=people.payer,
        amount=instalment.amount_eur,
        paid_on=due,
        reference=f"EACEA/{due.year}/CARETECH/PF",
        today=today,
    )
    Payment.objects.filter(pk=payment.pk).update(recorded_at=demo_at(due))


def demo_at(day: datetime.date) -> datetime.datetime:
    """A working hour of ``day`` in Brussels: when the demo dates back what a service stamped."""
    return datetime.datetime.combine(day, datetime.time(10, 0), tzinfo=BRUSSELS)


def demo_work_record_load(project: Project, people: DemoPeople, *, today: datetime.date) -> None:
    """Fill the freshly imported demo project's work record as it stands on ``today`` (see the
    module's docstring). Any day works: before the start nothing is done yet, after the end
    the reports not written in the story are simply late."""
    with transaction.atomic():
        deliverables = {d.code: d for d in project.deliverables.select_related("project")}
        _revise_due_date(deliverables.get(DUE_DATE_REVISED), people, today)
        _deliver_due(deliverables, people, today)
        _report_first_period(project, people, deliverables.get(LATE_IN_RP1), today)
        draft = deliverables.get(DRAFT)
        if draft is not None:
            draft.refresh_from_db()
            if draft.status == DeliverableStatus.PENDING:
                deliverable_evidence_upload(
                    deliverable=draft, user=people.manager, upload=demo_pdf(DRAFT)
                )
        _achieve_milestones(project, people, today)
        completion_waive(
            work_package=project.work_packages.get(number=6),
            user=people.officer,
            reason="D6.3 was merged into D6.4 at the mid-term review; the work package may be "
            "declared completed without it.",
        )
        _contribute_to_second_period(project, people, today)
        _pay_prefinancing(project, people, today)


def _revise_due_date(revised: Deliverable | None, people: DemoPeople, today) -> None:
    """Once the project runs, the officer moves D3.6's deadline by six weeks: today, or three
    weeks before it fell due if that day has passed."""
    if revised is None or revised.project.start_date > today:
        return
    asked_on = min(today, revised.due_on - datetime.timedelta(days=21))
    deliverable_due_date_revise(
        deliverable=revised,
        user=people.officer,
        due_on=revised.due_on + datetime.timedelta(days=42),
        reason="The trainers' exchange moved to the spring term.",
        today=asked_on,
    )
    DueDateRevision.objects.filter(deliverable=revised).update(revised_at=demo_at(asked_on))
    revised.refresh_from_db()


def _deliver_due(deliverables: dict[str, Deliverable], people: DemoPeople, today) -> None:
    """Every deliverable due before today is delivered, but the two the story keeps back."""
    for code, deliverable in sorted(deliverables.items(), key=lambda item: item[1].due_on):
        if deliverable.due_on >= today or code in (LEFT_PENDING, LATE_IN_RP1):
            continue
        if code == REVISED_ONCE:
            _deliver(deliverable, people, accept=False, today=today)
            deliverable_request_revision(
                deliverable=deliverable,
                user=people.officer,
                reason="The pilot report lacks the learners' feedback; please add it.",
            )
        accept = deliverable.due_month <= ACCEPTED_UP_TO_MONTH
        _deliver(deliverable, people, accept=accept, today=today)


def _report_first_period(
    project: Project, people: DemoPeople, late: Deliverable | None, today
) -> None:
    """RP1's report once its period is over: written at once, approved 100 days after the
    period's end; the late deliverable follows 70 days after the end."""
    rp1 = project.reporting_periods.get(number=1)
    if rp1.end_date >= today:
        return
    late_due = late is not None and late.due_on < today
    _report_rp1(
        rp1,
        people,
        late if late_due else None,
        decided=today > rp1.end_date + datetime.timedelta(days=RP1_APPROVED_AFTER_DAYS),
    )
    delivered_on = rp1.end_date + datetime.timedelta(days=70)
    if late_due and delivered_on < today:
        _deliver(late, people, accept=True, today=today)
        Deliverable.objects.filter(pk=late.pk).update(
            delivered_on=delivered_on,
            approved_on=min(rp1.end_date + datetime.timedelta(days=90), today),
        )


def _achieve_milestones(project: Project, people: DemoPeople, today) -> None:
    for milestone in Milestone.objects.filter(project=project).select_related("project"):
        if milestone.due_date < today and milestone.code != NOT_ACHIEVED:
            milestone_achieve(
                milestone=milestone,
                user=people.manager,
                achieved_on=milestone.due_date - datetime.timedelta(days=2),
                verification=f"Minutes and attendance list filed for {milestone.code}.",
            )


def _contribute_to_second_period(project: Project, people: DemoPeople, today) -> None:
    """Once RP2 has begun, NEMPOLY keeps a draft of its part."""
    rp2 = project.reporting_periods.filter(number=2).first()
    if rp2 is None or rp2.start_date > today or "NEMPOLY" not in people.partners:
        return
    _contribute(
        rp2,
        project,
        "NEMPOLY",
        people.partners["NEMPOLY"],
        [
            {
                "work_package": 3,
                "activities": "Two joint modules piloted with 48 learners.",
                "outputs": "",
                "narrative": "",
            }
        ],
        lock=False,
    )
