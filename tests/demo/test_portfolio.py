"""The demo portfolio: twelve small projects beside the demo project, each in another state of the
officer's dashboard, whatever day it is loaded. The states are read as the dashboard reads them:
the portfolio table and charts, a project's compliance page (after the watchers' check), the
payment schedule and the amendment requests."""

import datetime
from collections import Counter

import pytest
import time_machine

from backend.accounts.models import ProjectRole, ProjectRoleKind
from backend.amendments.models import AmendmentStatus, ChangeKind
from backend.amendments.selectors import amendment_list
from backend.audit.models import Event
from backend.common.dates import BRUSSELS, add_months
from backend.demo.portfolio import demo_portfolio_load
from backend.grants.models import Organisation, Participation, Project
from backend.grants.selectors import project_list, projects_visible_to
from backend.payments import rules as payment_rules
from backend.payments.models import Instalment, Payment
from backend.payments.selectors import schedule_state
from backend.reporting.models import ReportStatus
from backend.reporting.selectors import report_list
from backend.workplan.models import Deliverable, WorkPackage
from monitoring.checks import check_projects
from monitoring.dashboard import (
    PortfolioFilters,
    portfolio_charts,
    portfolio_page,
    project_compliance,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# A first of the month, the last day of a 31-day month, a leap day, the last day of a year and
# the middle of a month.
DAYS = [
    datetime.date(2026, 12, 1),
    datetime.date(2027, 1, 31),
    datetime.date(2028, 2, 29),
    datetime.date(2027, 12, 31),
    datetime.date(2027, 6, 15),
]

# What the dashboard shows of each project: status, verdict, open flags by kind, overdue items
# and the next instalment (key and status; None when everything is paid).
EXPECTED = {
    "HYDROSKILLS": (
        "green",
        "warning",
        {"eligibility_review": 1, "instalment_ready": 1},
        0,
        ("prefinancing", "ready"),
    ),
    "BLUEPORT": (
        "red",
        "breach",
        {"eligibility_breach": 2, "eligibility_review": 1, "unallocated_shares": 1},
        0,
        ("rp1", "scheduled"),
    ),
    "AGRIVET": ("red", "pass", {"breach_scheduled": 1}, 0, ("rp1", "scheduled")),
    "TEXCIRCLE": ("amber", "review", {"eligibility_review": 1}, 0, ("rp1", "scheduled")),
    "HOMECARE": (
        "red",
        "pass",
        {
            "report_overdue": 1,
            "deliverable_overdue": 1,
            "milestone_overdue": 1,
            "instalment_blocked": 1,
        },
        3,
        ("rp1", "blocked"),
    ),
    "SOLARISE": ("green", "pass", {"instalment_ready": 1}, 0, ("rp1", "ready")),
    "RAILSKILLS": ("red", "pass", {"payment_late": 1}, 0, ("rp1", "approved")),
    "TIMBERVET": ("green", "pass", {"instalment_ready": 1}, 0, ("rp2", "ready")),
    "FOODSAFE": ("green", "pass", {}, 0, None),
    "EMOVET": ("green", "pass", {"instalment_ready": 1}, 0, ("rp2", "ready")),
    # The later life of a grant (tests/demo/test_lifecycle_demo.py): an extension, and a
    # beneficiary's termination reports due.
    "AQUAVET": ("green", "pass", {}, 0, ("rp1", "scheduled")),
    "STONECRAFT": ("red", "pass", {"unallocated_shares": 1}, 0, ("rp1", "scheduled")),
}


def _noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12, 0), tzinfo=BRUSSELS)


@pytest.fixture
def people():
    return (
        UserFactory(username="officer", is_agency_officer=True),
        UserFactory(username="manager"),
    )


def _payer():
    """The second officer, who records the payments the officer approves."""
    return UserFactory(username="officer2", is_agency_officer=True)


def _load_and_check(day: datetime.date, officer, manager) -> list[Project]:
    """Load the portfolio on ``day`` and let the watchers check it, as the sweep would."""
    projects = demo_portfolio_load(today=day, officer=officer, manager=manager, payer=_payer())
    check_projects([project.pk for project in projects], now=_noon(day))
    return projects


def _rows(officer, day: datetime.date) -> dict:
    page = portfolio_page(
        user=officer, today=day, filters=PortfolioFilters(sort="acronym"), per_page=50
    )
    return {row.acronym: row for row in page.object_list}


