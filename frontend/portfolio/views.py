"""The agency officer's pages: the portfolio compliance dashboard with its charts and exports,
a project's compliance page with the flags' triage, and the export of a project's
deliverables.

htmx: the portfolio's filters, sorting and paging swap only the table (``#portfolio-results``)
and push the URL; the triage forms swap the flag's row. Errors come back with their status
(400 bad input, 409 a flag already resolved) and htmx swaps them in all the same
(its ``responseHandling``, set once in ``base.html``), so they show in place.
Without JavaScript the forms post the whole page: a redirect (303) on success, the page with
the errors otherwise.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from backend.common.dates import brussels_today
from backend.payments.permissions import can_approve_instalment
from backend.workplan.rules import deliverable_is_overdue
from backend.workplan.selectors import deliverable_list
from frontend.access import officer_only, page_check, page_project
from frontend.forms import Refusal, is_partial, submit
from frontend.portfolio.exports import csv_response, filename, xlsx_response
from frontend.portfolio.forms import FlagNoteForm, PortfolioFilterForm
from frontend.templatetags.officer_labels import (
    instalment_name,
    instalment_status_label,
    rag_label,
    verdict_label,
)
from monitoring.dashboard import (
    portfolio_calls,
    portfolio_charts,
    portfolio_export,
    portfolio_page,
    project_compliance,
)
from monitoring.everything import portfolio_key
from monitoring.flags import flag_acknowledge, flag_resolve
from monitoring.models import Flag
from monitoring.permissions import can_triage_flag
from monitoring.selectors import flag_get

RESULTS_ID = "portfolio-results"


def _officers_only(request) -> None:
    if not officer_only(request.user):
        raise PermissionDenied(_("The portfolio is for agency officers and administrators."))


# -- the portfolio -------------------------------------------------------------------------------


def _chart_data(charts) -> dict:
    """What the charts draw, as JSON-ready values (amounts as strings, never floats)."""
    statuses = (
        ("pending", _("Pending")),
        ("draft", _("Draft")),
        ("submitted", _("Submitted")),
        ("accepted", _("Accepted")),
    )
    return {
        "open_flags": {
            "label": _("Open flags"),
            "labels": [week.week for week in charts.open_flags],
            "values": [week.open for week in charts.open_flags],
        },
        "deliverables": {
            "labels": [cluster.name for cluster in charts.deliverables],
            "datasets": [
                {
                    "key": key,
                    "label": label,
                    "data": [getattr(c.summary.deliverables, key) for c in charts.deliverables],
                }
                for key, label in statuses
            ],
        },
        "payments": {
            "labels": [month.month for month in charts.payments],
            "due_label": _("Due under the schedule (cumulative)"),
            "paid_label": _("Paid (cumulative)"),
            "due": [str(month.due) for month in charts.payments],
            "paid": [str(month.paid) for month in charts.payments],
        },
        # Each status in its one label and colour (backend.payments.statuses).
        "instalments": {
            "label": _("Instalments"),
            "labels": [row.label for row in charts.instalments],
            "values": [row.count for row in charts.instalments],
            "colours": [row.colour for row in charts.instalments],
        },
    }


# The portfolio table's columns: (key, label, sorted by, the order its header asks first).
COLUMNS = (
    ("acronym", _lazy("Project"), "acronym"),
    ("status", _lazy("Status"), "status"),
    ("flags", _lazy("Open flags"), "-flags"),
    ("critical", _lazy("Critical"), None),
    ("high", _lazy("High"), None),
    ("medium", _lazy("Medium"), None),
    ("low", _lazy("Low"), None),
    ("eligibility", _lazy("Eligibility"), None),
    ("due", _lazy("Next instalment"), "due"),
    ("overdue", _lazy("Overdue items"), None),
)
NUMERIC_COLUMNS = {"flags", "critical", "high", "medium", "low", "overdue"}


def _columns(request, current: str) -> list[dict]:
    """The table's headers: a sortable one links to the table sorted by it (the other way
    round when it is the current order), keeping the filters, from the first page."""
    columns = []
    for key, label, first in COLUMNS:
        url = aria_sort = None
        if first is not None:
            target = first
            if current.lstrip("-") == key:
                aria_sort = "descending" if current.startswith("-") else "ascending"
                target = current[1:] if current.startswith("-") else f"-{current}"
            query = request.GET.copy()
            query["sort"] = target
            query.pop("page", None)
            url = f"{reverse('frontend:portfolio')}?{query.urlencode()}"
        columns.append(
            {
                "label": label,
                "url": url,
                "aria_sort": aria_sort,
                "numeric": key in NUMERIC_COLUMNS,
            }
        )
    return columns


def _portfolio_response(request, form: PortfolioFilterForm):
    """The portfolio page (or its table, for htmx) for these filters; 400 with the form's
    errors when they are invalid."""
    context = {"form": form, "results_id": RESULTS_ID}
    status = 400
    # Which projects the user's kept figures are of: read once for the whole page.
    portfolio = portfolio_key(request.user)
    if form.is_valid():
        status = 200
        filters = form.filters()
        context["columns"] = _columns(request, filters.sort)
        context["page"] = portfolio_page(
            user=request.user,
            today=brussels_today(),
            filters=filters,
            page=request.GET.get("page"),
            portfolio=portfolio,
        )
    if is_partial(request):
        template = "frontend/portfolio/_portfolio_results.html"
    else:
        template = "frontend/portfolio/portfolio.html"
        charts = portfolio_charts(user=request.user, now=timezone.now(), portfolio=portfolio)
        context.update(charts=charts, chart_data=_chart_data(charts))
        form.offer_calls(portfolio_calls(user=request.user, portfolio=portfolio))
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_GET
def portfolio(request):
    """The projects of the officer's portfolio (every project for administrators), judged
    red, amber or green, filtered, sorted and paged; the charts on the full page only."""
    _officers_only(request)
    return _portfolio_response(request, PortfolioFilterForm(request.GET))


def _portfolio_export(request, write):
    """The portfolio table with the request's filters, every matching project, written by
    ``write(headers, rows)``; invalid filters show the portfolio with their errors."""
    _officers_only(request)
    form = PortfolioFilterForm(request.GET)
    if not form.is_valid():
        return _portfolio_response(request, form)
    rows = portfolio_export(user=request.user, today=brussels_today(), filters=form.filters())
    table = []
    for row in rows:
        flags = row.compliance.flags
        following = row.next_instalment
        table.append(
            [
                row.acronym,
                row.grant_agreement_number,
                row.call,
                rag_label(row.status),
                flags.critical,
                flags.high,
                flags.medium,
                flags.low,
                verdict_label(row.compliance.eligibility),
                row.compliance.overdue,
                instalment_name(following) if following else None,
                instalment_status_label(following.status) if following else None,
                following.due_on if following else None,
                following.amount if following else None,
            ]
        )
    headers = [
        _("Acronym"),
        _("Grant agreement number"),
        _("Call"),
        _("Status"),
        _("Critical flags"),
        _("High flags"),
        _("Medium flags"),
        _("Low flags"),
        _("Eligibility"),
        _("Overdue items"),
        _("Next instalment"),
        _("Next instalment status"),
        _("Next instalment due"),
        _("Next instalment amount (EUR)"),
    ]
    return write(headers, table)


@login_required
@require_GET
def portfolio_export_csv(request):
    name = filename("portfolio", brussels_today().isoformat(), extension="csv")
    return _portfolio_export(request, lambda headers, rows: csv_response(name, headers, rows))


@login_required
@require_GET
def portfolio_export_xlsx(request):
    name = filename("portfolio", brussels_today().isoformat(), extension="xlsx")
    return _portfolio_export(
        request, lambda headers, rows: xlsx_response(name, _("Portfolio"), headers, rows)
    )


# -- a project's compliance ----------------------------------------------------------------------


def _row(flag: Flag, *, ack=None, resolve=None, error: str = "") -> dict:
    """What a flag's row shows: the flag and its two triage forms (with their errors)."""
    return {
        "flag": flag,
        "ack": ack or FlagNoteForm(flag_id=flag.pk, action="ack"),
        "resolve": resolve or FlagNoteForm(flag_id=flag.pk, action="resolve"),
        "error": error,
    }


