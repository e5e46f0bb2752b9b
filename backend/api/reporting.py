"""HTTP API for periodic reports: thin views that look the project and period up, parse the
input, call one selector or service, and render.

Refusals: a project, period, work package, participation or deliverable out of sight (or of
another project) is 404, and so is another organisation's draft contribution; a step the user
may not take is 403 with the reason; invalid input is 400 naming each field; a step the report's
state does not allow is 409 (a refused submission lists every blocker). None of them writes
anything."""

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.concurrency import (
    ETAG,
    IF_MATCH,
    PRECONDITION_FAILED,
    if_match,
    precondition_failed,
    with_etag,
)
from backend.api.errors import PathErrorsSerializer
from backend.api.idempotency import idempotent
from backend.api.lookups import check_permission, parsed, request_body, visible_project
from backend.api.pagination import PageNumberPagination
from backend.common.concurrency import StaleVersion, current_version
from backend.common.dates import brussels_today
from backend.reporting.models import (
    ReportVersion,
    SuspensionReason,
    VersionDecision,
    WorkPackageDecision,
)
from backend.reporting.permissions import (
    can_answer_information,
    can_compose_report,
    can_request_information,
    can_review_report,
    can_waive_completion,
)
from backend.reporting.rules import (
    COMMENT_MAX_LENGTH,
    ENTRY_TEXT_MAX_LENGTH,
    JUSTIFICATION_MAX_LENGTH,
    TECHNICAL_PART_MAX_LENGTH,
)
from backend.reporting.selectors import (
    NOT_STARTED,
    REPORT_STATUS_FILTERS,
    ContributionView,
    ReportDetail,
    contribution_get,
    deliverable_get,
    participation_get,
    period_get,
    report_detail,
    report_list,
    report_of,
    version_get,
    version_list,
    work_package_get,
)
from backend.reporting.services import (
    SubmissionBlocked,
    completion_waive,
    contribution_lock,
    contribution_save,
    contribution_unlock,
    declaration_save,
    justification_save,
    report_answer_information,
    report_approve,
    report_request_changes,
    report_request_information,
    report_submit,
    report_update,
)
from backend.reporting.state import Lateness, ReportState, report_lateness, report_state

# -- input ---------------------------------------------------------------------------------------


class ReportListFilterSerializer(serializers.Serializer):
    # A plain string, not a choice: drf-spectacular would name its enum after "status", which
    # several other enums of the API are named after too.
    status = serializers.CharField(
        required=False,
        help_text="not_started (nobody wrote to the report yet), draft, submitted, "
        "changes_requested or approved.",
    )

    def validate_status(self, value: str) -> str:
        if value not in REPORT_STATUS_FILTERS:
            raise serializers.ValidationError(
                _('"%(value)s" is not allowed; use one of: %(allowed)s.')
                % {"value": value, "allowed": ", ".join(REPORT_STATUS_FILTERS)}
            )
        return value


class ReportInputSerializer(serializers.Serializer):
    technical_part = serializers.CharField(
        allow_blank=True,
        max_length=TECHNICAL_PART_MAX_LENGTH,
        help_text="The coordinator's account of the period's work.",
    )


class EntryInputSerializer(serializers.Serializer):
    work_package = serializers.IntegerField(help_text="The work package's number, e.g. 3.")
    activities = serializers.CharField(
        required=False, allow_blank=True, max_length=ENTRY_TEXT_MAX_LENGTH
    )
    outputs = serializers.CharField(
        required=False, allow_blank=True, max_length=ENTRY_TEXT_MAX_LENGTH
    )
    narrative = serializers.CharField(
        required=False, allow_blank=True, max_length=ENTRY_TEXT_MAX_LENGTH
    )


class ContributionInputSerializer(serializers.Serializer):
    entries = EntryInputSerializer(
        many=True, help_text="Replaces every entry; one per work package at most."
    )


