"""The officer's review of a report in a real browser, under the strict Content-Security-Policy
(the page fixture fails the test on any violation): one work package declared completed is
rejected with a reason, and the report approved."""

import datetime

from django.utils import timezone

from backend.accounts.models import User
from backend.grants.models import Project
from backend.reporting import services
from backend.reporting.models import (
    PeriodicReport,
    ReportStatus,
    ReportVersion,
    VersionDecision,
    WorkPackageDeclaration,
)
from backend.reporting.selectors import period_state, report_content, report_of
from tests.browser.helpers import BROWSER_TEST, screenshot, sign_in

pytestmark = BROWSER_TEST


def _rp2_submitted(project: Project) -> int:
    """The demo's RP2 report as the agency received it: its first work package to declare
    declared completed, the others not; returns that work package's number."""
    rp2 = project.reporting_periods.select_related("project").get(number=2)
    manager = User.objects.get(username="manager")
    numbers = period_state(period=rp2, report=report_of(rp2)).to_declare
    for work_package in project.work_packages.filter(number__in=numbers).select_related("project"):
        completed = work_package.number == numbers[0]
        services.declaration_save(
            period=rp2,
            work_package=work_package,
            user=manager,
            completed=completed,
            completed_on=rp2.start_date + datetime.timedelta(days=30) if completed else None,
        )
    report = PeriodicReport.objects.get(reporting_period=rp2)
    now = timezone.now()
    PeriodicReport.objects.filter(pk=report.pk).update(
        status=ReportStatus.SUBMITTED,
        submitted_at=now,
        first_submitted_at=now,
        submitted_by=manager,
    )
    ReportVersion.objects.filter(report=report, decision=VersionDecision.PENDING).delete()
    last = ReportVersion.objects.filter(report=report).count()
    ReportVersion.objects.create(
        report=report,
        number=last + 1,
        content=report_content(period=rp2, report=report),
        submitted_at=now,
        submitted_by=manager,
    )
    return numbers[0]


def test_the_officer_rejects_one_work_package_and_approves_the_report(page, site):
    project = Project.objects.get(acronym="CARETECH")
    number = _rp2_submitted(project)
    sign_in(page, site, "officer")

    page.goto(f"{site}/projects/{project.pk}/reports/2/")
    decision = page.locator(f"#decision-wp-{number}")
    decision.get_by_label("Reject").check()
    decision.get_by_label("Reason").fill("The pilot's results are not reported.")
    screenshot(page, "officer-report-review")
    page.get_by_role("button", name="Approve the report").click()
    page.wait_for_load_state("networkidle")

    row = page.locator(f"#wp-{number}")
    row.get_by_text("Rejected by the officer").wait_for()
    assert "The pilot's results are not reported." in row.inner_text()
    assert page.get_by_text("The report of RP2 is approved.").is_visible()
    declaration = WorkPackageDeclaration.objects.get(
        reporting_period__project=project, reporting_period__number=2, work_package__number=number
    )
    assert (declaration.decision, declaration.decision_reason) == (
        "rejected",
        "The pilot's results are not reported.",
    )
    assert (
        PeriodicReport.objects.get(project=project, reporting_period__number=2).status
        == ReportStatus.APPROVED
    )