def _schedule(project: Project) -> dict[str, payment_rules.Instalment]:
    return {item.key: item for item in schedule_state(project).instalments}


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_every_state_of_the_dashboard_shows_on_any_day(day, people):
    officer, manager = people
    with time_machine.travel(_noon(day), tick=False):
        projects = {p.acronym: p for p in _load_and_check(day, officer, manager)}
        rows = _rows(officer, day)

        assert set(projects) == set(EXPECTED) == set(rows)
        for acronym, (status, verdict, flags, overdue, following) in EXPECTED.items():
            row = rows[acronym]
            page = project_compliance(user=officer, project=projects[acronym])
            found = (
                row.status,
                row.compliance.eligibility,
                dict(Counter(flag.kind for flag in page.open_flags)),
                row.compliance.overdue,
                row.next_instalment and (row.next_instalment.key, row.next_instalment.status),
            )
            assert found == (status, verdict, flags, overdue, following), acronym
        # Every status, verdict, severity and kind of next instalment is on the page.
        assert {row.status for row in rows.values()} == {"red", "amber", "green"}
        assert {row.compliance.eligibility for row in rows.values()} == {
            "pass",
            "warning",
            "review",
            "breach",
        }
        for severity in ("critical", "high", "medium", "low"):
            assert sum(row.compliance.flags.of(severity) for row in rows.values()), severity

        _check_young_projects(day, projects, officer)
        _check_payments(day, projects)
        _check_charts(day, officer)
        # The officer holds the whole portfolio; the demo manager one project, for its
        # coordinator.
        assert projects_visible_to(officer).count() == len(EXPECTED)
        assert [p.acronym for p in project_list(user=manager)] == ["HOMECARE"]

    # Six days later the pending amendment request is past its decision date.
    check_projects([projects["TEXCIRCLE"].pk], now=_noon(day + datetime.timedelta(days=6)))
    overdue = project_compliance(user=officer, project=projects["TEXCIRCLE"]).open_flags
    assert "amendment_decision_overdue" in {flag.kind for flag in overdue}


def _check_young_projects(day: datetime.date, projects: dict, officer) -> None:
    """The projects whose state is in their dates, their consortium and their requests."""
    new = projects["HYDROSKILLS"]
    assert new.start_date == day.replace(day=1)
    assert new.signed_on < day

    left = Participation.objects.get(project=projects["BLUEPORT"], left_on__isnull=False)
    assert left.left_on < day.replace(day=1)
    [request] = amendment_list(user=officer, project=projects["BLUEPORT"])
    assert request.status == AmendmentStatus.APPROVED
    assert request.override_justification
    assert request.changes.get().kind == ChangeKind.TERMINATE_PARTICIPATION

    leaving = Participation.objects.get(project=projects["AGRIVET"], left_on__isnull=False)
    assert day < leaving.left_on <= day + datetime.timedelta(days=90)
    flag = project_compliance(user=officer, project=projects["AGRIVET"]).open_flags[0]
    assert flag.explanation["details"]["date"] == str(leaving.left_on + datetime.timedelta(1))

    [pending] = amendment_list(user=officer, project=projects["TEXCIRCLE"])
    assert pending.status == AmendmentStatus.SUBMITTED
    assert (day - pending.submitted_on).days == 40
    assert pending.decision_due_on == day + datetime.timedelta(days=5)
    assert pending.changes.get().kind == ChangeKind.ADD_BENEFICIARY

    late = projects["HOMECARE"]
    [rp1, rp2, _rp3] = report_list(project=late)
    assert rp1.report.status == ReportStatus.DRAFT
    assert rp1.report.first_submitted_at is None
    assert rp1.end_date < day - datetime.timedelta(days=60)
    assert rp2.end_date >= day
    assert Deliverable.objects.get(project=late, code="D2.2").status == "pending"