class DeclarationInputSerializer(serializers.Serializer):
    completed = serializers.BooleanField()
    completed_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Required when completed; within the project and not after the period ends.",
    )
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=COMMENT_MAX_LENGTH, default=""
    )
    # Any number: the service says what is wrong with it (range, decimals, when allowed).
    completion_percent = serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        required=False,
        allow_null=True,
        default=None,
        help_text="Only for a work package not completed, in the final reporting period, where "
        "the project's call pays partial completion: the percentage done, above 0 and below "
        "100, at most 2 decimals. The final payment pays that share of its lump sum.",
    )


class JustificationInputSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=JUSTIFICATION_MAX_LENGTH, help_text="Why the deliverable is late."
    )


class WaiverInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=COMMENT_MAX_LENGTH,
        help_text="Why the work package may be declared completed without every deliverable "
        "accepted.",
    )


class WorkPackageDecisionInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=WorkPackageDecision.choices)
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=COMMENT_MAX_LENGTH,
        help_text="Why; required when the work package is rejected.",
    )
    # Any number: the service says what is wrong with it (range, decimals, when allowed).
    accepted_percent = serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        required=False,
        allow_null=True,
        help_text="Only in the final reporting period, where the project's call pays partial "
        "completion, for an accepted work package: the completion the officer accepts, from 0 "
        "to 100, at most 2 decimals (null: the declared one).",
    )


class ReportApproveInputSerializer(serializers.Serializer):
    comments = serializers.CharField(
        required=False, allow_blank=True, max_length=COMMENT_MAX_LENGTH, default=""
    )
    decisions = serializers.DictField(
        child=WorkPackageDecisionInputSerializer(),
        required=False,
        help_text="The officer's decision on each work package the report declares completed "
        '(or, final period, done to a percentage), keyed by its number: {"3": {"decision": '
        '"rejected", "reason": "..."}}. A work package not given is accepted; a decision on '
        "a work package the report does not declare completed is refused.",
    )


class ReportRequestInformationInputSerializer(serializers.Serializer):
    message = serializers.CharField(
        max_length=COMMENT_MAX_LENGTH, help_text="What information is needed (required)."
    )


class ReportAnswerInformationInputSerializer(serializers.Serializer):
    answer = serializers.CharField(
        max_length=COMMENT_MAX_LENGTH, help_text="The answer to the officer's request (required)."
    )


class ReportRequestChangesInputSerializer(serializers.Serializer):
    comments = serializers.CharField(
        max_length=COMMENT_MAX_LENGTH, help_text="What has to change (required)."
    )


# -- output --------------------------------------------------------------------------------------


class ReportSummarySerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="The reporting period's number.")
    start_month = serializers.IntegerField()
    end_month = serializers.IntegerField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    due_on = serializers.DateField(help_text="60 days after the period ends.")
    # Plain strings, not choices: several other enums of the API are named after "status".
    status = serializers.CharField(
        help_text="not_started while nobody has written to the report; then draft, "
        "submitted, changes_requested or approved."
    )
    overdue = serializers.BooleanField(
        help_text="The due date has passed (end of day, Brussels) and the report was never "
        "submitted."
    )
    submitted_at = serializers.DateTimeField(allow_null=True, help_text="Last submission.")
    first_submitted_at = serializers.DateTimeField(allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)


class EntrySerializer(serializers.Serializer):
    work_package = serializers.IntegerField()
    activities = serializers.CharField()
    outputs = serializers.CharField()
    narrative = serializers.CharField()


class ContributionSerializer(serializers.Serializer):
    participation_id = serializers.IntegerField()
    participant = serializers.CharField()
    status = serializers.CharField(
        help_text="not_started while nothing was written; then draft or locked."
    )
    updated_at = serializers.DateTimeField(allow_null=True)
    updated_by = serializers.CharField(allow_null=True)
    locked_at = serializers.DateTimeField(allow_null=True)
    locked_by = serializers.CharField(allow_null=True)
    entries = EntrySerializer(many=True)
    version = serializers.IntegerField(
        help_text="Raised by every save; 0 while nothing was written (the ETag of its read)."
    )


