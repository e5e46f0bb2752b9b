"""The work plan's pages: the deliverables board, a deliverable's page with its file and
workflow steps, and the milestones.

Each page checks what the matching API view checks: the project in sight (else 404), then the
same ``can_<verb>`` (else 403 with the reason). Forms post a full page: success redirects (303)
with a message; bad input re-renders with the errors at their fields (400); a step the status
does not allow re-renders with the reason (409). The board's filters answer htmx requests with
the board alone.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from backend.common.dates import brussels_today
from backend.workplan.evidence import clean_name, request_size_check
from backend.workplan.models import DeliverableStatus
from backend.workplan.permissions import (
    can_accept,
    can_manage_evidence,
    can_record_achievement,
    can_request_revision,
    can_submit,
)
from backend.workplan.rules import deliverable_is_overdue, milestone_is_overdue
from backend.workplan.selectors import (
    deliverable_actions,
    deliverable_evidence_history,
    deliverable_get,
    deliverable_list,
    milestone_get,
    milestone_list,
)
from backend.workplan.services import (
    deliverable_accept,
    deliverable_evidence_delete,
    deliverable_evidence_upload,
    deliverable_request_revision,
    deliverable_submit,
    milestone_achieve,
)
from frontend.access import page_check, page_project
from frontend.forms import Refusal, is_partial, submit
from frontend.project.timeline import work_package_options
from frontend.project.views import project_links, project_render
from frontend.workplan.forms import (
    DeliverableFilterForm,
    EvidenceUploadForm,
    MilestoneAchieveForm,
    RevisionRequestForm,
)

EXPORTS = (
    ("deliverables_export_csv", gettext_lazy("CSV")),
    ("deliverables_export_xlsx", gettext_lazy("Excel")),
)


# -- the deliverables board --------------------------------------------------------------------

BOARD_COLUMNS = (
    DeliverableStatus.PENDING,
    DeliverableStatus.DRAFT,
    DeliverableStatus.SUBMITTED,
    DeliverableStatus.ACCEPTED,
)


def _board(deliverables, today, only_status: str | None) -> list[dict]:
    """The deliverables in one column per status (only the status filtered on, if any), each
    marked overdue by the work plan's rule."""
    columns = {
        status: {"status": status, "label": status.label, "items": []}
        for status in BOARD_COLUMNS
        if only_status in (None, status)
    }
    for deliverable in deliverables:
        deliverable.overdue = deliverable_is_overdue(deliverable.status, deliverable.due_on, today)
        if deliverable.status in columns:
            columns[deliverable.status]["items"].append(deliverable)
    return list(columns.values())


@login_required
@require_GET
def deliverables(request, project_id: int):
    project = page_project(request, project_id)
    today = brussels_today()
    form = DeliverableFilterForm(
        request.GET or None, work_packages=work_package_options(project=project)
    )
    status_code = 200
    if form.is_bound and not form.is_valid():
        status_code = 400
        columns = _board([], today, None)
    else:
        filters = form.filters() if form.is_bound else {}
        columns = _board(
            deliverable_list(project=project, today=today, **filters),
            today,
            filters.get("status"),
        )
    context = {
        "project": project,
        "form": form,
        "columns": columns,
        "count": sum(len(column["items"]) for column in columns),
        "exports": project_links(project, EXPORTS),
    }
    template = (
        "frontend/workplan/_board.html"
        if is_partial(request)
        else "frontend/workplan/deliverables.html"
    )
    response = project_render(request, template, context, status=status_code)
    patch_vary_headers(response, ("HX-Request",))
    return response


# -- a deliverable -----------------------------------------------------------------------------


def _deliverable(project, deliverable_id: int):
    deliverable = deliverable_get(project=project, deliverable_id=deliverable_id)
    if deliverable is None:
        raise Http404
    return deliverable


def _deliverable_url(project, deliverable) -> str:
    return reverse(
        "frontend:deliverable",
        kwargs={"project_id": project.pk, "deliverable_id": deliverable.pk},
    )


