"""The consortium area: who takes part and whether the consortium meets its call's composition
rules (with the rules' own explanations), and amendment requests with a live what-if.

The pages ask the same selectors, rules and services as the API (backend/grants/apis.py for the
eligibility, backend/amendments/apis.py for the requests) and refuse the same people: a project
or a draft out of sight is a 404, a step the user may not take a 403 with the reason.

The live what-if is an htmx partial answered with status 200 whatever the input: its errors
are inside it (in the panel, and out of band at each change row), so htmx swaps it without any
swap configuration. Full-page form posts answer 400 (bad input) or 409 (a step out of order)
with the form re-shown as typed.
"""

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from backend.amendments.kinds import handler_for
from backend.amendments.models import PROJECT_LEVEL, AmendmentStatus, ChangeKind
from backend.amendments.permissions import can_decide, can_propose, can_try_changes
from backend.amendments.selectors import (
    amendment_context,
    amendment_get,
    amendment_list,
    amendment_what_if,
    change_as_input,
    changes_what_if,
)
from backend.amendments.services import (
    amendment_approve,
    amendment_create,
    amendment_reject,
    amendment_submit,
    amendment_update,
)
from backend.amendments.whatif import breached_rules, breaches
from backend.common.concurrency import StaleVersion
from backend.common.dates import brussels_today
from backend.grants.eligibility.engine import BREACH, PASS
from backend.grants.eligibility.messages import rule_label, verdict_as_dict
from backend.grants.models import OrgType, ParticipationRole, ProgrammeStatus
from backend.grants.rules import country_status_on
from backend.grants.selectors import eligibility_on, project_eligibility
from frontend.access import page_check, page_project
from frontend.consortium.forms import (
    Annex1Form,
    Annex2Form,
    ApproveForm,
    Choices,
    PlanGrid,
    RejectForm,
    ShareGrid,
    bound_builder,
    initial_builder,
    rearranged_builder,
    rearranging,
    stored_rows,
)
from frontend.forms import Refusal, attempt, submit
from frontend.presenters import AMENDMENT_STATUS, VERDICT
from frontend.reports.forms import with_version

_PATH_ROW = "changes["


# -- how verdicts are shown -------------------------------------------------------------------


def _text(value) -> str:
    """A rule's required or found value as text: a number, a list of codes, or a dash."""
    if value is None or value == []:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


def _status(status: str) -> dict:
    return {
        "status": status,
        "status_label": VERDICT.label(status),
        "status_class": VERDICT.css_class(status),
    }


def verdict_view(verdict, language: str) -> dict:
    """A verdict as the templates show it: the backend's own words for each rule (in the
    user's language), with each rule's label, status text and colour."""
    data = verdict_as_dict(verdict, language)
    results = []
    for result in data["results"]:
        reasons = result["details"].get("reasons", {})
        results.append(
            {
                "rule": result["rule"],
                "label": rule_label(result["rule"]),
                **_status(result["status"]),
                "required": _text(result["required"]),
                "found": _text(result["found"]),
                "participants": result["participants"],
                "message": result["message"],
                "reasons": [
                    (key, texts.get(language, texts["en"])) for key, texts in reasons.items()
                ],
            }
        )
    return {
        "as_of": verdict.as_of,
        "reference_date": verdict.reference_date,
        "ruleset": verdict.ruleset,
        **_status(verdict.status),
        "results": results,
        "by_rule": {result["rule"]: result for result in results},
    }


def timeline_view(entries, language: str) -> list[dict]:
    rows = []
    for entry in entries:
        verdict = verdict_view(entry.verdict, language)
        rows.append(
            {
                "starts_on": entry.starts_on,
                "verdict": verdict,
                "not_passed": [r for r in verdict["results"] if r["status"] != PASS],
            }
        )
    return rows