class DeclarationSerializer(serializers.Serializer):
    work_package = serializers.IntegerField()
    completed = serializers.BooleanField()
    completed_on = serializers.DateField(allow_null=True)
    completion_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        help_text="The percentage done of a work package not completed in the final period "
        "(where the call pays partial completion); else null.",
    )
    comment = serializers.CharField()
    declared_at = serializers.DateTimeField()
    declared_by = serializers.CharField(allow_null=True)
    decision = serializers.CharField(
        help_text='The officer\'s decision, taken when the report is approved: "accepted" or '
        '"rejected"; empty until then (and for a work package declared not completed).'
    )
    decision_reason = serializers.CharField()
    accepted_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        help_text="The completion the officer accepted in the final period (where the call pays "
        "partial completion), if it differs from the declared one; else null.",
    )
    decided_at = serializers.DateTimeField(allow_null=True)
    decided_by = serializers.CharField(allow_null=True)
    version = serializers.IntegerField(
        help_text="Raised by every save; send it as If-Match to declare over what was read."
    )


class WorkPackageStatusSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()
    start_month = serializers.IntegerField()
    end_month = serializers.IntegerField()
    declaration = DeclarationSerializer(allow_null=True, help_text="Null while not declared.")
    deliverables_not_accepted = serializers.ListField(
        child=serializers.CharField(),
        help_text="Codes; it can be declared completed only when none is left, or if waived.",
    )
    completion_waived = serializers.BooleanField()
    waiver_reason = serializers.CharField(allow_null=True)


class CompletionWarningSerializer(serializers.Serializer):
    work_package = serializers.IntegerField()
    deliverables = serializers.ListField(
        child=serializers.CharField(), help_text="The codes of its deliverables not accepted."
    )
    message = serializers.CharField()


class DeadlineSuspensionSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=SuspensionReason.choices)
    message = serializers.CharField(help_text="What the officer asked for.")
    started_on = serializers.DateField()
    ended_on = serializers.DateField(
        allow_null=True, help_text="Null while it runs: until resubmission, or the answer."
    )
    answer = serializers.CharField(help_text="The managers' answer to an information request.")


class LateDeliverableSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    title = serializers.CharField()
    work_package = serializers.IntegerField()
    due_on = serializers.DateField()
    status = serializers.CharField()
    justification = serializers.CharField(allow_null=True)


class BlockerSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=[
            "period_not_ended",
            "technical_part_missing",
            "contributions_in_draft",
            "work_packages_not_declared",
            "late_deliverables_unjustified",
        ]
    )
    message = serializers.CharField()


class SubmissionRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    blockers = BlockerSerializer(
        many=True,
        help_text="Everything that stops the submission; empty when the report is not a draft "
        "(nor sent back for changes).",
    )


class VersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    submitted_at = serializers.DateTimeField()
    submitted_by = serializers.CharField(allow_null=True)
    decision = serializers.ChoiceField(choices=VersionDecision.choices)
    decided_at = serializers.DateTimeField(allow_null=True)
    decided_by = serializers.CharField(allow_null=True)
    comments = serializers.CharField()


class VersionDetailSerializer(VersionSerializer):
    content = serializers.JSONField(
        help_text="The report exactly as submitted: period, technical part, locked "
        "contributions, declarations, justifications and the period's deliverables."
    )


