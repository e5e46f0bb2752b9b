"""The demo portfolio: twelve small fictional CoVE grants beside the demo project, each at another
age and in another state, so that every status of the officer's dashboard shows something, and
the later life of a grant: an extension and a termination with its reports.

The grants are described in ``data/portfolio.yaml`` and built into grant files from one work
plan; they come in through the ordinary grant-file import, with the demo officer in charge. Their
histories are written through the services (permission checks, workflow rules and the audit
trail apply), as the people who would have done the work: each project's coordinator contact
(a login of its own, without a password, except the demo manager's project) and the officer;
the second officer records the payments the officer approves (two people see every payment).
Afterwards the dates a service stamps with "today" are moved back to when the work would have
happened. Every date is relative to the day of loading; start dates fall on the first of a
month, so each project is in the same project month whatever the day of the month.

The states, by acronym:

- HYDROSKILLS: just signed, started this month; its pre-financing is due in five days and not
  paid. One EU Member State only: a warning.
- BLUEPORT: a partner left (an approved termination) and the consortium breaks the composition
  rules.
- AGRIVET: an approved termination takes effect in 45 days: a breach is scheduled.
- TEXCIRCLE: no upper-secondary VET provider (to review); the request to add one was submitted
  40 days ago and awaits the officer's decision.
- HOMECARE (the demo manager's): the RP1 report is a draft, overdue; a deliverable and a
  milestone of RP1 are late.
- SOLARISE: the RP1 report was sent back once for changes (the agency's payment deadline stood
  still until it came back) and is approved with a work package completed: the interim payment
  is ready for approval.
- RAILSKILLS: the RP1 interim payment was approved, but not paid within the payment days.
- TIMBERVET: ended; the final report is approved and the balance is ready.
- FOODSAFE: ended and closed: every instalment, the balance included, is paid; a reduction for
  a partner's breach of its obligations is in its procedure (the pre-information letter went out
  12 days ago, the observations are due in 18 days).
- EMOVET: ended; a work package was not completed, so what was paid exceeds the accepted total:
  the balance is a recovery, ready for the officer's approval (it never waits on the
  consortium's composition).
- AQUAVET: extended from 24 to 30 months by an amendment approved five weeks ago; its last
  reporting period runs to the new end, and the duration it was signed with is kept.
- STONECRAFT: a beneficiary left twelve days ago (a termination the consortium asked for):
  its termination report and the report on the distribution of payments are due in 18 days.
  Eight full partners in four countries remain; its shares of the work packages not paid yet
  are flagged until an Annex 2 amendment reallocates them.

BLUEPORT's coordinator sent the termination reports of its partner that left 20 days after
its departure.
"""

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from functools import cache
from pathlib import Path

import yaml
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from backend.accounts.models import ProjectRole, ProjectRoleKind
from backend.amendments.models import AmendmentRequest
from backend.amendments.services import amendment_approve, amendment_create, amendment_submit
from backend.amendments.validation import ChangeInput
from backend.common.dates import add_months, project_month
from backend.demo.work_record import demo_at, demo_pdf
from backend.grantfile.services import grant_file_import
from backend.grants.models import ParticipationRole, Project
from backend.payments.models import Instalment, Payment, Reduction
from backend.payments.reductions import reduction_create, reduction_letter_sent
from backend.payments.rules import PREFINANCING, instalment_key
from backend.payments.selectors import schedule_state
from backend.payments.services import instalment_approve, payment_record
from backend.reporting.models import (
    Contribution,
    DeadlineSuspension,
    PeriodicReport,
    ReportVersion,
    TerminationReport,
    WorkPackageDeclaration,
)
from backend.reporting.selectors import period_state, report_of
from backend.reporting.services import (
    contribution_lock,
    contribution_save,
    declaration_save,
    report_approve,
    report_request_changes,
    report_submit,
    report_update,
)
from backend.reporting.terminations import REPORTS, termination_report_send
from backend.workplan.models import Deliverable, EvidenceFile, Milestone, ReportingPeriod
from backend.workplan.services import (
    deliverable_accept,
    deliverable_evidence_upload,
    deliverable_submit,
    milestone_achieve,
)

