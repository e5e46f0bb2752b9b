"""Pages of the periodic reports: a project's reports, a period's report (the managers compose
and submit it, declare the status of work packages and justify late deliverables; the officers
approve it or request changes), and its frozen versions.

Same permissions as the API (``backend/reporting/apis.py``): a project or period out of sight
is 404; a step the user may not take is 403 with the reason; refused input is 400 with the
errors next to the fields; a step the report's state does not allow is 409 with the service's
message (a refused submission lists every blocker). Nothing is written by a refusal: the
services are atomic.

htmx: the declaration and justification forms of the report page post with htmx and get their
own row back (with the blockers list swapped out of band); their 400 and 409 answers are
swapped too (htmx's ``responseHandling``, set once in ``base.html``). Every form also works as
a plain full-page POST (303 to the report page on success).
"""

import datetime

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from backend.common.concurrency import StaleVersion, current_version
from backend.common.dates import brussels_today
from backend.reporting import services
from backend.reporting.models import ReportStatus, SuspensionReason
from backend.reporting.permissions import (
    can_answer_information,
    can_compose_report,
    can_request_information,
    can_review_report,
)
from backend.reporting.selectors import (
    deliverable_get,
    percent_refusal,
    period_get,
    period_state,
    report_of,
    version_get,
    work_package_get,
)
from backend.reporting.state import report_state
from backend.reporting.tasks_selectors import report_page, report_rows
from frontend.access import page_check, page_project
from frontend.forms import Refusal, submit
from frontend.reports.forms import (
    ApprovalForm,
    DeclarationForm,
    InformationAnswerForm,
    InformationRequestForm,
    JustificationForm,
    TechnicalPartForm,
    with_version,
)

REPORT_TEMPLATE = "frontend/reports/report.html"


def page_period(request, project_id: int, number: int):
    """The reporting period of a project the user sees, or 404."""
    project = page_project(request, project_id)
    period = period_get(project=project, number=number)
    if period is None:
        raise Http404
    return period


def report_url(period, anchor: str = "") -> str:
    url = reverse("frontend:report", args=[period.project_id, period.number])
    return f"{url}#{anchor}" if anchor else url


# -- the list ------------------------------------------------------------------------------------


@login_required
@require_GET
def reports(request, project_id: int):
    project = page_project(request, project_id)
    now = timezone.now()
    rows = report_rows(project=project, now=now)
    return render(
        request,
        "frontend/reports/list.html",
        {"project": project, "rows": rows, "today": brussels_today(now)},
    )


# -- the report page -----------------------------------------------------------------------------


def _declaration_rows(state, forms: dict, row_errors: dict, saved: str) -> list[dict]:
    """One row per work package the report declares; a bound form given replaces the fresh
    one."""
    work_packages = {wp.number: wp for wp in state.work_packages}
    warnings = {warning.work_package: warning.message for warning in state.warnings}
    rows = []
    for number in state.to_declare:
        key, declaration = f"wp-{number}", state.declarations.get(number)
        initial = DeclarationForm.initial_from(declaration)
        rows.append(
            {
                "key": key,
                "number": number,
                "work_package": work_packages[number],
                "declaration": declaration,
                "not_accepted": state.not_accepted(number),
                "waiver": state.waivers.get(number),
                "warning": warnings.get(number, ""),
                "form": forms.get(number) or DeclarationForm(prefix=f"wp{number}", initial=initial),
                "error": row_errors.get(key, ""),
                "saved": saved == key,
            }
        )
    return rows


def _justification_rows(state, forms: dict, row_errors: dict, saved: str) -> list[dict]:
    """One row per late deliverable, with its justification's form."""
    rows = []
    for deliverable in state.late:
        key, justification = f"late-{deliverable.pk}", state.justifications.get(deliverable.pk)
        initial = {"text": justification.text if justification else ""}
        rows.append(
            {
                "key": key,
                "deliverable": deliverable,
                "justification": justification,
                "form": forms.get(deliverable.pk)
                or JustificationForm(prefix=f"d{deliverable.pk}", initial=initial),
                "error": row_errors.get(key, ""),
                "saved": saved == key,
            }
        )
    return rows


def approval_form(period, state, data=None) -> ApprovalForm:
    """The officer's review form, with a decision for each work package the report declares
    completed (the accepted percentage where the final period allows it)."""
    decidable = state.decidable
    return ApprovalForm(
        data,
        work_packages=decidable,
        percent_allowed=bool(decidable) and percent_refusal(period) is None,
    )