class ReportDetailSerializer(ReportSummarySerializer):
    technical_part = serializers.CharField()
    submitted_by = serializers.CharField(allow_null=True)
    approved_by = serializers.CharField(allow_null=True)
    review_comments = serializers.CharField()
    contributions = ContributionSerializer(
        many=True, help_text="The contributions the user may see."
    )
    work_packages = WorkPackageStatusSerializer(
        many=True, help_text="The work packages this report declares completed or not."
    )
    late_deliverables = LateDeliverableSerializer(
        many=True, help_text="Due in the period and not submitted: each needs a justification."
    )
    blockers = BlockerSerializer(
        many=True, help_text="What stops the submission now (empty once it is submitted)."
    )
    warnings = CompletionWarningSerializer(
        many=True,
        help_text="Each work package declared completed while deliverables of it are not "
        "accepted (and no officer waived that).",
    )
    deadline_suspensions = DeadlineSuspensionSerializer(
        many=True,
        help_text="The stretches during which the agency's payment deadline did not run: from "
        "a request for changes to the resubmission, from a request for information to its "
        "answer. Oldest first.",
    )
    versions = VersionSerializer(many=True)


class WaiverSerializer(serializers.Serializer):
    work_package = serializers.IntegerField()
    reason = serializers.CharField()
    waived_at = serializers.DateTimeField()
    waived_by = serializers.CharField(allow_null=True)


class JustificationSerializer(serializers.Serializer):
    deliverable_id = serializers.IntegerField()
    code = serializers.CharField()
    text = serializers.CharField()
    updated_at = serializers.DateTimeField()
    updated_by = serializers.CharField(allow_null=True)


# -- rendering -----------------------------------------------------------------------------------


def _name(user) -> str | None:
    return None if user is None else user.get_username()


def _summary(period, lateness: Lateness) -> dict:
    report = report_of(period)
    return {
        "number": period.number,
        "start_month": period.start_month,
        "end_month": period.end_month,
        "start_date": period.start_date,
        "end_date": period.end_date,
        "due_on": lateness.due_on,
        "status": NOT_STARTED if report is None else report.status,
        "overdue": lateness.overdue,
        "submitted_at": report and report.submitted_at,
        "first_submitted_at": report and report.first_submitted_at,
        "approved_at": report and report.approved_at,
    }


def _contribution(view: ContributionView) -> dict:
    contribution = view.contribution
    return {
        "participation_id": view.participation.pk,
        "participant": view.participation.short_name,
        "status": view.status,
        "updated_at": contribution and contribution.updated_at,
        "updated_by": contribution and _name(contribution.updated_by),
        "locked_at": contribution and contribution.locked_at,
        "locked_by": contribution and _name(contribution.locked_by),
        "version": current_version(contribution),
        "entries": []
        if contribution is None
        else [
            {
                "work_package": entry.work_package.number,
                "activities": entry.activities,
                "outputs": entry.outputs,
                "narrative": entry.narrative,
            }
            for entry in contribution.entries.all()
        ],
    }


def _declaration(declaration) -> dict:
    return {
        "work_package": declaration.work_package.number,
        "completed": declaration.completed,
        "completed_on": declaration.completed_on,
        "completion_percent": declaration.completion_percent,
        "comment": declaration.comment,
        "declared_at": declaration.declared_at,
        "declared_by": _name(declaration.declared_by),
        "decision": declaration.decision,
        "decision_reason": declaration.decision_reason,
        "accepted_percent": declaration.accepted_percent,
        "decided_at": declaration.decided_at,
        "decided_by": _name(declaration.decided_by),
        "version": declaration.version,
    }


def _version(version: ReportVersion) -> dict:
    return {
        "number": version.number,
        "submitted_at": version.submitted_at,
        "submitted_by": _name(version.submitted_by),
        "decision": version.decision,
        "decided_at": version.decided_at,
        "decided_by": _name(version.decided_by),
        "comments": version.comments,
    }