DATA_FILE = Path(__file__).resolve().parent / "data" / "portfolio.yaml"
FIRST_CALL_YEAR = 2022  # the 2021 call asked for two EU Member States; later ones warn
LAST_CALL_YEAR = 2026
CENT = Decimal("0.01")


@cache
def _data() -> dict:
    return yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))


def _day(days: int) -> datetime.timedelta:
    return datetime.timedelta(days=days)


# -- the grant files ------------------------------------------------------------------------------


def _shares(lump_sum: Decimal, names: list[str], lead: str) -> dict[str, str]:
    """A work package's lump sum over every partner: weight 3 for its lead, 2 for the
    coordinator (the first), 1 for the others; the cents left by rounding go to the lead."""
    weights = [3 if name == lead else 2 if index == 0 else 1 for index, name in enumerate(names)]
    total = sum(weights)
    shares = [(lump_sum * weight / total).quantize(CENT, rounding=ROUND_DOWN) for weight in weights]
    shares[names.index(lead)] += lump_sum - sum(shares)
    return {name: f"{share:.2f}" for name, share in zip(names, shares, strict=True)}


def _work_plan(spec: dict, names: list[str]) -> dict:
    plan, duration = _data()["work_plan"], spec["duration_months"]
    max_grant = Decimal(spec["max_grant_eur"])
    work_packages, left = [], max_grant
    for position, wp in enumerate(plan["work_packages"]):
        last = position == len(plan["work_packages"]) - 1
        lump_sum = (
            left
            if last
            else (max_grant * Decimal(wp["percent"]) / 100).quantize(CENT, rounding=ROUND_DOWN)
        )
        left -= lump_sum
        start, end = wp["months"][duration]
        work_packages.append(
            {
                "number": wp["number"],
                "title": wp["title"].format(sector=spec["sector"]),
                "clusters": wp["clusters"],
                "lead": names[wp["lead"]],
                "start_month": start,
                "end_month": end,
                "lump_sum_eur": f"{lump_sum:.2f}",
                "shares_eur": _shares(lump_sum, names, names[wp["lead"]]),
            }
        )
    deliverables = [
        {
            "code": item["code"],
            "title": item["title"].format(sector=spec["sector"]),
            "work_package": item["work_package"],
            "lead": names[item["lead"]],
            "type": item["type"],
            "dissemination": item["dissemination"],
            "due_month": item["due"][duration],
        }
        for item in plan["deliverables"]
    ]
    milestones = [
        {
            "code": item["code"],
            "title": item["title"],
            "work_packages": item["work_packages"],
            "lead": names[item["lead"]],
            "due_month": item["due"][duration],
            "verification": item["verification"],
        }
        for item in plan["milestones"]
    ]
    return {"work_packages": work_packages, "deliverables": deliverables, "milestones": milestones}


def portfolio_grant_file(spec: dict, today: datetime.date) -> dict:
    """One project of the portfolio as a grant file (``grantwatch/grant@1``), dated from today."""
    start = add_months(today.replace(day=1), spec["start"])
    # Signed some six weeks before the start; a project starting this month, 25 days ago (its
    # pre-financing is due in five days, whatever the day of the month).
    signed_on = today - _day(25) if spec["start"] >= 0 else start - _day(40)
    call_year = max(FIRST_CALL_YEAR, min(LAST_CALL_YEAR, start.year - 1))
    names = [participant[0] for participant in spec["participants"]]
    participants = [
        {
            "short_name": short_name,
            "legal_name": legal_name,
            "pic": pic,
            "country": country,
            "types": types,
            "role": "coordinator" if index == 0 else "beneficiary",
        }
        for index, (short_name, legal_name, pic, country, types) in enumerate(spec["participants"])
    ]
    periods = _data()["work_plan"]["reporting_periods"][spec["duration_months"]]
    return {
        "format": "grantwatch/grant@1",
        "call": f"ERASMUS-EDU-{call_year}-PEX-COVE",
        "grant_agreement_number": spec["grant_agreement_number"],
        "acronym": spec["acronym"],
        "title": spec["title"],
        "signed_on": signed_on.isoformat(),
        "start_date": start.isoformat(),
        "duration_months": spec["duration_months"],
        "max_grant_eur": spec["max_grant_eur"],
        "payment_schedule": {
            "prefinancing_percent": "40.00",
            "payments_cap_percent": "90.00",
            "reporting_periods": [
                {"number": number, "start_month": first, "end_month": last, "payment": payment}
                for number, (first, last, payment) in enumerate(periods, start=1)
            ],
        },
        "participants": participants,
        **_work_plan(spec, names),
    }