def _information_steps(request, period, detail, current) -> dict:
    """Whether the user may ask for information now (the officer, on a submitted report with
    no request open) or answer the one that is open (the managers)."""
    report, running = detail.report, detail.open_suspension
    submitted = report is not None and report.status == ReportStatus.SUBMITTED
    waiting = (
        submitted
        and running is not None
        and running.reason == SuspensionReason.INFORMATION_REQUESTED
    )
    return {
        "asking": current.actions.review
        and running is None
        and can_request_information(request.user, period.project)[0],
        "answering": waiting and can_answer_information(request.user, period.project)[0],
        "information_request": running if waiting else None,
    }


def _report_context(
    request,
    period,
    *,
    technical_form=None,
    declaration_forms=None,
    justification_forms=None,
    row_errors=None,
    review_form=None,
    information_form=None,
    answer_form=None,
    refusal=None,
    alert: str = "",
    saved: str = "",
    stale: bool = False,
) -> dict:
    """Everything the report page shows; the forms given (bound, with their errors) replace
    the fresh ones. Its deadline, blockers and the steps the user may take are the report's
    state (``report_state``), as the API reads it."""
    today = brussels_today()
    page = report_page(user=request.user, period=period, today=today)
    detail, state, report = page.detail, page.detail.state, page.report
    current = report_state(user=request.user, detail=detail, now=timezone.now())
    row_errors = row_errors or {}
    late_ids = {deliverable.pk for deliverable in state.late}
    return {
        "project": period.project,
        "period": period,
        # Justifications of deliverables no longer late (submitted since): still part of it.
        "justified": [
            justification
            for deliverable_id, justification in state.justifications.items()
            if deliverable_id not in late_ids
        ],
        "report": report,
        "page": page,
        "detail": detail,
        "state": state,
        "report_state": current,
        "today": today,
        "due_on": current.due_on,
        "overdue": current.overdue,
        "editable": current.editable,
        "composing": current.actions.compose,
        "reviewing": current.actions.review,
        "blockers": current.blockers,
        "declarations": _declaration_rows(state, declaration_forms or {}, row_errors, saved),
        "justifications": _justification_rows(state, justification_forms or {}, row_errors, saved),
        "technical_form": technical_form
        or TechnicalPartForm(
            initial={
                "technical_part": report.technical_part if report else "",
                "version": current_version(report),
            }
        ),
        "review_form": review_form
        or (approval_form(period, state) if current.actions.review else None),
        "information_form": information_form or InformationRequestForm(),
        "answer_form": answer_form or InformationAnswerForm(),
        **_information_steps(request, period, detail, current),
        "suspensions": detail.suspensions,
        "warnings": state.warnings,
        "needs_accepted": period.project.call.ruleset.completion_needs_accepted_deliverables,
        "refusal": refusal,
        "alert": alert,
        # The technical part was saved by someone else since the form was filled.
        "stale": stale,
    }


def _report_page(request, period, *, status: int = 200, **forms):
    return render(
        request, REPORT_TEMPLATE, _report_context(request, period, **forms), status=status
    )


@login_required
@require_GET
def report(request, project_id: int, number: int):
    return _report_page(request, page_period(request, project_id, number))


@login_required
@require_POST
def report_save(request, project_id: int, number: int):
    """Replace the technical part (``report_update``)."""
    period = page_period(request, project_id, number)
    page_check(can_compose_report, request, period.project)
    form = TechnicalPartForm(request.POST)

    def refused(refusal: Refusal):
        shown, stale = form, isinstance(refusal.refused, StaleVersion)
        if stale:
            # What was typed, with the current version: saving again replaces it knowingly.
            shown = TechnicalPartForm(with_version(request.POST, refusal.refused.current))
            shown.is_valid()
        return _report_page(
            request,
            period,
            status=refusal.status,
            technical_form=shown,
            alert=refusal.conflict,
            stale=stale,
        )

    return submit(
        request,
        form,
        lambda: services.report_update(
            period=period,
            user=request.user,
            technical_part=form.cleaned_data["technical_part"],
            expected_version=form.cleaned_data.get("version"),
        ),
        refused=refused,
        url=report_url(period, "technical-part"),
        message=_("The technical part was saved."),
    )