def _check_payments(day: datetime.date, projects: dict) -> None:
    """The payment schedules, as the compliance page and the API read them."""
    prefinancing = _schedule(projects["HYDROSKILLS"])["prefinancing"]
    assert prefinancing.status == "ready"
    assert day <= prefinancing.payment_due_on
    assert not prefinancing.payment_late

    interim = _schedule(projects["SOLARISE"])["rp1"]
    assert interim.amount > 0
    assert interim.work_packages == (2,)
    assert interim.report_received_on < day
    assert not interim.payment_late
    # Sent back once: the payment deadline stood still from the request to the resubmission.
    assert [(s.end - s.start).days for s in interim.suspensions] == [6]
    assert interim.suspended_days == 6
    assert interim.payment_due_on == interim.report_received_on + datetime.timedelta(
        days=interim.payment_days + 6
    )

    late = _schedule(projects["RAILSKILLS"])["rp1"]
    assert late.status == "approved"
    assert late.payment_late
    assert (day - late.report_received_on).days > 90

    for acronym in ("TIMBERVET", "FOODSAFE", "EMOVET"):
        assert projects[acronym].end_date < day
    balance = _schedule(projects["TIMBERVET"])["rp2"]
    assert balance.status == "ready"
    assert balance.amount > 0
    assert not balance.payment_late

    closed = projects["FOODSAFE"]
    assert {item.status for item in _schedule(closed).values()} == {"paid"}
    assert schedule_state(closed).net_paid == closed.max_grant_eur
    # A reduction in its procedure: the letter sent, the observations due; nothing changed yet.
    reduction = closed.reductions.get()
    assert (reduction.status, reduction.participation.short_name) == ("letter_sent", "ARMORLAIT")
    assert reduction.letter_sent_on == day - datetime.timedelta(days=12)
    assert reduction.observations_due_on == day + datetime.timedelta(days=18)

    recovery = projects["EMOVET"]
    state = schedule_state(recovery)
    balance = state.get("rp2")
    accepted = sum(
        WorkPackage.objects.filter(project=recovery, number__in=(1, 2, 4)).values_list(
            "lump_sum_eur", flat=True
        )
    )
    assert balance.status == "ready"
    assert balance.is_recovery
    assert state.net_paid + balance.amount == accepted


def _check_charts(day: datetime.date, officer) -> None:
    charts = portfolio_charts(user=officer, now=_noon(day))
    assert charts.open_flags[-1].open == sum(
        row.compliance.flags.total for row in _rows(officer, day).values()
    )
    summed = Counter()
    for cluster in charts.deliverables:
        summed.update(
            {
                status: getattr(cluster.summary.deliverables, status)
                for status in ("pending", "draft", "submitted", "accepted", "overdue")
            }
        )
    assert all(summed[status] for status in ("pending", "draft", "submitted", "accepted"))
    assert summed["overdue"]
    months = {month.month: month for month in charts.payments}
    assert min(months) <= add_months(day, -30).strftime("%Y-%m")
    this_month = months[day.strftime("%Y-%m")]
    assert 0 < this_month.paid < this_month.due


def test_loading_twice_adds_nothing(people):
    officer, manager = people
    day = datetime.date(2026, 12, 6)

    def counts():
        return [
            model.objects.count()
            for model in (Project, Participation, ProjectRole, Event, Instalment, Payment)
        ]

    with time_machine.travel(_noon(day), tick=False):
        first = demo_portfolio_load(today=day, officer=officer, manager=manager, payer=_payer())
        before = counts()
        again = demo_portfolio_load(today=day, officer=officer, manager=manager, payer=_payer())

    assert len(first) == len(EXPECTED)
    assert again == []
    assert counts() == before


def test_beside_the_demo_project(demo, people):
    """The demo manager works for CARETECH's coordinator, GAUJA, which coordinates HOMECARE
    too: the import reuses the organisation, and the manager sees both projects."""
    officer, manager = people
    gauja = demo.participations.get(short_name="GAUJA")
    manager.organisation = gauja.organisation
    manager.save()
    ProjectRole.objects.create(user=officer, project=demo, role=ProjectRoleKind.OFFICER)
    ProjectRole.objects.create(
        user=manager,
        project=demo,
        role=ProjectRoleKind.MANAGER,
        participation=gauja,
        is_primary=True,
    )
    day = datetime.date(2026, 12, 6)
    with time_machine.travel(_noon(day), tick=False):
        created = _load_and_check(day, officer, manager)
        rows = _rows(officer, day)

    assert len(created) == len(EXPECTED)
    assert set(rows) == {*EXPECTED, "CARETECH"}
    assert [p.acronym for p in project_list(user=manager)] == ["CARETECH", "HOMECARE"]
    homecare = next(p for p in created if p.acronym == "HOMECARE")
    coordinator = homecare.participations.get(role="coordinator")
    assert coordinator.organisation == gauja.organisation
    assert Organisation.objects.filter(pic=gauja.organisation.pic).count() == 1
    assert ProjectRole.objects.get(project=homecare, role="manager", is_primary=True).user == (
        manager
    )