# -- the histories --------------------------------------------------------------------------------


def _pdf(deliverable: Deliverable, acronym: str) -> SimpleUploadedFile:
    return demo_pdf(
        f"{acronym} {deliverable.code} {deliverable.title}",
        name=f"{acronym}-{deliverable.code.replace('.', '-')}.pdf",
    )


def _summary(period: ReportingPeriod, sector: str) -> str:
    if period.payment == "balance":
        done = (
            "piloted the new modules with learners, signed cooperation agreements with "
            "employers in every partner country and adopted the long-term action plan"
        )
    elif period.number == 1:
        done = (
            f"set up the network of centres, analysed the skills needs of {sector} employers "
            "in four countries and agreed the occupational profiles with them"
        )
    else:
        done = "designed the modular curricula and trained the teachers and in-company trainers"
    return (
        f"In M{period.start_month}-M{period.end_month} the partners {done}. The steering "
        "committee met every quarter; the quality board's findings are in the annex."
    )


@dataclass
class _Story:
    """One project's history as it is written: the project, the day of loading and who acts
    (the coordinator contact for the consortium, the officer for the agency, the second officer
    for the payments)."""

    project: Project
    spec: dict
    today: datetime.date
    officer: object
    contact: object
    payer: object

    def months_ago(self, months: int) -> datetime.date:
        """The first day of the month ``months`` before the month of loading."""
        return add_months(self.today.replace(day=1), -months)

    @property
    def elapsed(self) -> int:
        """The project months that ended before the month of loading."""
        return project_month(self.project.start_date, self.today.replace(day=1)) - 1

    def period(self, number: int) -> ReportingPeriod:
        return self.project.reporting_periods.select_related("project").get(number=number)

    def routine(self, *, pending=(), unaccepted=(), not_achieved=()) -> None:
        """The work done so far: deliverables (and a draft of the next one), milestones and
        the pre-financing."""
        self.deliver(pending=pending, unaccepted=unaccepted)
        self.draft_next()
        self.achieve(not_achieved=not_achieved)
        self.pay_prefinancing()

    def deliver(self, *, pending=(), unaccepted=()) -> None:
        """The deliverables due before this month, delivered three days before their due date
        (except ``pending``); those due before last month were accepted three weeks after it
        (except ``unaccepted``): last month's are still with the officer."""
        deliverables = self.project.deliverables.select_related("project").order_by("due_on")
        for deliverable in deliverables:
            if deliverable.due_month > self.elapsed or deliverable.code in pending:
                continue
            delivered = deliverable.due_on - _day(3)
            deliverable_evidence_upload(
                deliverable=deliverable,
                user=self.contact,
                upload=_pdf(deliverable, self.project.acronym),
            )
            deliverable_submit(deliverable=deliverable, user=self.contact, today=delivered)
            if deliverable.due_month < self.elapsed and deliverable.code not in unaccepted:
                deliverable_accept(
                    deliverable=deliverable,
                    user=self.officer,
                    today=deliverable.due_on + _day(21),
                )
            Deliverable.objects.filter(pk=deliverable.pk).update(submitted_at=demo_at(delivered))
            EvidenceFile.objects.filter(deliverable=deliverable).update(
                uploaded_at=demo_at(delivered - _day(1))
            )

    def draft_next(self) -> None:
        """The file of the next deliverable due, uploaded as a draft last week."""
        deliverable = (
            self.project.deliverables.select_related("project")
            .filter(due_month__gt=self.elapsed)
            .order_by("due_on", "position")
            .first()
        )
        if deliverable is None:
            return
        deliverable_evidence_upload(
            deliverable=deliverable,
            user=self.contact,
            upload=_pdf(deliverable, self.project.acronym),
        )
        EvidenceFile.objects.filter(deliverable=deliverable).update(
            uploaded_at=demo_at(self.today - _day(7))
        )

    def achieve(self, *, not_achieved=()) -> None:
        """The milestones due before this month, achieved two days before their due date."""
        for milestone in Milestone.objects.filter(project=self.project).select_related("project"):
            if milestone.due_month > self.elapsed or milestone.code in not_achieved:
                continue
            due = self.project.month_end(milestone.due_month)
            milestone_achieve(
                milestone=milestone,
                user=self.contact,
                achieved_on=due - _day(2),
                verification=f"{milestone.verification}, filed with the steering committee.",
                today=self.today,
            )
            Milestone.objects.filter(pk=milestone.pk).update(achieved_recorded_at=demo_at(due))

    # -- payments --------------------------------------------------------------------------------

    def approve(self, key: str, day: datetime.date) -> Instalment:
        instalment = instalment_approve(
            project=self.project, key=key, user=self.officer, today=self.today
        )
        Instalment.objects.filter(pk=instalment.pk).update(approved_at=demo_at(day))
        return instalment

    def pay(self, key: str, day: datetime.date) -> Payment:
        instalment = Instalment.objects.get(project=self.project, key=key)
        label = "PF" if key == PREFINANCING else key.upper()
        payment = payment_record(
            project=self.project,
            key=key,
            user=self.payer,
            amount=abs(instalment.amount_eur),
            paid_on=day,
            reference=f"EACEA/{day.year}/{self.project.acronym}/{label}",
            today=self.today,
        )
        Payment.objects.filter(pk=payment.pk).update(recorded_at=demo_at(day))
        return payment

    def pay_prefinancing(self) -> None:
        """Approved a week before it is due, paid on the day."""
        due = schedule_state(self.project).get(PREFINANCING).payment_due_on
        self.approve(PREFINANCING, due - _day(7))
        self.pay(PREFINANCING, due)

    def settle(self, number: int, *, approved: int, paid: int | None) -> None:
        """The instalment of a period approved (and paid) so many days after its end."""
        end = self.period(number).end_date
        self.approve(instalment_key(number), end + _day(approved))
        if paid is not None:
            self.pay(instalment_key(number), end + _day(paid))

    # -- reports and amendments ------------------------------------------------------------------

    def compose(self, period: ReportingPeriod) -> PeriodicReport:
        """The coordinator's contribution (locked) and the technical part of a period's report."""
        coordinator = self.project.participations.get(role=ParticipationRole.COORDINATOR)
        entry = {
            "work_package": 1,
            "activities": "Steering committee every quarter; consortium meetings in two partner "
            "countries; the quality board reviewed every deliverable before submission.",
            "outputs": ", ".join(
                self.project.deliverables.filter(
                    work_package__number=1, due_month__lte=period.end_month
                ).values_list("code", flat=True)
            ),
            "narrative": "Management ran as planned.",
        }
        contribution_save(
            period=period, participation=coordinator, user=self.contact, entries=[entry]
        )
        contribution_lock(period=period, participation=coordinator, user=self.contact)
        return report_update(
            period=period,
            user=self.contact,
            technical_part=_summary(period, self.spec["sector"]),
        )

    def declare(self, period: ReportingPeriod, completed, comment: str) -> None:
        """The status of every work package the report declares: ``completed`` ones on the
        period's last day, the others not (with ``comment``)."""
        for work_package in self.project.work_packages.filter(
            number__in=period_state(period=period, report=report_of(period)).to_declare
        ).select_related("project"):
            done = work_package.number in completed
            declaration_save(
                period=period,
                work_package=work_package,
                user=self.contact,
                completed=done,
                completed_on=period.end_date if done else None,
                comment="" if done else comment,
            )

    def report(self, number: int, *, completed=(), comment="", received: int, approved: int):
        """A period's report, sent ``received`` days after the period's end and approved
        ``approved`` days after it."""
        period = self.period(number)
        end = period.end_date
        report = self.compose(period)
        self.declare(period, completed, comment or "Work continues in the next reporting period.")
        report_submit(period=period, user=self.contact, today=self.today)
        report_approve(period=period, user=self.officer, comments="Approved. Thank you.")
        sent, decided = demo_at(end + _day(received)), demo_at(end + _day(approved))
        PeriodicReport.objects.filter(pk=report.pk).update(
            first_submitted_at=sent, submitted_at=sent, approved_at=decided, updated_at=decided
        )
        ReportVersion.objects.filter(report=report).update(submitted_at=sent, decided_at=decided)
        Contribution.objects.filter(report=report).update(
            locked_at=demo_at(end + _day(received - 10)),
            updated_at=demo_at(end + _day(received - 10)),
        )
        WorkPackageDeclaration.objects.filter(reporting_period=period).update(
            declared_at=demo_at(end + _day(received - 2))
        )

    def report_sent_back(self, number: int, *, completed=(), days: tuple[int, int, int, int]):
        """A period's report sent ``days`` after the period's end, sent back for changes, sent
        again and approved: the agency's payment deadline stood still from the request for
        changes to the second submission."""
        received, sent_back, resubmitted, approved = (
            self.period(number).end_date + _day(day) for day in days
        )
        period = self.period(number)
        report = self.compose(period)
        self.declare(period, completed, "Work continues in the next reporting period.")
        report_submit(period=period, user=self.contact, today=self.today)
        report_request_changes(
            period=period,
            user=self.officer,
            comments="Please describe the pilot courses of WP2 per country, with the numbers "
            "of learners.",
            today=self.today,
        )
        report_submit(period=period, user=self.contact, today=self.today)
        report_approve(period=period, user=self.officer, comments="Approved. Thank you.")
        PeriodicReport.objects.filter(pk=report.pk).update(
            first_submitted_at=demo_at(received),
            submitted_at=demo_at(resubmitted),
            approved_at=demo_at(approved),
            updated_at=demo_at(approved),
        )
        first, second = ReportVersion.objects.filter(report=report).order_by("number")
        ReportVersion.objects.filter(pk=first.pk).update(
            submitted_at=demo_at(received), decided_at=demo_at(sent_back)
        )
        ReportVersion.objects.filter(pk=second.pk).update(
            submitted_at=demo_at(resubmitted), decided_at=demo_at(approved)
        )
        DeadlineSuspension.objects.filter(report=report).update(
            started_on=sent_back, ended_on=resubmitted
        )
        WorkPackageDeclaration.objects.filter(reporting_period=period).update(
            declared_at=demo_at(received - _day(2))
        )

    def reduction_in_procedure(self) -> None:
        """The reduction the data describes, drafted 19 days ago; its pre-information letter
        went out 12 days ago."""
        spec = self.spec["reduction"]
        reduction = reduction_create(
            project=self.project,
            user=self.officer,
            reason=spec["reason"],
            percent=Decimal(spec["percent"]),
            participant=spec["participant"],
            work_package=spec["work_package"],
        )
        Reduction.objects.filter(pk=reduction.pk).update(recorded_at=demo_at(self.today - _day(19)))
        reduction.refresh_from_db()
        reduction_letter_sent(
            reduction=reduction,
            user=self.officer,
            sent_on=self.today - _day(12),
            today=self.today,
        )

    def amend(
        self, change: ChangeInput, *, justification: str, submitted: datetime.date, **decision
    ):
        """A request with one change, submitted on a day; approved if ``decision`` gives the
        day it was ``decided`` (and the ``override`` justification a breach needs)."""
        request = amendment_create(
            project=self.project, user=self.contact, justification=justification, changes=[change]
        )
        amendment_submit(request=request, user=self.contact)
        dates = {
            "created_at": demo_at(submitted - _day(3)),
            "updated_at": demo_at(submitted),
            "submitted_at": demo_at(submitted),
            # Stored at submission, from the day it was submitted.
            "decision_due_on": submitted + _day(self.project.call.ruleset.decision_days),
        }
        if decision:
            amendment_approve(
                request=request,
                user=self.officer,
                note="Approved.",
                override_justification=decision.get("override"),
                today=self.today,
            )
            dates["decided_at"] = demo_at(decision["decided"])
        AmendmentRequest.objects.filter(pk=request.pk).update(**dates)

    def depart(self, effective_on: datetime.date, submitted: datetime.date, decided):
        """The approved termination of the participation named in the data."""
        departure = self.spec["departure"]
        self.amend(
            ChangeInput(
                kind="terminate_participation",
                participant=departure["participant"],
                effective_on=effective_on,
            ),
            justification=departure["justification"],
            submitted=submitted,
            decided=decided,
            override=departure.get("override"),
        )

    def send_termination_reports(self, sent: datetime.date) -> None:
        """The coordinator sends both termination reports of the participant that left (none
        when a periodic report covers them), on ``sent``."""
        report = TerminationReport.objects.select_related("project").get(project=self.project)
        if report.skipped_for_id is not None:
            return
        for which in REPORTS:
            termination_report_send(report=report, user=self.contact, which=which, today=self.today)
        TerminationReport.objects.filter(pk=report.pk).update(
            report_submitted_at=demo_at(sent), distribution_submitted_at=demo_at(sent)
        )


