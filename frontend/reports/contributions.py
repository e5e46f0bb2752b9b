"""The partner's pages: what my organisation owes ("my tasks") and the contribution form.

The contribution form has the API's permissions (``report-contribution*``): another
organisation's draft (or one not written yet) is out of sight (404), and so is any draft for
an officer; a manager sees every contribution but writes only the coordinator's (403) and may
unlock a locked one; a partner contact writes, saves and locks its own organisation's.
Saving keeps a draft; locking hands it to the coordinator and makes the form read-only.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backend.common.concurrency import StaleVersion, current_version
from backend.reporting import services
from backend.reporting.models import ContributionStatus
from backend.reporting.permissions import can_unlock_contribution, can_write_contribution
from backend.reporting.selectors import participation_get
from backend.reporting.tasks_selectors import contribution_page, user_tasks
from frontend.access import page_check
from frontend.forms import Refusal, submit
from frontend.reports.forms import ContributionForm, with_version
from frontend.reports.views import page_period


@login_required
@require_GET
def my_tasks(request):
    """What the organisations the user acts for owe, on each project, and when."""
    tasks = user_tasks(user=request.user, now=timezone.now())
    return render(request, "frontend/reports/tasks.html", {"tasks": tasks})


# -- the contribution form -----------------------------------------------------------------------


def _lookup(request, project_id: int, number: int, participation_id: int):
    """The period, the participation and its contribution page; 404 if any is out of sight."""
    period = page_period(request, project_id, number)
    participation = participation_get(project=period.project, participation_id=participation_id)
    if participation is None:
        raise Http404
    page = contribution_page(user=request.user, period=period, participation=participation)
    if page is None:
        raise Http404
    return period, participation, page


def contribution_url(period, participation) -> str:
    return reverse(
        "frontend:contribution", args=[period.project_id, period.number, participation.pk]
    )


def _render(request, period, participation, page, *, form=None, status=200, alert="", stale=False):
    user = request.user
    status_now = page.view.status
    report_open = page.report is None or page.report.is_editable
    writes = can_write_contribution(user, participation)[0]
    locked = status_now == ContributionStatus.LOCKED
    context = {
        "project": period.project,
        "period": period,
        "participation": participation,
        "page": page,
        "status": status_now,
        "locked": locked,
        "report_open": report_open,
        "editable": writes and report_open and not locked,
        "can_lock": writes and report_open and status_now == ContributionStatus.DRAFT,
        "can_unlock": locked and report_open and can_unlock_contribution(user, participation)[0],
        "form": form
        or ContributionForm(
            work_packages=page.work_packages,
            entries=page.entries,
            version=current_version(page.view.contribution),
        ),
        "alert": alert,
        # Saved by someone else since the form was filled: the form keeps what was typed.
        "stale": stale,
    }
    return render(request, "frontend/reports/contribution.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def contribution(request, project_id: int, number: int, participation_id: int):
    """GET: the contribution (a form while it may change, else read only). POST: save it as a
    draft (``contribution_save``)."""
    period, participation, page = _lookup(request, project_id, number, participation_id)
    if request.method == "GET":
        return _render(request, period, participation, page)
    page_check(can_write_contribution, request, participation)
    form = ContributionForm(request.POST, work_packages=page.work_packages)

    def refused(refusal: Refusal):
        alert = refusal.conflict or _(
            "The contribution was not saved: correct what is marked below."
        )
        shown, stale = form, isinstance(refusal.refused, StaleVersion)
        if stale:
            data = with_version(request.POST, refusal.refused.current)
            shown = ContributionForm(data, work_packages=page.work_packages)
            shown.is_valid()
        return _render(
            request,
            period,
            participation,
            page,
            form=shown,
            status=refusal.status,
            alert=alert,
            stale=stale,
        )

    return submit(
        request,
        form,
        lambda: services.contribution_save(
            period=period,
            participation=participation,
            user=request.user,
            entries=form.entries(),
            expected_version=form.cleaned_data.get("version"),
        ),
        refused=refused,
        url=contribution_url(period, participation),
        message=_("Your draft was saved. Lock it when it is ready for the coordinator."),
    )


def _refused(request, period, participation, page):
    """A lock or unlock refused: the contribution again, with the reason."""
    return lambda refusal: _render(
        request, period, participation, page, status=refusal.status, alert=refusal.message
    )


@login_required
@require_POST
def contribution_lock(request, project_id: int, number: int, participation_id: int):
    """Lock the contribution for review (``contribution_lock``): the coordinator can use it."""
    period, participation, page = _lookup(request, project_id, number, participation_id)
    page_check(can_write_contribution, request, participation)
    return submit(
        request,
        None,
        lambda: services.contribution_lock(
            period=period, participation=participation, user=request.user
        ),
        refused=_refused(request, period, participation, page),
        url=contribution_url(period, participation),
        message=_(
            "The contribution is locked for review: the coordinator can now use it in the report."
        ),
    )


@login_required
@require_POST
def contribution_unlock(request, project_id: int, number: int, participation_id: int):
    """Return a locked contribution to draft (``contribution_unlock``, managers)."""
    period, participation, page = _lookup(request, project_id, number, participation_id)
    page_check(can_unlock_contribution, request, participation)
    return submit(
        request,
        None,
        lambda: services.contribution_unlock(
            period=period, participation=participation, user=request.user
        ),
        refused=_refused(request, period, participation, page),
        url=contribution_url(period, participation),
        message=_("%(participant)s's contribution is a draft again: its partner can correct it.")
        % {"participant": participation.short_name},
    )


CONTRIBUTION = (
    "projects/<int:project_id>/reports/<int:number>/contributions/<int:participation_id>/"
)

urlpatterns = [
    path("tasks/", my_tasks, name="my_tasks"),
    path(CONTRIBUTION, contribution, name="contribution"),
    path(f"{CONTRIBUTION}lock/", contribution_lock, name="contribution_lock"),
    path(f"{CONTRIBUTION}unlock/", contribution_unlock, name="contribution_unlock"),
]