def _deliverable_page(
    request,
    project,
    deliverable,
    *,
    status: int = 200,
    upload_form=None,
    revision_form=None,
    conflict: str = "",
):
    user = request.user
    today = brussels_today()
    actions = deliverable_actions(user=user, deliverable=deliverable)
    context = {
        "project": project,
        "deliverable": deliverable,
        "overdue": deliverable_is_overdue(deliverable.status, deliverable.due_on, today),
        "files": deliverable_evidence_history(user=user, deliverable=deliverable),
        "revisions": list(deliverable.due_date_revisions.all()),
        "clusters": list(deliverable.work_package.clusters.all()),
        "actions": actions,
        "any_action": actions.any,
        "upload_form": upload_form or EvidenceUploadForm(),
        "revision_form": revision_form or RevisionRequestForm(),
        "conflict": conflict,
    }
    return project_render(request, "frontend/workplan/deliverable.html", context, status=status)


@login_required
@require_GET
def deliverable(request, project_id: int, deliverable_id: int):
    project = page_project(request, project_id)
    return _deliverable_page(request, project, _deliverable(project, deliverable_id))


def _step(request, project_id: int, deliverable_id: int, check):
    """The project in sight, its deliverable, and the user allowed to take the step."""
    project = page_project(request, project_id)
    item = _deliverable(project, deliverable_id)
    page_check(check, request, item)
    return project, item


def _refused(request, project, item, **forms):
    """A step refused: the deliverable's page again, with the form as typed (400) or the
    reason (409)."""
    return lambda refusal: _deliverable_page(
        request, project, item, status=refusal.status, conflict=refusal.conflict, **forms
    )


def _upload(request, item):
    # By now the body has been read: the CSRF check parsed the form, the file with it (to a
    # temporary file when it is larger than FILE_UPLOAD_MAX_MEMORY_SIZE). Only a request over
    # GRANTWATCH_MAX_REQUEST_BYTES was refused before that (backend/config/request_limits.py,
    # and the proxy). This refuses, by its stated size, a request too large to hold an
    # acceptable file before the file is checked or stored.
    request_size_check(request.META.get("CONTENT_LENGTH"))
    return deliverable_evidence_upload(
        deliverable=item, user=request.user, upload=request.FILES.get("file")
    )


@login_required
@require_POST
def deliverable_upload(request, project_id: int, deliverable_id: int):
    project, item = _step(request, project_id, deliverable_id, can_manage_evidence)
    # A file is never shown again: the form only carries the service's errors.
    form = EvidenceUploadForm(data={})
    return submit(
        request,
        form,
        lambda: _upload(request, item),
        refused=_refused(request, project, item, upload_form=form),
        url=_deliverable_url(project, item),
        message=lambda updated: (
            _("The file %(name)s was uploaded: %(code)s is a draft; submit it when it is final.")
            % {"name": clean_name(request.FILES["file"].name), "code": updated.code}
        ),
    )


def _button(request, project_id: int, deliverable_id: int, check, take, done: str):
    """A step without input: ``take(deliverable=, user=)``; ``done`` is the message once it
    is taken (``%(code)s`` the deliverable's code)."""
    project, item = _step(request, project_id, deliverable_id, check)
    return submit(
        request,
        None,
        lambda: take(deliverable=item, user=request.user),
        refused=_refused(request, project, item),
        url=_deliverable_url(project, item),
        message=done % {"code": item.code},
    )


@login_required
@require_POST
def deliverable_evidence_delete_view(request, project_id: int, deliverable_id: int):
    return _button(
        request,
        project_id,
        deliverable_id,
        can_manage_evidence,
        deliverable_evidence_delete,
        _("The file was deleted: %(code)s is pending again."),
    )


@login_required
@require_POST
def deliverable_submit_view(request, project_id: int, deliverable_id: int):
    return _button(
        request,
        project_id,
        deliverable_id,
        can_submit,
        deliverable_submit,
        _("%(code)s was submitted to the agency."),
    )