def _just_signed(story: _Story) -> None:
    """Nothing done yet: the pre-financing falls due 30 days after the signature."""


def _eligibility_breach(story: _Story) -> None:
    """A partner left at the end of the month before last; its termination reports were sent
    20 days later."""
    story.routine()
    submitted = story.months_ago(3) + _day(9)
    left_on = story.months_ago(1) - _day(1)
    story.depart(left_on, submitted, submitted + _day(24))
    story.send_termination_reports(left_on + _day(20))


def _breach_scheduled(story: _Story) -> None:
    """A partner leaves in 45 days: within the rule set's announcement horizon."""
    story.routine()
    submitted = story.months_ago(1) + _day(5)
    story.depart(story.today + _day(45), submitted, submitted + _day(14))


def _amendment_pending(story: _Story) -> None:
    """A request to add a beneficiary from the first day of the month after next, submitted
    40 days ago: five days are left for the decision."""
    story.routine()
    joining = story.spec["joining"]
    short_name, legal_name, pic, country, types = joining["participant"]
    story.amend(
        ChangeInput(
            kind="add_beneficiary",
            effective_on=story.months_ago(-2),
            pic=pic,
            short_name=short_name,
            legal_name=legal_name,
            country=country,
            types=types,
        ),
        justification=joining["justification"],
        submitted=story.today - _day(40),
    )