def _detail(detail: ReportDetail, current: ReportState) -> dict:
    report, state = detail.report, detail.state
    work_packages = {wp.number: wp for wp in state.work_packages}
    return {
        **_summary(detail.period, current.lateness),
        "technical_part": report.technical_part if report else "",
        "submitted_by": report and _name(report.submitted_by),
        "approved_by": report and _name(report.approved_by),
        "review_comments": report.review_comments if report else "",
        "contributions": [
            _contribution(ContributionView(contribution.participation, contribution))
            for contribution in detail.contributions
        ],
        "work_packages": [
            {
                "number": number,
                "title": work_packages[number].title,
                "start_month": work_packages[number].start_month,
                "end_month": work_packages[number].end_month,
                "declaration": _declaration(state.declarations[number])
                if number in state.declarations
                else None,
                "deliverables_not_accepted": state.not_accepted(number),
                "completion_waived": number in state.waivers,
                "waiver_reason": state.waivers[number].reason if number in state.waivers else None,
            }
            for number in state.to_declare
        ],
        "late_deliverables": [
            {
                "id": deliverable.pk,
                "code": deliverable.code,
                "title": deliverable.title,
                "work_package": deliverable.work_package.number,
                "due_on": deliverable.due_on,
                "status": deliverable.status,
                "justification": state.justifications[deliverable.pk].text
                if deliverable.pk in state.justifications
                else None,
            }
            for deliverable in state.late
        ],
        "blockers": [blocker.as_dict() for blocker in current.blockers],
        "warnings": [warning.as_dict() for warning in state.warnings],
        "deadline_suspensions": [
            {
                "reason": suspension.reason,
                "message": suspension.message,
                "started_on": suspension.started_on,
                "ended_on": suspension.ended_on,
                "answer": suspension.answer,
            }
            for suspension in detail.suspensions
        ],
        "versions": [_version(version) for version in detail.versions],
    }


# -- lookups -------------------------------------------------------------------------------------


def _period(request, project_id: int, number: int):
    period = period_get(project=visible_project(request, project_id), number=number)
    if period is None:
        raise Http404
    return period


def _report_response(request, period) -> Response:
    """The period's report as the user sees it now (read again after a write)."""
    fresh = period_get(project=period.project, number=period.number)
    detail = report_detail(user=request.user, period=fresh, today=brussels_today())
    current = report_state(user=request.user, detail=detail, now=timezone.now())
    response = Response(ReportDetailSerializer(_detail(detail, current)).data)
    # The version of the report's own part (what PUT replaces), 0 before the first write.
    return with_etag(response, current_version(detail.report))


def _contribution_view(request, project_id: int, number: int, participation_id: int):
    """The period and the participation's contribution, 404 if either is out of sight."""
    period = _period(request, project_id, number)
    participation = participation_get(project=period.project, participation_id=participation_id)
    if participation is None:
        raise Http404
    view = contribution_get(user=request.user, period=period, participation=participation)
    if view is None:
        raise Http404
    return period, participation


def _contribution_response(request, period, participation) -> Response:
    """The contribution as the user sees it now (the period read again: a write may have
    created its report)."""
    fresh = period_get(project=period.project, number=period.number)
    view = contribution_get(user=request.user, period=fresh, participation=participation)
    response = Response(ContributionSerializer(_contribution(view)).data)
    return with_etag(response, current_version(view.contribution))


NOT_FOUND = OpenApiResponse(description="No such project, period or object, or not visible")
FORBIDDEN = OpenApiResponse(description="The user may not take this step (the reason is given)")
CONFLICT = OpenApiResponse(description="The report's (or object's) state does not allow this step")
BAD_FILTER = OpenApiResponse(PathErrorsSerializer, description="Bad filter")


def _responses(ok, *, created=False) -> dict:
    return {
        201 if created else 200: ok,
        400: PathErrorsSerializer,
        403: FORBIDDEN,
        404: NOT_FOUND,
        409: CONFLICT,
    }


def _checked_responses(ok) -> dict:
    """The answers of a write that takes If-Match: also 412 on a stale version."""
    return {**_responses(ok), 412: PRECONDITION_FAILED}


# -- views ---------------------------------------------------------------------------------------