def _may_triage(user, project) -> bool:
    """The project's flags may be triaged by the user (the same check for each of them)."""
    return can_triage_flag(user, Flag(project=project))[0]


def _compliance_page(request, project, *, failed: dict | None = None, status: int = 200):
    data = project_compliance(user=request.user, project=project)
    rows = [
        failed if failed is not None and failed["flag"].pk == flag.pk else _row(flag)
        for flag in data.open_flags
    ]
    return render(
        request,
        "frontend/portfolio/compliance.html",
        {
            "project": project,
            "data": data,
            "rows": rows,
            "can_triage": _may_triage(request.user, project),
            # Who is asked for the decision an open breach calls for.
            "can_decide": can_approve_instalment(request.user, project)[0],
        },
        status=status,
    )


@login_required
@require_GET
def compliance_page(request, project_id: int):
    """Anyone who sees the project sees its compliance; the triage buttons are for those who
    may triage its flags."""
    project = page_project(request, project_id)
    return _compliance_page(request, project)


def _flag_to_triage(request, flag_id: int) -> Flag:
    """As the API: 404 for a flag out of sight, 403 with the reason for one the user may only
    look at, before the input is read."""
    flag = flag_get(user=request.user, flag_id=flag_id)
    if flag is None:
        raise Http404
    page_check(can_triage_flag, request, flag)
    return flag