def _row_answer(request, period, *, status: int, row: str, template: str, **forms):
    """An htmx request gets its row back (and the blockers, out of band); a full-page POST
    the whole page."""
    context = _report_context(request, period, **forms)
    if request.htmx:
        for item in (*context["declarations"], *context["justifications"]):
            if item["key"] == row:
                return render(request, template, {**context, "row": item}, status=status)
        # The row is no longer on the page (e.g. the work package was declared completed in an
        # earlier report meanwhile): the refusal takes its place.
        return render(request, "frontend/reports/_alert_answer.html", context, status=status)
    return render(request, REPORT_TEMPLATE, context, status=status)


def _row_post(request, period, form, service, *, row: str, template: str, forms: dict, done: str):
    """A row's form (``forms`` names it for the page): with htmx, the row comes back, saved or
    with its errors (and the reason of a 409 at the row); a plain POST gets the page again or
    goes back to the row with ``done``."""

    def refused(refusal: Refusal):
        row_errors = {row: refusal.conflict} if refusal.conflict else {}
        return _row_answer(
            request,
            period,
            status=refusal.status,
            row=row,
            template=template,
            alert=refusal.message,
            row_errors=row_errors,
            **forms,
        )

    return submit(
        request,
        form,
        service,
        refused=refused,
        url=report_url(period, row),
        message=done,
        partial=lambda _saved: _row_answer(
            request, period, status=200, row=row, template=template, saved=row
        ),
    )


@login_required
@require_POST
def report_declare(request, project_id: int, number: int, wp_number: int):
    """Declare a work package completed (on a date) or not (``declaration_save``); the rule's
    refusal (a deliverable not accepted, no waiver) is shown at the work package's row."""
    period = page_period(request, project_id, number)
    work_package = work_package_get(project=period.project, number=wp_number)
    if work_package is None:
        raise Http404
    page_check(can_compose_report, request, period.project)
    form = DeclarationForm(request.POST, prefix=f"wp{wp_number}")
    shown = {wp_number: form}

    def save():
        try:
            return services.declaration_save(
                period=period, work_package=work_package, user=request.user, **form.service_input()
            )
        except StaleVersion as stale:
            # The row shows what was typed, with the current version: saving again replaces it.
            data = with_version(request.POST, stale.current, form.add_prefix("version"))
            shown[wp_number] = DeclarationForm(data, prefix=f"wp{wp_number}")
            shown[wp_number].is_valid()
            raise

    return _row_post(
        request,
        period,
        form,
        save,
        row=f"wp-{wp_number}",
        template="frontend/reports/_declaration_answer.html",
        forms={"declaration_forms": shown},
        done=_("The status of WP%(number)s was saved.") % {"number": wp_number},
    )


@login_required
@require_POST
def report_justify(request, project_id: int, number: int, deliverable_id: int):
    """Justify a late deliverable (``justification_save``)."""
    period = page_period(request, project_id, number)
    deliverable = deliverable_get(project=period.project, deliverable_id=deliverable_id)
    if deliverable is None:
        raise Http404
    page_check(can_compose_report, request, period.project)
    form = JustificationForm(request.POST, prefix=f"d{deliverable_id}")
    return _row_post(
        request,
        period,
        form,
        lambda: services.justification_save(
            period=period,
            deliverable=deliverable,
            user=request.user,
            text=form.cleaned_data["text"],
        ),
        row=f"late-{deliverable_id}",
        template="frontend/reports/_justification_answer.html",
        forms={"justification_forms": {deliverable_id: form}},
        done=_("The justification of %(code)s was saved.") % {"code": deliverable.code},
    )


@login_required
@require_POST
def report_submit(request, project_id: int, number: int):
    """Send the report to the agency (``report_submit``); refused, every blocker is listed."""
    period = page_period(request, project_id, number)
    page_check(can_compose_report, request, period.project)

    def refused(refusal: Refusal):
        if isinstance(refusal.refused, services.SubmissionBlocked):
            return _report_page(request, period, status=refusal.status, refusal=refusal.refused)
        return _report_page(request, period, status=refusal.status, alert=refusal.message)

    return submit(
        request,
        None,
        lambda: services.report_submit(period=period, user=request.user),
        refused=refused,
        url=report_url(period),
        message=_("The report of RP%(number)s was submitted to the agency.")
        % {"number": period.number},
    )


def _review(request, project_id: int, number: int, step, success: str):
    """An officer's decision on the submitted report, with comments (and, approving it, the
    decision on each work package); ``success`` is the message once it is recorded."""
    period = page_period(request, project_id, number)
    page_check(can_review_report, request, period.project)
    form = approval_form(period, report_page_state(request, period), request.POST)

    def decide():
        comments = form.cleaned_data["comments"]
        if step is services.report_approve:
            return step(
                period=period, user=request.user, comments=comments, decisions=form.decisions()
            )
        return step(period=period, user=request.user, comments=comments)

    return submit(
        request,
        form,
        decide,
        refused=lambda refusal: _report_page(
            request, period, status=refusal.status, review_form=form, alert=refusal.conflict
        ),
        url=report_url(period),
        message=success % {"number": period.number},
    )