class ReportListApi(APIView):
    # Lets drf-spectacular describe the paginated envelope of the list response.
    pagination_class = PageNumberPagination

    @extend_schema(
        operation_id="reports_list",
        summary="A project's periodic reports, one per reporting period",
        parameters=[ReportListFilterSerializer],
        responses={200: ReportSummarySerializer(many=True), 400: BAD_FILTER, 404: NOT_FOUND},
    )
    def get(self, request, project_id: int):
        project = visible_project(request, project_id)
        filters = parsed(ReportListFilterSerializer, request.query_params)
        periods = report_list(project=project, status=filters.get("status"))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(periods, request, view=self)
        now = timezone.now()
        data = ReportSummarySerializer(
            [_summary(period, report_lateness(period, now)) for period in page], many=True
        ).data
        return paginator.get_paginated_response(data)


class ReportDetailApi(APIView):
    @extend_schema(
        operation_id="reports_retrieve",
        summary="A period's report: technical part, contributions the user may see, status of "
        "work packages, late deliverables, what blocks its submission, versions",
        description="The ETag is the version of the report's own part (its technical part and "
        "status), which PUT checks against If-Match.",
        parameters=[ETAG],
        responses={200: ReportDetailSerializer, 404: NOT_FOUND},
    )
    def get(self, request, project_id: int, number: int):
        return _report_response(request, _period(request, project_id, number))

    @extend_schema(
        operation_id="reports_update",
        summary="Replace the report's technical part (project managers)",
        request=ReportInputSerializer,
        parameters=[IF_MATCH, ETAG],
        responses=_checked_responses(ReportDetailSerializer),
    )
    def put(self, request, project_id: int, number: int):
        period = _period(request, project_id, number)
        check_permission(can_compose_report, request, period.project)
        data = parsed(ReportInputSerializer, request_body(request))
        try:
            report_update(
                period=period,
                user=request.user,
                technical_part=data["technical_part"],
                expected_version=if_match(request),
            )
        except StaleVersion as stale:
            return precondition_failed(stale)
        return _report_response(request, period)


class ContributionApi(APIView):
    @extend_schema(
        operation_id="reports_contributions_retrieve",
        summary="An organisation's contribution to the report (drafts: its own organisation, "
        "managers and administrators only)",
        parameters=[ETAG],
        responses={200: ContributionSerializer, 404: NOT_FOUND},
    )
    def get(self, request, project_id: int, number: int, participation_id: int):
        period, participation = _contribution_view(request, project_id, number, participation_id)
        return _contribution_response(request, period, participation)

    @extend_schema(
        operation_id="reports_contributions_update",
        summary="Replace the entries of an organisation's draft contribution (its partner "
        "contacts; managers for the coordinator)",
        request=ContributionInputSerializer,
        parameters=[IF_MATCH, ETAG],
        responses=_checked_responses(ContributionSerializer),
        examples=[
            OpenApiExample(
                "Unknown work package",
                status_codes=["400"],
                response_only=True,
                value={
                    "detail": "The contribution was not saved.",
                    "errors": [
                        {
                            "path": "entries[1].work_package",
                            "message": "The project has no work package 9.",
                        }
                    ],
                },
            )
        ],
    )
    def put(self, request, project_id: int, number: int, participation_id: int):
        period, participation = _contribution_view(request, project_id, number, participation_id)
        try:
            contribution_save(
                period=period,
                participation=participation,
                user=request.user,
                entries=request_body(request).get("entries"),
                expected_version=if_match(request),
            )
        except StaleVersion as stale:
            return precondition_failed(stale)
        return _contribution_response(request, period, participation)


class ContributionLockApi(APIView):
    @extend_schema(
        operation_id="reports_contributions_lock",
        summary="Lock a contribution for review (who may write it)",
        request=None,
        responses=_responses(ContributionSerializer),
    )
    def post(self, request, project_id: int, number: int, participation_id: int):
        period, participation = _contribution_view(request, project_id, number, participation_id)
        contribution_lock(period=period, participation=participation, user=request.user)
        return _contribution_response(request, period, participation)