def _flag_row(request, row: dict, *, status: int = 200, updated: bool = False):
    flag = row["flag"]
    return render(
        request,
        "frontend/portfolio/_flag_row.html",
        {"row": row, "project": flag.project, "can_triage": True, "updated": updated},
        status=status,
    )


def _triage(request, flag_id: int, action: str):
    flag = _flag_to_triage(request, flag_id)
    form = FlagNoteForm(request.POST, flag_id=flag.pk, action=action)
    service = flag_acknowledge if action == "ack" else flag_resolve

    def refused(refusal: Refusal):
        # A bad note is shown on the form it was typed in; a conflict beside the flag's state
        # as it is now.
        if refusal.conflict:
            row = _row(flag_get(user=request.user, flag_id=flag.pk), error=refusal.conflict)
        else:
            row = _row(flag, **{action: form})
        if is_partial(request):
            return _flag_row(request, row, status=refusal.status)
        return _compliance_page(request, row["flag"].project, failed=row, status=refusal.status)

    return submit(
        request,
        form,
        lambda: service(flag=flag, user=request.user, note=form.cleaned_data["note"]),
        refused=refused,
        url=reverse("frontend:project_compliance", args=[flag.project_id]),
        message=_("The flag is acknowledged.") if action == "ack" else _("The flag is resolved."),
        partial=lambda updated: _flag_row(request, _row(updated), updated=True),
    )


@login_required
@require_POST
def flag_acknowledge_view(request, flag_id: int):
    return _triage(request, flag_id, "ack")


@login_required
@require_POST
def flag_resolve_view(request, flag_id: int):
    return _triage(request, flag_id, "resolve")


# -- a project's deliverables, exported ----------------------------------------------------------


def _deliverables_table(request, project_id: int):
    """The project's deliverables (anyone who sees the project), in the work plan's order,
    as the file name's parts, the headers and the rows."""
    project = page_project(request, project_id)
    today = brussels_today()
    headers = [
        _("Code"),
        _("Title"),
        _("Work package"),
        _("Activity clusters"),
        _("Lead"),
        _("Due month"),
        _("Due date"),
        _("Status"),
        _("Delivered on"),
        _("Approved on"),
        _("Overdue"),
    ]
    rows = [
        [
            deliverable.code,
            deliverable.title,
            f"WP{deliverable.work_package.number}",
            ", ".join(str(cluster) for cluster in deliverable.work_package.clusters.all()),
            deliverable.lead.short_name,
            deliverable.due_month,
            deliverable.due_on,
            deliverable.get_status_display(),
            deliverable.delivered_on,
            deliverable.approved_on,
            _("yes")
            if deliverable_is_overdue(deliverable.status, deliverable.due_on, today)
            else _("no"),
        ]
        for deliverable in deliverable_list(project=project, today=today)
    ]
    name = (project.acronym, "deliverables", today.isoformat())
    return name, headers, rows


@login_required
@require_GET
def deliverables_export_csv(request, project_id: int):
    name, headers, rows = _deliverables_table(request, project_id)
    return csv_response(filename(*name, extension="csv"), headers, rows)


@login_required
@require_GET
def deliverables_export_xlsx(request, project_id: int):
    name, headers, rows = _deliverables_table(request, project_id)
    return xlsx_response(filename(*name, extension="xlsx"), _("Deliverables"), headers, rows)


urlpatterns = [
    path("portfolio/", portfolio, name="portfolio"),
    path("portfolio/export.csv", portfolio_export_csv, name="portfolio_export_csv"),
    path("portfolio/export.xlsx", portfolio_export_xlsx, name="portfolio_export_xlsx"),
    path("projects/<int:project_id>/compliance/", compliance_page, name="project_compliance"),
    path(
        "projects/<int:project_id>/deliverables/export.csv",
        deliverables_export_csv,
        name="deliverables_export_csv",
    ),
    path(
        "projects/<int:project_id>/deliverables/export.xlsx",
        deliverables_export_xlsx,
        name="deliverables_export_xlsx",
    ),
    path("flags/<int:flag_id>/acknowledge/", flag_acknowledge_view, name="flag_acknowledge"),
    path("flags/<int:flag_id>/resolve/", flag_resolve_view, name="flag_resolve"),
]