@login_required
@require_POST
def report_approve(request, project_id: int, number: int):
    """The officer approves the submitted report (``report_approve``)."""
    return _review(
        request,
        project_id,
        number,
        services.report_approve,
        _("The report of RP%(number)s is approved."),
    )


@login_required
@require_POST
def report_request_changes(request, project_id: int, number: int):
    """The officer sends the report back with the changes it needs
    (``report_request_changes``)."""
    return _review(
        request,
        project_id,
        number,
        services.report_request_changes,
        _("The report of RP%(number)s was sent back to the consortium with your comments."),
    )


def report_page_state(request, period):
    """The period's report and what its review decides on (``period_state``)."""
    return period_state(period=period, report=report_of(period))


@login_required
@require_POST
def report_request_information(request, project_id: int, number: int):
    """The officer asks the consortium for information (``report_request_information``)."""
    period = page_period(request, project_id, number)
    page_check(can_request_information, request, period.project)
    form = InformationRequestForm(request.POST)
    return submit(
        request,
        form,
        lambda: services.report_request_information(
            period=period, user=request.user, message=form.cleaned_data["message"]
        ),
        refused=lambda refusal: _report_page(
            request, period, status=refusal.status, information_form=form, alert=refusal.conflict
        ),
        url=report_url(period, "suspensions"),
        message=_(
            "Your request for information was sent; the payment deadline of RP%(number)s is "
            "suspended until the answer."
        )
        % {"number": period.number},
    )


@login_required
@require_POST
def report_answer_information(request, project_id: int, number: int):
    """The managers answer the officer's request for information
    (``report_answer_information``)."""
    period = page_period(request, project_id, number)
    page_check(can_answer_information, request, period.project)
    form = InformationAnswerForm(request.POST)
    return submit(
        request,
        form,
        lambda: services.report_answer_information(
            period=period, user=request.user, answer=form.cleaned_data["answer"]
        ),
        refused=lambda refusal: _report_page(
            request, period, status=refusal.status, answer_form=form, alert=refusal.conflict
        ),
        url=report_url(period, "suspensions"),
        message=_("Your answer was sent to the officer."),
    )


@login_required
@require_GET
def report_version(request, project_id: int, number: int, k: int):
    """One submission of the report exactly as it was sent (read only)."""
    period = page_period(request, project_id, number)
    version = version_get(period=period, number=k)
    if version is None:
        raise Http404
    content = version.content or {}
    return render(
        request,
        "frontend/reports/version.html",
        {
            "project": period.project,
            "period": period,
            "version": version,
            "content": content,
            "declarations": _dated(content.get("declarations", []), "completed_on"),
            "deliverables": _dated(
                content.get("deliverables", []), "due_on", "delivered_on", "approved_on"
            ),
        },
    )


def _dated(items: list[dict], *names: str) -> list[dict]:
    """A frozen version's items with their ISO dates read back as dates (to be shown with
    their project month)."""
    return [
        {
            **item,
            **{
                name: datetime.date.fromisoformat(item[name]) if item.get(name) else None
                for name in names
            },
        }
        for item in items
    ]


REPORT = "projects/<int:project_id>/reports/<int:number>/"

urlpatterns = [
    path("projects/<int:project_id>/reports/", reports, name="reports"),
    path(REPORT, report, name="report"),
    path(f"{REPORT}save/", report_save, name="report_save"),
    path(f"{REPORT}work-packages/<int:wp_number>/", report_declare, name="report_declare"),
    path(f"{REPORT}justifications/<int:deliverable_id>/", report_justify, name="report_justify"),
    path(f"{REPORT}submit/", report_submit, name="report_submit"),
    path(f"{REPORT}approve/", report_approve, name="report_approve"),
    path(f"{REPORT}request-changes/", report_request_changes, name="report_request_changes"),
    path(
        f"{REPORT}request-information/",
        report_request_information,
        name="report_request_information",
    ),
    path(
        f"{REPORT}answer-information/",
        report_answer_information,
        name="report_answer_information",
    ),
    path(f"{REPORT}versions/<int:k>/", report_version, name="report_version"),
]