class ContributionUnlockApi(APIView):
    @extend_schema(
        operation_id="reports_contributions_unlock",
        summary="Return a locked contribution to draft so that it can be corrected (project "
        "managers)",
        request=None,
        responses=_responses(ContributionSerializer),
    )
    def post(self, request, project_id: int, number: int, participation_id: int):
        period, participation = _contribution_view(request, project_id, number, participation_id)
        contribution_unlock(period=period, participation=participation, user=request.user)
        return _contribution_response(request, period, participation)


class DeclarationApi(APIView):
    @extend_schema(
        operation_id="reports_work_packages_declare",
        summary="Declare a work package completed (with a date) or not in this period, in the "
        "final period with the percentage done where the call pays partial completion (project "
        "managers)",
        request=DeclarationInputSerializer,
        parameters=[IF_MATCH, ETAG],
        responses=_checked_responses(DeclarationSerializer),
    )
    def put(self, request, project_id: int, number: int, wp_number: int):
        period = _period(request, project_id, number)
        work_package = work_package_get(project=period.project, number=wp_number)
        if work_package is None:
            raise Http404
        check_permission(can_compose_report, request, period.project)
        data = parsed(DeclarationInputSerializer, request_body(request))
        try:
            declaration = declaration_save(
                period=period,
                work_package=work_package,
                user=request.user,
                completed=data["completed"],
                completed_on=data["completed_on"],
                comment=data["comment"],
                completion_percent=data["completion_percent"],
                expected_version=if_match(request),
            )
        except StaleVersion as stale:
            return precondition_failed(stale)
        response = Response(DeclarationSerializer(_declaration(declaration)).data)
        return with_etag(response, declaration.version)


class JustificationApi(APIView):
    @extend_schema(
        operation_id="reports_justifications_update",
        summary="Justify a deliverable due in the period and not submitted (project managers)",
        request=JustificationInputSerializer,
        responses=_responses(JustificationSerializer),
    )
    def put(self, request, project_id: int, number: int, deliverable_id: int):
        period = _period(request, project_id, number)
        deliverable = deliverable_get(project=period.project, deliverable_id=deliverable_id)
        if deliverable is None:
            raise Http404
        check_permission(can_compose_report, request, period.project)
        justification = justification_save(
            period=period,
            deliverable=deliverable,
            user=request.user,
            text=request_body(request).get("text"),
        )
        return Response(
            JustificationSerializer(
                {
                    "deliverable_id": deliverable.pk,
                    "code": deliverable.code,
                    "text": justification.text,
                    "updated_at": justification.updated_at,
                    "updated_by": _name(justification.updated_by),
                }
            ).data
        )


class ReportSubmitApi(APIView):
    # Any other 409 (not a draft, or a retry while the first request with its Idempotency-Key
    # runs) lists no blockers, in the same shape (backend/api/errors.py).
    conflict_fields = {"blockers": []}

    @idempotent
    @extend_schema(
        operation_id="reports_submit",
        summary="Submit the report to the agency (project managers); a frozen version is kept",
        request=None,
        responses={
            200: ReportDetailSerializer,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: OpenApiResponse(
                SubmissionRefusedSerializer,
                description="Not a draft (or changes requested), or blocked: every blocker is "
                "listed",
            ),
        },
    )
    def post(self, request, project_id: int, number: int):
        period = _period(request, project_id, number)
        try:
            report_submit(period=period, user=request.user)
        except SubmissionBlocked as blocked:
            return Response(
                {
                    "detail": blocked.message,
                    "blockers": [blocker.as_dict() for blocker in blocked.blockers],
                },
                status=status.HTTP_409_CONFLICT,
            )
        return _report_response(request, period)


