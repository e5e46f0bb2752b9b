"""WCAG 2.1 AA on every page, checked by axe-core: every GET page and htmx partial of the page
matrix (``tests/frontend/pages_*.py``) a kind of user may open, and what each form the user
may post answers to an empty post (its errors, its refusal), as each kind of user, in English
and in Latvian. A violation of impact "serious" or "critical" fails the test, with the rule,
its help, the page, the role, the language and the elements; the moderate and minor ones are
listed in the report each test writes (``accessibility/<role>-<language>.json`` in the test
run's artefacts folder).

axe runs with the rules tagged wcag2a, wcag2aa, wcag21a, wcag21aa and best-practice; no rule is
disabled.

The demo fills the pages; it is loaded once per role (the slowest part of the check), and the
role's pages are walked on it in both languages. The partner is partner1; the manager, the
officer and the administrator are the demo's; a signed-in user with no project and anonymous
visitors have an empty database. A page added to the matrix later is checked without a change
here, as long as its URL arguments are among ``demo_values``.
"""

import pytest

from backend.amendments.services import amendment_create
from backend.demo.loading import DEMO_GRANT_FILE
from backend.grantfile.loading import load_grant_file
from backend.grants.models import Project
from backend.reporting.models import PeriodicReport, ReportVersion
from tests.accessibility.axe import AXE, Findings, axe_check
from tests.accessibility.walk import post_checks, sign_in, walk
from tests.browser.helpers import BROWSER_TEST
from tests.factories import UserFactory

pytestmark = BROWSER_TEST

LANGUAGES = ("en", "lv")
# The page matrix's roles and the demo login that plays each.
DEMO_LOGINS = {
    "partner_contact": "partner1",
    "manager": "manager",
    "officer": "officer",
    "admin": "admin",
}
PARTNER_ORGANISATION = "NEMPOLY"  # partner1 acts for it


def demo_values(manager) -> dict[str, dict]:
    """The URL arguments of the matrix's routes, each a demo object: ``*`` for every route,
    or a route's own where it needs another (a report's frozen version is RP1's)."""
    acronym = load_grant_file(DEMO_GRANT_FILE.read_bytes())["acronym"]
    project = Project.objects.get(acronym=acronym)
    draft = amendment_create(
        project=project, user=manager, justification="Moving a deliverable.", changes=[]
    )
    report = PeriodicReport.objects.filter(project=project).latest("reporting_period__number")
    version = ReportVersion.objects.filter(report__project=project).earliest("submitted_at")
    values = {
        "project_id": project.pk,
        "deliverable_id": project.deliverables.get(code="D7.4").pk,  # a draft with its file
        "milestone_id": project.milestones.get(code="MS8").pk,  # not achieved
        "number": report.reporting_period.number,  # the report being written
        "wp_number": project.work_packages.order_by("number").first().number,
        "participation_id": project.participations.get(short_name=PARTNER_ORGANISATION).pk,
        "flag_id": project.flags.filter(resolved_at__isnull=True).first().pk,
        "amendment_id": draft.pk,
    }
    frozen = {"number": version.report.reporting_period.number, "k": version.number}
    return {"*": values, "report_version": {**values, **frozen}}


def _context(browser, site: str, language: str):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    context.set_default_timeout(20_000)
    context.add_init_script(path=str(AXE))
    context.add_cookies([{"name": "django_language", "value": language, "url": site}])
    return context


def _finish(*found: Findings) -> None:
    for findings in found:
        findings.save()
    assert all(findings.checked for findings in found), "no page was checked"
    summary = "\n\n".join(findings.summary() for findings in found)
    assert not [problem for findings in found for problem in findings.problems], summary
    assert not [failure for findings in found for failure in findings.failures], summary


@pytest.mark.parametrize("role", list(DEMO_LOGINS))
def test_each_page_passes_axe(browser, site, django_user_model, role):
    """In both languages, on one load of the demo (the slowest part of the test)."""
    values = demo_values(django_user_model.objects.get(username="manager"))
    user = django_user_model.objects.get(username=DEMO_LOGINS[role])
    found = []
    for language in LANGUAGES:
        findings = Findings(role, language)
        context = _context(browser, site, language)
        sign_in(context, site, user)
        walk(context.new_page(), site, findings, values)
        context.close()
        found.append(findings)
    _finish(*found)


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_page_passes_axe_without_a_project(chromium, live_server, language):
    """A signed-in user with no project: their empty home, list, tasks and settings."""
    findings = Findings("stranger", language)
    context = _context(chromium, live_server.url, language)
    sign_in(context, live_server.url, UserFactory(username="stranger"))
    walk(context.new_page(), live_server.url, findings, {"*": {}})
    context.close()
    _finish(findings)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_sign_in_page_passes_axe(chromium, live_server, language):
    """Anonymous: the sign-in page (the only page the matrix lets them open), and the page
    again after an empty sign-in."""
    site = live_server.url
    findings = Findings("anonymous", language)
    context = _context(chromium, site, language)
    page = context.new_page()
    walk(page, site, findings, {"*": {}})
    post_checks(page, site, findings, [("login", "/login/")], {"/login/": "/login/"})
    context.close()
    _finish(findings)


def test_axe_reports_what_it_is_meant_to(chromium, live_server):
    """The check itself: a field without its label is a critical violation, named with its
    page, role and language."""
    site = live_server.url
    context = _context(chromium, site, "en")
    page = context.new_page()
    page.goto(f"{site}/login/")
    page.evaluate("document.querySelectorAll('label').forEach((label) => label.remove())")
    findings = Findings("anonymous", "en")
    axe_check(page, findings, "GET /login/ (labels removed)")
    context.close()
    assert any(
        failure.startswith("[critical] label: ")
        and "| GET /login/ (labels removed) (" in failure
        and "| as anonymous, in en |" in failure
        and "#id_username" in failure
        for failure in findings.failures
    ), findings.failures