def _report_overdue(story: _Story) -> None:
    """RP1 ended with the fourth month before this one; its report is still a draft, and its
    last deliverable and milestone are late (a partner's occupational profiles)."""
    story.routine(pending=("D2.2",), not_achieved=("MS2",))
    period = story.period(1)
    report = story.compose(period)
    drafted = demo_at(period.end_date + _day(20))
    PeriodicReport.objects.filter(pk=report.pk).update(updated_at=drafted)
    Contribution.objects.filter(report=report).update(locked_at=drafted, updated_at=drafted)


def _interim_ready(story: _Story) -> None:
    """RP1's report, sent back once and approved with WP2 completed: its interim payment waits
    for the officer."""
    story.routine()
    story.report_sent_back(1, completed=(2,), days=(30, 38, 44, 50))


def _payment_late(story: _Story) -> None:
    """RP1's interim payment was approved, but the payment has not gone out."""
    story.routine()
    story.report(1, completed=(2,), received=40, approved=60)
    story.settle(1, approved=75, paid=None)


def _ended(story: _Story, *, completed=(1, 3, 4), comment: str = "") -> None:
    """Two periods: RP1 (WP2 completed) paid; the final report approved."""
    not_completed = story.spec.get("not_completed", {})
    story.routine(unaccepted=(not_completed["deliverable"],) if not_completed else ())
    story.report(1, completed=(2,), received=40, approved=55)
    story.settle(1, approved=65, paid=80)
    story.report(2, completed=completed, comment=comment, received=45, approved=60)