def what_if_view(result, language: str) -> dict:
    """The what-if as a table of rules: without the changes on their effective date, and with
    them from that date and each later date the verdict changes; rules that would turn into a
    breach are marked."""
    before = verdict_view(result["verdict_before"], language)
    stretches = timeline_view(result["changes_over_time"], language)
    order = list(before["by_rule"])
    for stretch in stretches:
        order.extend(rule for rule in stretch["verdict"]["by_rule"] if rule not in order)
    rows = []
    for rule in order:
        was = before["by_rule"].get(rule)
        cells = [stretch["verdict"]["by_rule"].get(rule) for stretch in stretches]
        rows.append(
            {
                "label": rule_label(rule),
                "before": was,
                "after": cells,
                "turns_breach": (was is None or was["status"] != BREACH)
                and any(cell and cell["status"] == BREACH for cell in cells),
            }
        )
    for stretch in stretches:
        stretch["changed"] = [
            r
            for r in stretch["verdict"]["results"]
            if before["by_rule"].get(r["rule"], {}).get("status") != r["status"]
        ]
    return {
        "effective_on": result["effective_on"],
        "before": before,
        "stretches": stretches,
        "rows": rows,
        "any_changed": any(stretch["changed"] for stretch in stretches),
        "breaches": [
            {
                "starts_on": entry.starts_on,
                "rules": ", ".join(rule_label(rule) for rule in breached_rules(entry.verdict)),
            }
            for entry in breaches(result)
        ],
    }


def error_lines(errors) -> list[str]:
    """Service errors with paths as sentences: "Change 2: ..." for a change's error."""
    lines = []
    for error in errors:
        if error.path.startswith(_PATH_ROW) and "]" in error.path:
            number = error.path[len(_PATH_ROW) : error.path.index("]")]
            if number.isdigit():
                lines.append(
                    _("Change %(number)s: %(message)s")
                    % {"number": int(number) + 1, "message": error.message}
                )
                continue
        lines.append(error.message)
    return lines


# -- the consortium ---------------------------------------------------------------------------


@login_required
def consortium(request, project_id: int):
    """The participants, the verdict today with each rule's explanation, and the timeline."""
    project = page_project(request, project_id)
    eligibility = project_eligibility(
        user=request.user, project_id=project.pk, as_of=brussels_today()
    )
    if eligibility is None:
        raise Http404
    members, verdict = eligibility.consortium, eligibility.verdict
    language = get_language()
    view = verdict_view(verdict, language)
    counted = set(verdict.result("min_full_partners").participants)
    roles = dict(ParticipationRole.choices)
    types = dict(OrgType.choices)
    statuses = dict(ProgrammeStatus.choices)
    participants = []
    for member in members.participants:
        status = country_status_on(
            members.countries.get(member.country, ()), view["reference_date"]
        )
        participants.append(
            {
                "member": member,
                "role": roles.get(member.role, member.role),
                "types": [types.get(code, code) for code in sorted(member.types)],
                "country_status": statuses.get(status, status),
                "counted": member.key in counted,
            }
        )
    return render(
        request,
        "frontend/consortium/consortium.html",
        {
            "project": project,
            "participants": participants,
            "verdict": view,
            "timeline": timeline_view(eligibility.timeline(), language),
        },
    )


# -- amendment requests -----------------------------------------------------------------------


@login_required
def amendments(request, project_id: int):
    project = page_project(request, project_id)
    return render(
        request,
        "frontend/consortium/amendments.html",
        {
            "project": project,
            "amendments": [
                {
                    "item": item,
                    "status_class": AMENDMENT_STATUS.css_class(item.status),
                    "deemed_rejected": item.is_deemed_rejected(brussels_today()),
                }
                for item in amendment_list(user=request.user, project=project)
            ],
            "may_propose": can_propose(request.user, project)[0],
        },
    )