@login_required
@require_POST
def deliverable_accept_view(request, project_id: int, deliverable_id: int):
    return _button(
        request,
        project_id,
        deliverable_id,
        can_accept,
        deliverable_accept,
        _("%(code)s was accepted."),
    )


@login_required
@require_POST
def deliverable_request_revision_view(request, project_id: int, deliverable_id: int):
    project, item = _step(request, project_id, deliverable_id, can_request_revision)
    form = RevisionRequestForm(request.POST)
    return submit(
        request,
        form,
        lambda: deliverable_request_revision(
            deliverable=item, user=request.user, reason=form.cleaned_data["reason"]
        ),
        refused=_refused(request, project, item, revision_form=form),
        url=_deliverable_url(project, item),
        message=_("%(code)s was sent back for revision.") % {"code": item.code},
    )


# -- milestones --------------------------------------------------------------------------------


def _milestones_page(request, project, *, status: int = 200, failed=None, conflict: str = ""):
    """The milestones; ``failed`` is (milestone id, bound form) for a form re-shown with its
    errors."""
    today = brussels_today()
    items = list(milestone_list(project=project, today=today))
    # Who records an achievement depends on the project only: one check for the page.
    may_record = bool(items) and can_record_achievement(request.user, items[0])[0]
    for item in items:
        if failed is not None and failed[0] == item.pk:
            item.form = failed[1]
        else:
            item.form = MilestoneAchieveForm(milestone_id=item.pk)
        item.failed = failed is not None and failed[0] == item.pk
        item.overdue = milestone_is_overdue(item.achieved_on, item.due_date, today)
    context = {
        "project": project,
        "milestones": items,
        "may_record": may_record,
        "conflict": conflict,
        "today": today,
    }
    return project_render(request, "frontend/workplan/milestones.html", context, status=status)


@login_required
@require_GET
def milestones(request, project_id: int):
    return _milestones_page(request, page_project(request, project_id))


@login_required
@require_POST
def milestone_achieve_view(request, project_id: int, milestone_id: int):
    project = page_project(request, project_id)
    item = milestone_get(project=project, milestone_id=milestone_id)
    if item is None:
        raise Http404
    page_check(can_record_achievement, request, item)
    form = MilestoneAchieveForm(request.POST, milestone_id=item.pk)

    def refused(refusal: Refusal):
        failed = (item.pk, form) if refusal.status == 400 else None
        return _milestones_page(
            request, project, status=refusal.status, failed=failed, conflict=refusal.conflict
        )

    url = reverse("frontend:milestones", kwargs={"project_id": project.pk})
    return submit(
        request,
        form,
        lambda: milestone_achieve(
            milestone=item,
            user=request.user,
            achieved_on=form.cleaned_data["achieved_on"],
            verification=form.cleaned_data["verification"],
        ),
        refused=refused,
        url=f"{url}#ms-{item.pk}",
        message=lambda updated: (
            _("%(code)s was recorded as achieved on %(date)s.")
            % {"code": item.code, "date": updated.achieved_on.isoformat()}
        ),
    )


DELIVERABLE = "projects/<int:project_id>/deliverables/<int:deliverable_id>/"

urlpatterns = [
    path("projects/<int:project_id>/deliverables/", deliverables, name="deliverables"),
    path(DELIVERABLE, deliverable, name="deliverable"),
    path(f"{DELIVERABLE}upload/", deliverable_upload, name="deliverable_upload"),
    path(
        f"{DELIVERABLE}delete-file/",
        deliverable_evidence_delete_view,
        name="deliverable_delete_file",
    ),
    path(f"{DELIVERABLE}submit/", deliverable_submit_view, name="deliverable_submit"),
    path(f"{DELIVERABLE}accept/", deliverable_accept_view, name="deliverable_accept"),
    path(
        f"{DELIVERABLE}request-revision/",
        deliverable_request_revision_view,
        name="deliverable_request_revision",
    ),
    path("projects/<int:project_id>/milestones/", milestones, name="milestones"),
    path(
        "projects/<int:project_id>/milestones/<int:milestone_id>/achieve/",
        milestone_achieve_view,
        name="milestone_achieve",
    ),
]