def _balance_ready(story: _Story) -> None:
    _ended(story)


def _closed(story: _Story) -> None:
    _ended(story)
    story.settle(2, approved=70, paid=85)
    story.reduction_in_procedure()


def _recovery(story: _Story) -> None:
    """A work package not completed: the accepted total is below the 60 % already paid."""
    missing = story.spec["not_completed"]
    _ended(
        story,
        completed=tuple(n for n in (1, 3, 4) if n != missing["work_package"]),
        comment=missing["comment"],
    )


def _extended(story: _Story) -> None:
    """Six more months: the request was submitted two months ago and approved 20 days later;
    the last reporting period stretches to the new end."""
    story.routine()
    extension = story.spec["extension"]
    submitted = story.months_ago(2) + _day(4)
    decided = submitted + _day(20)
    story.amend(
        ChangeInput(
            kind="change_duration",
            effective_on=decided,
            details={"duration_months": extension["duration_months"]},
        ),
        justification=extension["justification"],
        submitted=submitted,
        decided=decided,
    )


def _termination_reports_due(story: _Story) -> None:
    """A beneficiary left ``days_ago`` days ago; the termination was submitted 40 days ago and
    approved two weeks later. Its termination reports are due 30 days after its last day."""
    story.routine()
    left_on = story.today - _day(story.spec["departure"]["days_ago"])
    submitted = story.today - _day(40)
    story.depart(left_on, submitted, submitted + _day(14))