def _builder_page(request, project, context, builder, *, status=200, **extra):
    """The builder's form (alone, for htmx) or its whole page, with today's verdict."""
    values = {
        "project": project,
        "builder": builder,
        "form_action": extra.pop(
            "form_action", reverse("frontend:amendment_builder", args=[project.pk])
        ),
        **extra,
    }
    if request.htmx:
        return render(request, "frontend/consortium/_amendment_form.html", values, status=status)
    today = eligibility_on(context.consortium, context.rules, brussels_today())
    values["today"] = verdict_view(today.verdict, get_language())
    return render(request, "frontend/consortium/builder.html", values, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def amendment_builder(request, project_id: int):
    """A new request: GET the form, POST to save it as a draft (or to add or remove a row)."""
    project = page_project(request, project_id)
    page_check(can_propose, request, project)
    context = amendment_context(project_id=project.pk)
    choices = Choices.from_context(context)
    if request.method == "GET":
        return _builder_page(request, project, context, initial_builder(rows=[{}], choices=choices))
    if rearranging(request.POST):
        return _builder_page(request, project, context, rearranged_builder(request.POST, choices))
    builder = bound_builder(request.POST, choices)
    return submit(
        request,
        builder,
        lambda: amendment_create(
            project=project,
            user=request.user,
            justification=builder.justification,
            changes=builder.changes(),
        ),
        refused=lambda refusal: _builder_page(
            request, project, context, builder, status=refusal.status, conflict=refusal.conflict
        ),
        url=lambda created: reverse("frontend:amendment", args=[project.pk, created.pk]),
        message=_("The amendment request was saved as a draft."),
    )


def _amendment_or_404(request, project, amendment_id: int):
    item = amendment_get(user=request.user, project=project, amendment_id=amendment_id)
    if item is None:
        raise Http404
    return item


def _change_rows(item) -> list[dict]:
    """A request's changes as the page lists them: who or what each is about."""
    types = dict(OrgType.choices)
    kinds = dict(ChangeKind.choices)
    rows = []
    for change in item.changes.all():
        values = change_as_input(change)
        rows.append(
            {
                **values,
                "kind": kinds.get(change.kind, change.kind),
                "subject": values["participant"] or values["short_name"] or "",
                "types": ", ".join(str(types.get(code, code)) for code in values["types"] or []),
                "detail_lines": _detail_lines(change.kind, change.details),
            }
        )
    return rows


def _detail_lines(kind: str, details) -> list[str]:
    """What a change of the grant as a whole changes, one line per item (an Annex 2 change:
    each work package's new shares; the maximum grant)."""
    if not details:
        return []
    if kind == ChangeKind.CHANGE_LUMP_SUM_BREAKDOWN:
        lines = [
            _("WP%(number)s: %(shares)s")
            % {
                "number": number,
                "shares": ", ".join(f"{key} EUR {amount}" for key, amount in shares.items()),
            }
            for number, shares in details.get("work_packages", {}).items()
        ]
        if details.get("max_grant_eur"):
            lines.append(_("Maximum grant: EUR %(amount)s") % {"amount": details["max_grant_eur"]})
        return lines
    if kind == ChangeKind.CHANGE_WORK_PLAN:
        lines = []
        for section, key in (
            ("work_packages", "number"),
            ("deliverables", "code"),
            ("milestones", "code"),
        ):
            for entry in details.get(section, ()):
                name = f"WP{entry[key]}" if section == "work_packages" else entry[key]
                if entry.get("remove"):
                    lines.append(_("%(item)s: removed") % {"item": name})
                else:
                    values = ", ".join(
                        f"{field} {value}" for field, value in entry.items() if field != key
                    )
                    lines.append(f"{name}: {values}")
        return lines
    return [f"{key}: {value}" for key, value in details.items()]


def money_view(money) -> dict | None:
    """The money what-if as the templates show it: each beneficiary's shares before and after
    (those that change first), each instalment before and after, and an increase of the
    maximum grant marked for the officer's review (edge case 27)."""
    if not money:
        return None
    beneficiaries = sorted(
        money["beneficiaries"], key=lambda row: row["difference"] in ("0.00", "-0.00")
    )
    return {
        **money,
        "beneficiaries": beneficiaries,
        "max_grant_changes": money["max_grant_before"] != money["max_grant_after"],
        "review": Decimal(money["max_grant_after"]) > Decimal(money["max_grant_before"]),
    }


def _amendment_page(request, project, item, *, status=200, builder=None, **extra):
    """A request as the user sees it: its changes, its what-if as the record stands now, the
    draft's form for those who edit it, the decision forms for those who decide."""
    language = get_language()
    today = brussels_today()
    may_edit = item.status == AmendmentStatus.DRAFT and can_propose(request.user, project)[0]
    may_decide = item.status == AmendmentStatus.SUBMITTED and can_decide(request.user, project)[0]
    result, problems = amendment_what_if(item)
    whole_grant = any(change.kind in PROJECT_LEVEL for change in item.changes.all())
    values = {
        "project": project,
        "item": item,
        "status_class": AMENDMENT_STATUS.css_class(item.status),
        "deemed_rejected": item.is_deemed_rejected(today),
        "what_if": None if result is None else what_if_view(result, language),
        "money": None if result is None else money_view(result.get("money")),
        # A change of the grant as a whole is not edited in the rows of the consortium's.
        "edits_rows": may_edit and not whole_grant,
        "problems": error_lines(problems),
        "may_edit": may_edit,
        "may_decide": may_decide,
        "form_action": reverse("frontend:amendment", args=[project.pk, item.pk]),
        "changes": _change_rows(item),
        "approve_form": extra.pop("approve_form", None) or ApproveForm(prefix="approve"),
        "reject_form": extra.pop("reject_form", None) or RejectForm(prefix="reject"),
        "refusal_lines": error_lines(extra.pop("refusals", [])),
        **extra,
    }
    if may_edit and not whole_grant:
        context = amendment_context(project_id=project.pk)
        values["builder"] = builder or initial_builder(
            item.justification,
            stored_rows([change_as_input(change) for change in item.changes.all()]),
            Choices.from_context(context),
            version=item.version,
        )
        eligibility = eligibility_on(context.consortium, context.rules, today)
        values["today"] = verdict_view(eligibility.verdict, language)
    return render(request, "frontend/consortium/amendment.html", values, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def amendment(request, project_id: int, amendment_id: int):
    """A request; POST changes a draft (the API's PUT)."""
    project = page_project(request, project_id)
    item = _amendment_or_404(request, project, amendment_id)
    if request.method == "GET":
        return _amendment_page(request, project, item)
    page_check(can_propose, request, project)
    form_action = reverse("frontend:amendment", args=[project.pk, item.pk])
    context = amendment_context(project_id=project.pk)
    choices = Choices.from_context(context)
    if rearranging(request.POST):
        builder = rearranged_builder(request.POST, choices)
        if request.htmx:
            return _builder_page(request, project, context, builder, form_action=form_action)
        return _amendment_page(request, project, item, builder=builder)
    builder = bound_builder(request.POST, choices)

    def refused(refusal: Refusal):
        shown, stale = builder, isinstance(refusal.refused, StaleVersion)
        if stale:
            # What was typed, with the current version: saving again replaces it knowingly.
            shown = bound_builder(with_version(request.POST, refusal.refused.current), choices)
            shown.is_valid()
        return _amendment_page(
            request,
            project,
            item,
            status=refusal.status,
            builder=shown,
            conflict=refusal.conflict,
            stale=stale,
        )

    return submit(
        request,
        builder,
        lambda: amendment_update(
            request=item,
            user=request.user,
            justification=builder.justification,
            changes=builder.changes(),
            expected_version=builder.form.cleaned_data.get("version"),
        ),
        refused=refused,
        url=form_action,
        message=_("The draft was saved."),
    )


def _step(request, project_id: int, amendment_id: int, check, take, done: str, not_done: str):
    """Load the request, check the user may take the step, take it; a refusal re-shows the
    request with the reason (409 for a step out of order, 400 for what is missing)."""
    project = page_project(request, project_id)
    item = _amendment_or_404(request, project, amendment_id)
    page_check(check, request, project)
    return submit(
        request,
        None,
        lambda: take(item),
        refused=lambda refusal: _amendment_page(
            request,
            project,
            item,
            status=refusal.status,
            conflict=refusal.conflict,
            refused="" if refusal.conflict else not_done,
            refusals=refusal.unplaced,
        ),
        url=reverse("frontend:amendment", args=[project.pk, item.pk]),
        message=done,
    )


@login_required
@require_POST
def amendment_submit_view(request, project_id: int, amendment_id: int):
    return _step(
        request,
        project_id,
        amendment_id,
        can_propose,
        lambda item: amendment_submit(request=item, user=request.user),
        _("The amendment request was submitted to the agency."),
        _("The amendment request was not submitted."),
    )


def _decision(request, project_id, amendment_id, form_class, form_key, take, done, not_done):
    """An officer's decision; every field of its form is optional: the service says what is
    missing, at the field."""
    project = page_project(request, project_id)
    item = _amendment_or_404(request, project, amendment_id)
    page_check(can_decide, request, project)
    form = form_class(request.POST, prefix=form_key.removesuffix("_form"))
    return submit(
        request,
        form,
        lambda: take(item, form.cleaned_data),
        refused=lambda refusal: _amendment_page(
            request,
            project,
            item,
            status=refusal.status,
            conflict=refusal.conflict,
            refused="" if refusal.conflict else not_done,
            **{form_key: form},
        ),
        url=reverse("frontend:amendment", args=[project.pk, item.pk]),
        message=done,
    )


@login_required
@require_POST
def amendment_approve_view(request, project_id: int, amendment_id: int):
    return _decision(
        request,
        project_id,
        amendment_id,
        ApproveForm,
        "approve_form",
        lambda item, data: amendment_approve(
            request=item,
            user=request.user,
            note=data.get("note", ""),
            override_justification=data.get("override_justification") or None,
        ),
        _("The amendment request was approved; its changes are in the grant record."),
        _("The amendment request was not approved."),
    )


@login_required
@require_POST
def amendment_reject_view(request, project_id: int, amendment_id: int):
    return _decision(
        request,
        project_id,
        amendment_id,
        RejectForm,
        "reject_form",
        lambda item, data: amendment_reject(
            request=item, user=request.user, note=data.get("note", "")
        ),
        _("The amendment request was rejected."),
        _("The amendment request was not rejected."),
    )


# -- the live what-if -------------------------------------------------------------------------


def _tried(project, builder):
    """The what-if of the builder's changes; None while it has none."""
    changes = builder.changes()
    return changes_what_if(project=project, changes=changes) if changes else None


@login_required
@require_POST
def amendment_what_if_view(request, project_id: int):
    """The builder's rows tried out (nothing is saved): the verdict with the changes beside the
    one without, or each row's errors at the row. Always 200, so htmx swaps it."""
    project = page_project(request, project_id)
    page_check(can_try_changes, request, project)
    builder = bound_builder(request.POST)
    managed = builder.rows.management_form.is_valid()
    result, refusal = attempt(builder, lambda: _tried(project, builder))
    values = {
        "project": project,
        "what_if": None if result is None else what_if_view(result, get_language()),
        # Nothing to try yet: no row, or rows without a change.
        "hint": not managed or (refusal is None and result is None),
    }
    row_errors = builder.row_errors() if managed else {}
    values["general"] = [str(e) for e in builder.form.non_field_errors()]
    values["row_errors"] = [
        {"prefix": row.prefix, "number": index + 1, "lines": row_errors.get(index, [])}
        for index, row in enumerate(builder.rows.forms)
    ]
    values["has_errors"] = bool(row_errors or values["general"])
    return render(request, "frontend/consortium/_what_if.html", values)


# -- Annex 2: the lump-sum breakdown -----------------------------------------------------------


def _share_grid(project) -> ShareGrid:
    return ShareGrid.from_record(handler_for(ChangeKind.CHANGE_LUMP_SUM_BREAKDOWN).load(project.pk))


def _annex2_page(request, project, form, *, status=200, **extra):
    return render(
        request,
        "frontend/consortium/annex2.html",
        {"project": project, "form": form, "grid": form.grid, **extra},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def annex2_builder(request, project_id: int):
    """A new Annex 2 request: GET the grid of shares, POST to save it as a draft."""
    project = page_project(request, project_id)
    page_check(can_propose, request, project)
    grid = _share_grid(project)
    if request.method == "GET":
        return _annex2_page(request, project, Annex2Form(grid=grid))
    form = Annex2Form(request.POST, grid=grid)
    return submit(
        request,
        form,
        lambda: amendment_create(
            project=project,
            user=request.user,
            justification=form.justification_text,
            changes=[form.as_change()],
        ),
        refused=lambda refusal: _annex2_page(
            request, project, form, status=refusal.status, conflict=refusal.conflict
        ),
        url=lambda created: reverse("frontend:amendment", args=[project.pk, created.pk]),
        message=_("The amendment request was saved as a draft."),
    )


@login_required
@require_POST
def annex2_what_if_view(request, project_id: int):
    """The grid's changed shares tried out (nothing is saved): each beneficiary's shares and
    each instalment before and after, or the errors. Always 200, so htmx swaps it."""
    project = page_project(request, project_id)
    page_check(can_try_changes, request, project)
    form = Annex2Form(request.POST, grid=_share_grid(project))
    result, refusal = attempt(
        form, lambda: changes_what_if(project=project, changes=[form.as_change()])
    )
    return render(
        request,
        "frontend/consortium/_annex2_what_if.html",
        {
            "project": project,
            "money": None if result is None else money_view(result.get("money")),
            "tried": result is not None,
            "errors": form.error_lines() if refusal is not None else [],
        },
    )


# -- Annex 1: the work plan --------------------------------------------------------------------


def _annex1_page(request, project, form, *, status=200, **extra):
    return render(
        request,
        "frontend/consortium/annex1.html",
        {"project": project, "form": form, **extra},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def annex1_builder(request, project_id: int):
    """A new Annex 1 request: GET the work plan as recorded, POST to save the differences as a
    draft (its what-if is on the request's page)."""
    project = page_project(request, project_id)
    page_check(can_propose, request, project)
    grid = PlanGrid.read(project.pk)
    if request.method == "GET":
        return _annex1_page(request, project, Annex1Form(grid=grid))
    form = Annex1Form(request.POST, grid=grid)
    return submit(
        request,
        form,
        lambda: amendment_create(
            project=project,
            user=request.user,
            justification=form.justification_text,
            changes=[form.as_change()],
        ),
        refused=lambda refusal: _annex1_page(
            request, project, form, status=refusal.status, conflict=refusal.conflict
        ),
        url=lambda created: reverse("frontend:amendment", args=[project.pk, created.pk]),
        message=_("The amendment request was saved as a draft."),
    )


urlpatterns = [
    path("projects/<int:project_id>/consortium/", consortium, name="consortium"),
    path("projects/<int:project_id>/amendments/", amendments, name="amendments"),
    path("projects/<int:project_id>/amendments/new/", amendment_builder, name="amendment_builder"),
    path(
        "projects/<int:project_id>/amendments/what-if/",
        amendment_what_if_view,
        name="amendment_what_if",
    ),
    path(
        "projects/<int:project_id>/amendments/new/annex-2/",
        annex2_builder,
        name="annex2_builder",
    ),
    path(
        "projects/<int:project_id>/amendments/new/annex-1/",
        annex1_builder,
        name="annex1_builder",
    ),
    path(
        "projects/<int:project_id>/amendments/annex-2/what-if/",
        annex2_what_if_view,
        name="annex2_what_if",
    ),
    path(
        "projects/<int:project_id>/amendments/<int:amendment_id>/",
        amendment,
        name="amendment",
    ),
    path(
        "projects/<int:project_id>/amendments/<int:amendment_id>/submit/",
        amendment_submit_view,
        name="amendment_submit",
    ),
    path(
        "projects/<int:project_id>/amendments/<int:amendment_id>/approve/",
        amendment_approve_view,
        name="amendment_approve",
    ),
    path(
        "projects/<int:project_id>/amendments/<int:amendment_id>/reject/",
        amendment_reject_view,
        name="amendment_reject",
    ),
]
