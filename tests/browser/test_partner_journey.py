"""A partner contact's journey: from "my tasks" to the contribution form, a saved draft, and the
contribution locked for the coordinator; the manager's view of the report being composed, with
a work package's status declared in place (htmx), refused first by the rule."""

import re

from backend.grants.models import Project
from backend.reporting.models import Contribution, WorkPackageDeclaration
from tests.browser.helpers import BROWSER_TEST, screenshot, sign_in

pytestmark = BROWSER_TEST


def test_a_partner_writes_saves_and_locks_its_contribution(page, site):
    # partner1 acts for NEMPOLY, whose draft for the RP2 report the demo holds
    sign_in(page, site, "partner1")

    assert re.search(r"/tasks/$", page.url), page.url
    assert page.get_by_role("heading", name="My tasks", level=1).is_visible()
    assert page.get_by_text("NEMPOLY on CARETECH").is_visible()
    screenshot(page, "partner-tasks")

    page.get_by_role("link", name="CARETECH RP2 report").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role(
        "heading", name="NEMPOLY's contribution to the RP2 report", level=1
    ).is_visible()
    assert page.locator("#id_wp3_activities").input_value() == (
        "Two joint modules piloted with 48 learners."
    )
    page.locator("#id_wp3_outputs").fill("Module handbook and trainers' guide.")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text(
        "Your draft was saved. Lock it when it is ready for the coordinator."
    ).is_visible()
    assert page.locator("#id_wp3_outputs").input_value() == "Module handbook and trainers' guide."
    screenshot(page, "partner-contribution")

    page.get_by_role("button", name="Lock for review").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("This contribution is locked for review").is_visible()
    assert page.locator("textarea").count() == 0
    assert page.locator("#contribution-status").inner_text() == "Locked for review"

    contribution = Contribution.objects.get(
        report__reporting_period__number=2, participation__short_name="NEMPOLY"
    )
    assert contribution.status == "locked"
    assert contribution.entries.get(work_package__number=3).outputs == (
        "Module handbook and trainers' guide."
    )


def test_the_manager_opens_the_report_being_composed(page, site):
    project = Project.objects.get(acronym="CARETECH")
    sign_in(page, site, "manager")

    page.goto(f"{site}/projects/{project.pk}/reports/2/")

    assert page.get_by_role("heading", name="RP2 report of CARETECH", level=1).is_visible()
    assert page.get_by_role("button", name="Save the technical part").is_visible()
    blockers = page.locator("#blockers")
    rp2 = project.reporting_periods.get(number=2)
    assert f"The reporting period ends on {rp2.end_date.isoformat()}" in blockers.inner_text()
    screenshot(page, "manager-report")

    # WP1's status, declared with htmx: the row and the blockers change in place
    row = page.locator("#wp-1")
    row.get_by_label("Completed", exact=True).check()
    # a day of the period that has passed (the demo is in month 33 of 36)
    row.locator("#id_wp1-completed_on").fill(project.month_start(31).isoformat())
    row.get_by_role("button", name="Save the status of WP1").click()
    # its deliverables are not all accepted: saved, with the warning the officer will see
    warning = page.locator("#wp-1-warning")
    warning.wait_for()
    assert warning.inner_text().startswith("WP1 is declared completed while ")
    page.locator("#wp-1").get_by_label("Not completed").check()
    page.locator("#id_wp1-completed_on").fill("")
    page.locator("#wp-1").get_by_role("button", name="Save the status of WP1").click()
    # the row comes back declared not completed: no warning any more
    page.locator("#wp-1-warning").wait_for(state="detached")
    page.locator("#wp-1").get_by_text("The status of WP1 was saved.").wait_for()
    assert "WP1," not in page.locator("#blockers").inner_text()
    assert (
        WorkPackageDeclaration.objects.get(
            reporting_period__project=project, reporting_period__number=2, work_package__number=1
        ).completed
        is False
    )