HISTORIES: dict[str, Callable[[_Story], None]] = {
    "just_signed": _just_signed,
    "eligibility_breach": _eligibility_breach,
    "breach_scheduled": _breach_scheduled,
    "amendment_pending": _amendment_pending,
    "report_overdue": _report_overdue,
    "interim_ready": _interim_ready,
    "payment_late": _payment_late,
    "balance_ready": _balance_ready,
    "closed": _closed,
    "recovery": _recovery,
    "extended": _extended,
    "termination_reports_due": _termination_reports_due,
}


# -- loading --------------------------------------------------------------------------------------


def _coordinator_contact(project: Project, spec: dict, manager):
    """The project's primary manager, acting for its coordinator: the demo manager for the
    project that says so, else the coordinator's own contact (a login without a password)."""
    coordinator = project.participations.select_related("organisation").get(
        role=ParticipationRole.COORDINATOR
    )
    if spec.get("demo_manager"):
        user = manager
    else:
        username, first_name, last_name = spec["coordinator_contact"]
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model(
                username=username,
                first_name=first_name,
                last_name=last_name,
                email=f"{username}@example.org",
                organisation=coordinator.organisation,
            )
            user.set_unusable_password()
            user.full_clean()
            user.save()
    if user.organisation_id is None:
        user.organisation = coordinator.organisation
        user.save(update_fields=["organisation"])
    role = ProjectRole(
        user=user,
        project=project,
        role=ProjectRoleKind.MANAGER,
        participation=coordinator,
        is_primary=True,
    )
    role.full_clean()
    role.save()
    return user


def _second_officer(project: Project, payer) -> None:
    role = ProjectRole(user=payer, project=project, role=ProjectRoleKind.OFFICER)
    role.full_clean()
    role.save()


def demo_portfolio_load(*, today: datetime.date, officer, manager, payer) -> list[Project]:
    """Import the demo portfolio's projects that do not exist yet and write their histories;
    returns the projects created. ``officer`` is in charge of them and approves; ``payer``,
    another agency officer, is an officer of each too and records the payments."""
    created = []
    with transaction.atomic():
        for spec in _data()["projects"]:
            number = spec["grant_agreement_number"]
            if Project.objects.filter(grant_agreement_number=number).exists():
                continue
            grant_file = portfolio_grant_file(spec, today)
            project = grant_file_import(
                content=json.dumps(grant_file, ensure_ascii=False).encode(), officer=officer
            )
            contact = _coordinator_contact(project, spec, manager)
            _second_officer(project, payer)
            HISTORIES[spec["state"]](_Story(project, spec, today, officer, contact, payer))
            created.append(project)
    return created


def demo_portfolio_numbers() -> list[str]:
    """The grant agreement numbers of the portfolio's projects, in the data file's order."""
    return [str(spec["grant_agreement_number"]) for spec in _data()["projects"]]
