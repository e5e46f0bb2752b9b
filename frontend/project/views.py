"""A project's own pages: its home (facts, progress, the month-by-month timeline and the
termination reports of participants that left), and what every page about a project shows (the
links to the project's other pages).

Each page checks what the matching API view checks: the project in sight (else 404).
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from backend.common.dates import brussels_today
from backend.reporting.terminations import termination_report_list, termination_state
from frontend.access import page_project
from frontend.project.timeline import project_overview

# Pages of the other areas about the same project, for everyone who sees it; a link whose page
# does not exist (yet) is left out.
PROJECT_PAGES = (
    ("project_compliance", gettext_lazy("Compliance")),
    ("consortium", gettext_lazy("Consortium")),
    ("amendments", gettext_lazy("Amendments")),
    ("reports", gettext_lazy("Periodic reports")),
)


def project_links(project, pages) -> list[dict]:
    links = []
    for name, label in pages:
        try:
            url = reverse(f"frontend:{name}", kwargs={"project_id": project.pk})
        except NoReverseMatch:
            continue
        links.append({"url": url, "label": label})
    return links


def project_render(request, template: str, context: dict, status: int = 200):
    project = context["project"]
    context = {**context, "project_links": project_links(project, PROJECT_PAGES)}
    return render(request, template, context, status=status)


# -- the project home --------------------------------------------------------------------------


def termination_rows(*, project, today) -> list[dict]:
    """The project's termination reports with their state today and the Brussels days each
    report was sent (the API's termination-reports list)."""
    return [
        {
            "report": report,
            "state": termination_state(report, today),
            "report_sent_on": report.report_submitted_at
            and brussels_today(report.report_submitted_at),
            "distribution_sent_on": report.distribution_submitted_at
            and brussels_today(report.distribution_submitted_at),
        }
        for report in termination_report_list(project=project)
    ]


@login_required
@require_GET
def project_home(request, project_id: int):
    project = page_project(request, project_id)
    today = brussels_today()
    overview = project_overview(user=request.user, project=project, today=today)
    return project_render(
        request,
        "frontend/project/project_home.html",
        {
            "project": project,
            "overview": overview,
            "timeline": overview.timeline,
            "terminations": termination_rows(project=project, today=today),
        },
    )


urlpatterns = [
    path("projects/<int:project_id>/", project_home, name="project_home"),
]
