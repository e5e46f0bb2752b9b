"""The project manager's journey: the project home with its timeline, the deliverables board
filtered by a work package, and a pending deliverable of the current period uploaded and
submitted."""

import re

from backend.audit.models import Event
from backend.common.dates import brussels_today, project_month
from backend.grants.models import Project
from backend.workplan.models import Deliverable, DeliverableStatus, EvidenceFile
from tests.browser.helpers import BROWSER_TEST, screenshot, sign_in
from tests.workplan.files import PDF

pytestmark = BROWSER_TEST


def _pending_of_the_current_period(project: Project) -> Deliverable:
    """A deliverable the demo left pending, due in the reporting period running today."""
    month = project_month(project.start_date, brussels_today())
    period = project.reporting_periods.filter(start_month__lte=month, end_month__gte=month).first()
    pending = Deliverable.objects.filter(project=project, status=DeliverableStatus.PENDING)
    if period is not None:
        in_period = pending.filter(
            due_month__gte=max(month, period.start_month), due_month__lte=period.end_month
        )
        if in_period.exists():
            pending = in_period
    return pending.select_related("work_package").order_by("due_on", "position").first()


def test_a_manager_follows_the_timeline_to_a_deliverable_and_submits_it(page, site):
    project = Project.objects.get(acronym="CARETECH")
    deliverable = _pending_of_the_current_period(project)
    assert deliverable is not None

    sign_in(page, site, "manager")

    # lands on the list of the two projects they manage, then opens the demo project's home
    assert re.search(r"/projects/$", page.url), page.url
    page.get_by_role("link", name=re.compile(r"^CARETECH")).first.click()
    page.wait_for_load_state("networkidle")

    # the project home, with the timeline
    assert re.search(rf"/projects/{project.pk}/$", page.url), page.url
    assert page.get_by_role("heading", level=1).inner_text().startswith("CARETECH")
    assert page.get_by_role("heading", name="Timeline").is_visible()
    assert page.locator(".tl-month").count() == 48
    assert page.locator(".tl-bar.rp").count() == 3
    screenshot(page, "manager-project-home")

    # the deliverables board, filtered by the deliverable's work package (htmx swaps the board)
    page.get_by_role("link", name="Deliverables", exact=True).first.click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Deliverables of CARETECH").is_visible()
    number = deliverable.work_package.number
    page.get_by_label("Work package").select_option(str(number))
    page.wait_for_url(re.compile(rf"work_package={number}"))
    page.wait_for_load_state("networkidle")
    codes = page.locator(".dcard").evaluate_all("cards => cards.map(c => c.dataset.code)")
    assert codes, "the board shows the work package's deliverables"
    assert all(code.startswith(f"D{number}.") for code in codes), codes
    assert deliverable.code in codes
    screenshot(page, "manager-deliverables")

    # the pending deliverable: upload a PDF, then submit it
    page.locator(f'.dcard[data-code="{deliverable.code}"] a').click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#deliverable-status").inner_text() == "Pending"
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "report.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Upload").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#deliverable-status").inner_text() == "Draft"
    assert page.get_by_role("link", name="report.pdf").is_visible()
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_load_state("networkidle")

    assert page.locator("#deliverable-status").inner_text() == "Submitted"
    assert page.get_by_text(f"{deliverable.code} was submitted to the agency.").is_visible()
    deliverable.refresh_from_db()
    assert deliverable.status == DeliverableStatus.SUBMITTED
    assert deliverable.delivered_on == brussels_today()
    assert EvidenceFile.objects.get(deliverable=deliverable, current=True).name == "report.pdf"
    assert Event.objects.filter(
        verb="deliverable.submitted", object_id=str(deliverable.pk)
    ).exists()
    screenshot(page, "manager-deliverable")