class ReportApproveApi(APIView):
    @extend_schema(
        operation_id="reports_approve",
        summary="Approve the submitted report (the project's agency officers)",
        request=ReportApproveInputSerializer,
        responses=_responses(ReportDetailSerializer),
    )
    def post(self, request, project_id: int, number: int):
        period = _period(request, project_id, number)
        check_permission(can_review_report, request, period.project)
        body = request_body(request)
        report_approve(
            period=period,
            user=request.user,
            comments=body.get("comments"),
            decisions=body.get("decisions"),
        )
        return _report_response(request, period)


class ReportRequestChangesApi(APIView):
    @extend_schema(
        operation_id="reports_request_changes",
        summary="Send the submitted report back with the changes it needs (the project's agency "
        "officers)",
        request=ReportRequestChangesInputSerializer,
        responses=_responses(ReportDetailSerializer),
    )
    def post(self, request, project_id: int, number: int):
        period = _period(request, project_id, number)
        check_permission(can_review_report, request, period.project)
        report_request_changes(
            period=period, user=request.user, comments=request_body(request).get("comments")
        )
        return _report_response(request, period)


class ReportRequestInformationApi(APIView):
    @extend_schema(
        operation_id="reports_request_information",
        summary="Ask the consortium for information on the submitted report, which stays "
        "submitted; the agency's payment deadline is suspended until the answer (the project's "
        "agency officers)",
        request=ReportRequestInformationInputSerializer,
        responses=_responses(ReportDetailSerializer),
    )
    def post(self, request, project_id: int, number: int):
        period = _period(request, project_id, number)
        check_permission(can_request_information, request, period.project)
        report_request_information(
            period=period, user=request.user, message=request_body(request).get("message")
        )
        return _report_response(request, period)


class ReportAnswerInformationApi(APIView):
    @extend_schema(
        operation_id="reports_answer_information",
        summary="Answer the officer's request for information; the agency's payment deadline "
        "runs again (project managers)",
        request=ReportAnswerInformationInputSerializer,
        responses=_responses(ReportDetailSerializer),
    )
    def post(self, request, project_id: int, number: int):
        period = _period(request, project_id, number)
        check_permission(can_answer_information, request, period.project)
        report_answer_information(
            period=period, user=request.user, answer=request_body(request).get("answer")
        )
        return _report_response(request, period)


class VersionListApi(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(
        operation_id="reports_versions_list",
        summary="Every submission of the report, oldest first, with the officer's decision",
        responses={200: VersionSerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request, project_id: int, number: int):
        period = _period(request, project_id, number)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(version_list(period=period), request, view=self)
        data = VersionSerializer([_version(version) for version in page], many=True).data
        return paginator.get_paginated_response(data)


class VersionDetailApi(APIView):
    @extend_schema(
        operation_id="reports_versions_retrieve",
        summary="One submission of the report exactly as it was sent",
        responses={200: VersionDetailSerializer, 404: NOT_FOUND},
    )
    def get(self, request, project_id: int, number: int, k: int):
        period = _period(request, project_id, number)
        version = version_get(period=period, number=k)
        if version is None:
            raise Http404
        return Response(
            VersionDetailSerializer({**_version(version), "content": version.content}).data
        )


class WaiverApi(APIView):
    @idempotent
    @extend_schema(
        operation_id="work_packages_waiver_create",
        summary="Let a work package be declared completed without every deliverable accepted "
        "(the project's agency officers)",
        request=WaiverInputSerializer,
        responses=_responses(WaiverSerializer, created=True),
    )
    def post(self, request, project_id: int, wp_number: int):
        project = visible_project(request, project_id)
        work_package = work_package_get(project=project, number=wp_number)
        if work_package is None:
            raise Http404
        check_permission(can_waive_completion, request, project)
        waiver = completion_waive(
            work_package=work_package, user=request.user, reason=request_body(request).get("reason")
        )
        return Response(
            WaiverSerializer(
                {
                    "work_package": work_package.number,
                    "reason": waiver.reason,
                    "waived_at": waiver.waived_at,
                    "waived_by": _name(waiver.waived_by),
                }
            ).data,
            status=status.HTTP_201_CREATED,
        )
