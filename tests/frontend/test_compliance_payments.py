"""The payment section of a project's compliance page and the statuses across the officer's
surfaces (issue 15, points 5 and 6): each instalment's status badge, amount, payment deadline
with its suspensions, lateness and interest, the decision the officer is asked for and the
justification of an approval; the ledger's totals and the reductions the viewer may read. One
label and one colour per status: the API, the page, the portfolio's export and its chart agree,
and "nothing due" is grey, never a red "Blocked"."""

import csv
import datetime
import io
import json
import re
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from openpyxl import load_workbook

from backend.accounts.models import ProjectRoleKind
from backend.payments.models import (
    Direction,
    Instalment,
    InstalmentKind,
    PaymentSuspension,
    Reduction,
    ReductionKind,
    ReductionStatus,
)
from backend.payments.selectors import project_ledger, schedule_state
from backend.reporting.models import DeadlineSuspension, SuspensionReason
from backend.workplan.models import Deliverable
from frontend.templatetags.grantwatch import eur
from monitoring.checks import check_projects
from tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 11, 27)
START = datetime.date(2025, 9, 1)  # RP1: 2025-09-01 to 2026-08-31 (M1-12), RP2 to 2027-08-31
RECEIVED = datetime.datetime(2026, 6, 1, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def lenient_call(db):
    """A call whose composition rules a small Latvian consortium meets."""
    rules = factories.RuleSetFactory(
        key="lenient",
        min_full_partners=1,
        min_eligible_countries=1,
        min_member_states=1,
        min_qualifying_countries=1,
    )
    return factories.CallFactory(identifier="LENIENT-CALL", ruleset=rules)


def _grant(acronym: str, call=None, *, completed: tuple[int, ...] = ()):
    """A small grant whose first period ended three months ago: its deliverables accepted on
    time, its work packages declared at the end of RP1 (``completed`` ones completed)."""
    fields = {"call": call} if call is not None else {}
    project = factories.consortium(
        acronym=acronym, start_date=START, signed_on=START - datetime.timedelta(days=31), **fields
    )
    Deliverable.objects.filter(project=project).update(
        status="accepted",
        delivered_on=datetime.date(2025, 11, 20),
        approved_on=datetime.date(2025, 11, 25),
    )
    rp1 = project.reporting_periods.get(number=1)
    for wp in project.work_packages.all():
        factories.WorkPackageDeclarationFactory(
            reporting_period=rp1, work_package=wp, done=wp.number in completed
        )
    return project


def _report(project, *, approved: bool = True):
    """RP1's report, received on 2026-06-01, approved (or only submitted)."""
    return factories.PeriodicReportFactory(
        reporting_period=project.reporting_periods.get(number=1),
        status="approved" if approved else "submitted",
        first_submitted_at=RECEIVED,
        submitted_at=RECEIVED,
        approved_at=timezone.now() if approved else None,
    )


def _prefinancing_paid(project, paid_on=datetime.date(2025, 8, 25)) -> None:
    """Paid on time: due 2025-08-31 (30 days after the signature, 2025-08-01)."""
    instalment = factories.InstalmentFactory(project=project)
    factories.PaymentFactory(instalment=instalment, paid_on=paid_on)


def _officer(*projects):
    user = factories.member("po-pay", projects[0], ProjectRoleKind.OFFICER, is_agency_officer=True)
    for project in projects[1:]:
        factories.ProjectRoleFactory(user=user, project=project, role=ProjectRoleKind.OFFICER)
    return user


def _manager(project):
    return factories.member(
        "pm-pay",
        project,
        ProjectRoleKind.MANAGER,
        acting_for=factories.coordinator_of(project),
    )


def _row(page: str, key: str) -> str:
    """The payment schedule's row of an instalment."""
    start = page.index(f'<tr data-key="{key}">')
    return page[start : page.index("</tr>", start)]


def _compliance(client, user, project) -> str:
    client.force_login(user)
    response = client.get(f"/projects/{project.pk}/compliance/")
    assert response.status_code == 200
    return response.content.decode()


def _api_instalment(api_client, user, project, key: str) -> dict:
    api_client.force_authenticate(user)
    response = api_client.get(f"/api/v1/projects/{project.pk}/instalments/{key}")
    assert response.status_code == 200, response.content
    return response.json()


def _export_rows(client, user) -> dict[str, dict[str, str]]:
    client.force_login(user)
    response = client.get("/portfolio/export.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    return {row["Acronym"]: row for row in rows}


def _xlsx_rows(client, user) -> dict[str, dict[str, str]]:
    client.force_login(user)
    response = client.get("/portfolio/export.xlsx")
    assert response.status_code == 200
    header, *rows = load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows}


def _badge(colour: str, label: str) -> str:
    return f'<span class="badge status-{colour}">{label}</span>'


# -- one label and one colour per status -----------------------------------------------------


def test_nothing_due_reads_grey_alike_in_the_api_on_the_page_and_in_the_chart(
    client, api_client, lenient_call
):
    """RP1 ended with no work package completed: nothing to pay, which asks nothing of anyone."""
    project = _grant("NIL", lenient_call)
    _report(project)
    _prefinancing_paid(project)
    officer = _officer(project)
    check_projects([project.pk], now=timezone.now())  # the portfolio reads what checks wrote

    api = _api_instalment(api_client, officer, project, "rp1")
    page = _compliance(client, officer, project)
    client.force_login(officer)
    portfolio = client.get("/portfolio/").content.decode()

    assert (api["status"], api["status_label"], api["status_colour"]) == (
        "nothing_due",
        "Nothing due",
        "grey",
    )
    assert _badge("grey", "Nothing due") in _row(page, "rp1")
    assert "Blocked" not in _row(page, "rp1")
    # nothing to pay has no payment deadline to run late
    assert "Days late" not in _row(page, "rp1")
    assert "Interest" not in _row(page, "rp1")
    chart = portfolio[portfolio.index('id="instalments-by-status"') :]
    assert f'<th scope="row">{_badge("grey", "Nothing due")}</th><td class="num">1</td>' in chart
    # Nothing due is not held back: nothing of this portfolio is.
    assert "Instalments held back (blocked or suspended): 0</p>" in portfolio
    # The chart draws the same labels and colours, in the statuses' order.
    script = portfolio[portfolio.index('id="chart-instalments-data"') :]
    data = json.loads(script[script.index(">") + 1 : script.index("</script>")])
    assert dict(zip(data["labels"], data["colours"], strict=True)) == {
        "Scheduled": "grey",
        "Nothing due": "grey",
        "Paid": "green",
    }
    assert data["labels"] == ["Scheduled", "Nothing due", "Paid"]
    assert data["values"] == [1, 1, 1]


def test_blocked_reads_red_alike_in_the_api_on_the_page_and_in_the_export(
    client, api_client, lenient_call
):
    blocked = _grant("BLK", lenient_call, completed=(1,))
    _report(blocked, approved=False)  # submitted, not approved yet
    _prefinancing_paid(blocked)
    nil = _grant("NIL", lenient_call)
    _report(nil)
    _prefinancing_paid(nil)
    officer = _officer(blocked, nil)
    check_projects(
        [blocked.pk, nil.pk], now=timezone.now()
    )  # the portfolio reads what checks wrote

    api = _api_instalment(api_client, officer, blocked, "rp1")
    page = _compliance(client, officer, blocked)
    exported = _export_rows(client, officer)
    in_excel = _xlsx_rows(client, officer)
    client.force_login(officer)
    portfolio = client.get("/portfolio/").content.decode()

    assert (api["status_label"], api["status_colour"]) == ("Blocked", "red")
    assert _badge("red", "Blocked") in _row(page, "rp1")
    assert exported["BLK"]["Next instalment status"] == "Blocked"
    assert in_excel["BLK"]["Next instalment status"] == "Blocked"
    assert in_excel["NIL"]["Next instalment status"] == "Scheduled"
    assert exported["BLK"]["Next instalment"] == "RP1 · Interim payment"
    # An instalment with nothing due is not the next one: the next is what comes after it.
    assert exported["NIL"]["Next instalment"].startswith("RP2")
    assert exported["NIL"]["Next instalment status"] == "Scheduled"
    assert "Instalments held back (blocked or suspended): 1</p>" in portfolio
    results = portfolio[portfolio.index('id="portfolio-results"') :]
    assert _badge("red", "Blocked") in results
    assert _badge("grey", "Scheduled") in results


# -- the payment deadline ----------------------------------------------------------------------


def test_the_page_shows_the_deadline_its_suspensions_the_days_late_and_the_interest(
    client, lenient_call
):
    """Received on 2026-06-01, 90 days to pay, sent back from 2026-06-10 to 2026-06-30: the
    deadline moved by 20 days and has passed."""
    project = _grant("LATE", lenient_call, completed=(1,))
    report = _report(project)
    _prefinancing_paid(project)
    officer = _officer(project)
    DeadlineSuspension.objects.create(
        report=report,
        reason=SuspensionReason.CHANGES_REQUESTED,
        message="Add the attendance lists.",
        started_on=datetime.date(2026, 6, 10),
        ended_on=datetime.date(2026, 6, 30),
        started_by=officer,
    )
    item = next(i for i in schedule_state(project).instalments if i.key == "rp1")
    assert (item.status, item.payment_days, item.suspended_days) == ("ready", 90, 20)
    assert item.days_late > 0
    assert item.interest > 0

    row = _row(_compliance(client, officer, project), "rp1")

    assert _badge("amber", "Ready for approval") in row
    assert eur(item.amount) in row
    assert f"Days run: {item.net_days} of 90" in row
    assert "Days suspended: 20" in row
    assert "2026-06-10 to 2026-06-30: deadline suspended, changes requested" in row
    assert item.payment_due_on.isoformat() in row
    assert f"Days late: {item.days_late}" in row
    assert f"Interest: {eur(item.interest)}" in row


def test_an_instalment_paid_on_time_is_not_late(client, lenient_call):
    project = _grant("ONTIME", lenient_call)
    _prefinancing_paid(project)
    officer = _officer(project)

    row = _row(_compliance(client, officer, project), "prefinancing")

    assert _badge("green", "Paid") in row
    assert "Not late" in row
    assert "Interest" not in row


def test_a_payment_made_late_shows_its_days_late_and_interest(client, lenient_call):
    """The pre-financing, EUR 400,000.00 due 2025-08-31, paid 15 days late: interest at 5.65 %
    a year (2.15 + 3.50) for 15 days is EUR 928.77."""
    project = _grant("LATEPAY", lenient_call)
    _prefinancing_paid(project, paid_on=datetime.date(2025, 9, 15))
    officer = _officer(project)

    row = _row(_compliance(client, officer, project), "prefinancing")

    assert _badge("green", "Paid") in row
    assert "Days late: 15" in row
    assert "Interest: EUR 928.77" in row


# -- the officer's decision ----------------------------------------------------------------------


def test_a_breach_asks_the_officer_for_a_decision(client):
    """The default call's rules: a consortium of three Latvian organisations breaches them."""
    project = _grant("BREACH", completed=(1,))
    _report(project)
    _prefinancing_paid(project)
    officer = _officer(project)

    row = _row(_compliance(client, officer, project), "rp1")
    for_the_manager = _row(_compliance(client, _manager(project), project), "rp1")

    assert _badge("amber", "Decision needed") in row
    assert "suspend the payment, or approve it with a justification" in row
    # the manager is told who decides, not asked to
    assert _badge("amber", "Decision needed") in for_the_manager
    assert "the agency's officer decides whether this payment is made" in for_the_manager
    assert "approve it with a justification" not in for_the_manager


def test_an_approval_shows_its_justification(client):
    project = _grant("JUSTIFY", completed=(1,))
    _report(project)
    _prefinancing_paid(project)
    officer = _officer(project)
    item = next(i for i in schedule_state(project).instalments if i.key == "rp1")
    Instalment.objects.create(
        project=project,
        key="rp1",
        kind=InstalmentKind.INTERIM,
        reporting_period=project.reporting_periods.get(number=1),
        amount_eur=item.amount,
        approved_at=timezone.now(),
        approved_by=officer,
        justification="WP1 was completed while the consortium was compliant.",
    )

    row = _row(_compliance(client, officer, project), "rp1")

    assert _badge("green", "Approved") in row
    assert (
        "Approved with the justification:</strong> "
        "WP1 was completed while the consortium was compliant." in row
    )


def test_a_suspended_payment_shows_red_with_the_officers_reason(client, lenient_call):
    project = _grant("SUSP", lenient_call, completed=(1,))
    _report(project)
    _prefinancing_paid(project)
    officer = _officer(project)
    PaymentSuspension.objects.create(
        project=project,
        key="rp1",
        reason="An audit is under way.",
        suspended_on=datetime.date(2026, 11, 2),
        suspended_at=timezone.now(),
        suspended_by=officer,
    )

    row = _row(_compliance(client, officer, project), "rp1")

    assert _badge("red", "Suspended") in row
    assert "The officer suspended this payment." in row
    assert "since 2026-11-02: payment suspended: An audit is under way." in row


# -- the ledger and the reductions ----------------------------------------------------------------


def _reductions(project, officer) -> dict[str, Reduction]:
    """A draft (no letter yet), one whose letter was sent, and a confirmed one."""
    zilemed = project.participations.get(short_name="ZILEMED")
    wp2 = project.work_packages.get(number=2)
    common = {"project": project, "recorded_at": timezone.now(), "recorded_by": officer}
    return {
        "draft": Reduction.objects.create(
            **common, participation=zilemed, percent=Decimal("10.00"), reason="Draft reason"
        ),
        "letter": Reduction.objects.create(
            **common,
            work_package=wp2,
            kind=ReductionKind.AMOUNT,
            amount_eur=Decimal("1000.00"),
            reason="Letter reason",
            status=ReductionStatus.LETTER_SENT,
            letter_sent_on=datetime.date(2026, 11, 2),
            observations_due_on=datetime.date(2026, 12, 2),
        ),
        "confirmed": Reduction.objects.create(
            **common,
            percent=Decimal("5.00"),
            reason="Confirmed reason",
            status=ReductionStatus.CONFIRMED,
            letter_sent_on=datetime.date(2026, 9, 1),
            observations_due_on=datetime.date(2026, 10, 1),
            decided_on=datetime.date(2026, 10, 15),
        ),
    }


def test_the_officer_sees_the_ledgers_totals_and_every_reduction(client, lenient_call):
    project = _grant("LEDGER", lenient_call, completed=(1,))
    _report(project)
    _prefinancing_paid(project)
    officer = _officer(project)
    found = _reductions(project, officer)
    ledger = project_ledger(project.pk, TODAY)
    assert ledger.confirmed_reductions > 0

    page = _compliance(client, officer, project)

    for name, value in (
        ("accepted", ledger.accepted_total),
        ("reductions", ledger.confirmed_reductions),
        ("paid", ledger.net_paid),
        ("outstanding", ledger.balance_outstanding),
    ):
        assert f'id="ledger-{name}">{eur(value)}</dd>' in page, name
    table = page[page.index('id="reductions"') :]
    rows = {
        key: table[table.index(f'data-reduction="{reduction.pk}"') :].split("</tr>")[0]
        for key, reduction in found.items()
    }
    assert '<th scope="row">ZILEMED</th>' in rows["draft"]
    assert "10.00 %" in rows["draft"]
    assert "<td>Draft</td>" in rows["draft"]
    assert '<th scope="row">WP2</th>' in rows["letter"]
    assert "EUR 1,000.00" in rows["letter"]
    assert "<td>Pre-information letter sent</td>" in rows["letter"]
    assert "2026-11-02" in rows["letter"]
    assert "2026-12-02" in rows["letter"]
    assert '<th scope="row">The whole grant</th>' in rows["confirmed"]
    assert "<td>Confirmed</td>" in rows["confirmed"]
    assert "2026-10-15" in rows["confirmed"]


def test_a_manager_does_not_see_a_reduction_before_its_letter(client, lenient_call):
    project = _grant("LEDGER", lenient_call, completed=(1,))
    _report(project)
    officer = _officer(project)
    found = _reductions(project, officer)

    page = _compliance(client, _manager(project), project)

    shown = set(re.findall(r'data-reduction="(\d+)"', page))
    assert shown == {str(found["letter"].pk), str(found["confirmed"].pk)}
    assert "Draft reason" not in page


def test_a_project_without_reductions_says_so(client, lenient_call):
    project = _grant("CLEAN", lenient_call)
    officer = _officer(project)

    page = _compliance(client, officer, project)

    assert "No reduction is recorded." in page
    assert 'id="ledger-reductions">EUR 0.00</dd>' in page


def test_a_payment_recorded_counts_in_the_ledgers_net_paid(client, lenient_call):
    project = _grant("PAID", lenient_call)
    _prefinancing_paid(project)
    officer = _officer(project)
    paid = project.payments.get(direction=Direction.PAYMENT).amount_eur

    page = _compliance(client, officer, project)

    assert f'id="ledger-paid">{eur(paid)}</dd>' in page


def test_the_payment_section_reads_a_fixed_number_of_queries(
    client, lenient_call, django_assert_max_num_queries
):
    project = _grant("QUERIES", lenient_call, completed=(1,))
    report = _report(project)
    _prefinancing_paid(project)
    officer = _officer(project)
    client.force_login(officer)
    # 48: the consortium's dated history and third parties, its organisations read by id, the
    # payment facts' reports and suspensions read apart from their rows, and the user's roles
    # on the project (whether the compliance report's link shows).
    with django_assert_max_num_queries(48) as few:
        client.get(f"/projects/{project.pk}/compliance/")

    _reductions(project, officer)
    _reductions(project, officer)
    for day in (2, 12, 22):
        DeadlineSuspension.objects.create(
            report=report,
            reason=SuspensionReason.INFORMATION_REQUESTED,
            started_on=datetime.date(2026, 6, day),
            ended_on=datetime.date(2026, 6, day + 5),
            started_by=officer,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(f"/projects/{project.pk}/compliance/").content.decode()
    assert page.count("data-reduction=") == 6
    assert page.count("deadline suspended, information requested") == 3
