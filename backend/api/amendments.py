"""HTTP API for amendment requests: thin views that look the request up, call a selector or a
service, and render. Refusals: a project (or a draft) out of sight is 404, a step the user may
not take is 403 with the reason, invalid input is 400 naming each field, a step out of order is
409; none of them writes anything."""

from django.http import Http404
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.amendments.models import AmendmentStatus, ChangeKind, Initiator
from backend.amendments.permissions import (
    can_answer_information,
    can_decide,
    can_propose,
    can_request_information,
    can_try_changes,
    can_withdraw,
)
from backend.amendments.selectors import (
    amendment_get,
    amendment_list,
    amendment_what_if,
    changes_what_if,
    information_request_get,
)
from backend.amendments.services import (
    amendment_approve,
    amendment_create,
    amendment_reject,
    amendment_submit,
    amendment_update,
    amendment_withdraw,
    information_request_answer,
    information_request_create,
    step_check,
)
from backend.amendments.validation import PIC_PATTERN, ChangeInput, shape_errors
from backend.amendments.whatif import what_if_as_dict
from backend.api.concurrency import (
    ETAG,
    IF_MATCH,
    PRECONDITION_FAILED,
    if_match,
    precondition_failed,
    with_etag,
)
from backend.api.errors import PathErrorSerializer, PathErrorsSerializer
from backend.api.fields import TextField
from backend.api.grants import TimelineEntrySerializer, VerdictSerializer
from backend.api.idempotency import idempotent
from backend.api.lookups import (
    check_permission,
    parsed,
    request_body,
    request_language,
    visible_project,
)
from backend.api.pagination import PageNumberPagination
from backend.common.concurrency import StaleVersion
from backend.common.dates import brussels_today
from backend.grants.models import OrgType

# -- input -------------------------------------------------------------------------------------


def _types_field(help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=OrgType.choices),
        required=False,
        allow_null=True,
        allow_empty=False,
        help_text=help_text,
    )


class ChangeListSerializer(serializers.ListSerializer):
    # A null list of changes is as missing as an absent one.
    default_error_messages = {"null": gettext_lazy("This field is required.")}


class ChangeInputSerializer(serializers.Serializer):
    """One change of a consortium, taking effect on ``effective_on``. The fields by kind:

    - add_beneficiary, add_associated_partner: pic, short_name; legal_name, country and types
      when the system does not know the PIC (if given for a known PIC they must match it);
    - add_affiliated_entity: the same, and affiliated_to;
    - terminate_participation, change_coordinator: participant;
    - change_organisation_country: participant, country;
    - change_organisation_types: participant, types.
    """

    kind = serializers.ChoiceField(choices=ChangeKind.choices)
    effective_on = serializers.DateField(
        help_text="The date the change takes effect (YYYY-MM-DD), within the project's life. "
        "For a termination it is the last day of the participation."
    )
    participant = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="The short name of the participant a termination, a change of coordinator (the "
        "new coordinator) or an organisation change is about.",
    )
    pic = serializers.RegexField(
        PIC_PATTERN,
        required=False,
        allow_null=True,
        allow_blank=True,
        error_messages={"invalid": gettext_lazy("A PIC is exactly 9 digits.")},
        help_text="Additions: the organisation's PIC (9 digits).",
    )
    legal_name = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=300,
        help_text="Additions: needed when the system does not know the PIC yet.",
    )
    short_name = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=50,
        help_text="Additions: the newcomer's short name in the project (unique in it).",
    )
    country = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Additions: the organisation's country (ISO 3166-1 alpha-2), needed when the "
        "PIC is new; change_organisation_country: its new country.",
    )
    types = _types_field(
        "Additions: the organisation's types, needed when the PIC is new; "
        "change_organisation_types: its new types."
    )
    affiliated_to = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Affiliated entities: the short name of the beneficiary or coordinator.",
    )
    initiated_by = serializers.ChoiceField(
        choices=Initiator.choices,
        required=False,
        allow_null=True,
        help_text="terminate_participation: who asked for it, the consortium (default) or the "
        "agency; it sets the deadline of the termination reports.",
    )
    details = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text="Changes of the grant as a whole (change_duration, change_lump_sum_breakdown, "
        "change_work_plan): what they change, as the README's amendment section describes "
        "for each kind.",
    )

    class Meta:
        list_serializer_class = ChangeListSerializer

    def validate(self, attrs) -> ChangeInput:
        change = ChangeInput(**attrs)
        errors = shape_errors(change)
        if errors:
            raise serializers.ValidationError(errors)
        return change


class AmendmentInputSerializer(serializers.Serializer):
    justification = TextField(
        required=False,
        allow_blank=True,
        default="",
        missing_is_blank=True,
        help_text="Why the consortium asks for the changes; needed to submit.",
    )
    changes = ChangeInputSerializer(many=True)


class WhatIfInputSerializer(serializers.Serializer):
    changes = ChangeInputSerializer(many=True)


class ApproveInputSerializer(serializers.Serializer):
    note = TextField(required=False, allow_blank=True, default="", missing_is_blank=True)
    override_justification = TextField(
        required=False,
        allow_blank=True,
        allow_null=True,
        default=None,
        help_text="Needed, and recorded, when the changes leave the consortium in breach on "
        "any day from the earliest effective date to the project's end.",
    )


class RejectInputSerializer(serializers.Serializer):
    # Required, but the service says so ("Say why the request is rejected.").
    note = TextField(missing_is_blank=True, help_text="Why the request is rejected.")


class WithdrawInputSerializer(serializers.Serializer):
    note = TextField(
        required=False,
        allow_blank=True,
        default="",
        missing_is_blank=True,
        help_text="Why the consortium withdraws the request (optional).",
    )


class QuestionInputSerializer(serializers.Serializer):
    # Required, but the service says so ("Say what information is needed.").
    question = TextField(missing_is_blank=True, help_text="The information the agency needs.")


class AnswerInputSerializer(serializers.Serializer):
    # Required, but the service says so ("Give the information asked for.").
    answer = TextField(missing_is_blank=True, help_text="The consortium's answer.")


# -- output ------------------------------------------------------------------------------------


class WhatIfSerializer(serializers.Serializer):
    effective_on = serializers.DateField(help_text="The earliest effective date of the changes.")
    verdict_before = VerdictSerializer(help_text="On the effective date, without the changes.")
    verdict = VerdictSerializer(help_text="On the effective date, with the changes.")
    changes_over_time = TimelineEntrySerializer(
        many=True,
        help_text="With the changes: the effective date and every later date up to the "
        "project's end on which the verdict changes.",
    )
    breach_dates = serializers.ListField(
        child=serializers.DateField(),
        help_text="The dates of changes_over_time from which the consortium would be in "
        "breach; approving then needs an override justification.",
    )
    end_date_before = serializers.DateField(help_text="The action's last day as recorded.")
    end_date_after = serializers.DateField(
        help_text="The action's last day with the changes (a change of duration, a termination)."
    )
    notes = serializers.ListField(
        child=serializers.CharField(),
        help_text="What the officer should know before deciding, e.g. a duration above the "
        "call's maximum.",
    )
    money = serializers.JSONField(
        allow_null=True,
        help_text="Changes of the grant as a whole: the maximum grant, each instalment (due "
        "date and projected amount) and each participant's lump-sum shares, before and after; "
        "null when the changes touch no money.",
    )


class ChangeOutputSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    kind = serializers.CharField()
    effective_on = serializers.DateField()
    participant = serializers.CharField(source="participation.short_name", allow_null=True)
    participation_id = serializers.IntegerField(allow_null=True)
    pic = serializers.CharField()
    legal_name = serializers.CharField()
    short_name = serializers.CharField()
    country = serializers.SerializerMethodField(
        help_text="An addition's country, or an organisation's new country."
    )
    types = serializers.SerializerMethodField(
        help_text="An addition's types, or an organisation's new types."
    )
    affiliated_to = serializers.CharField(source="affiliated_to.short_name", allow_null=True)
    initiated_by = serializers.SerializerMethodField(
        help_text="A termination: who asked for it, the consortium or the agency; null for "
        "the other kinds."
    )
    details = serializers.JSONField(allow_null=True)

    def get_initiated_by(self, change) -> str | None:
        if change.kind != ChangeKind.TERMINATE_PARTICIPATION:
            return None
        return change.initiated_by

    def get_country(self, change) -> str | None:
        return change.country_id or change.new_country_id

    def get_types(self, change) -> list[str] | None:
        return change.types if change.new_types is None else change.new_types


class InformationRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    question = serializers.CharField()
    asked_at = serializers.DateTimeField()
    asked_by = serializers.CharField(source="asked_by.username")
    answer = serializers.CharField(help_text="Empty while the question is open.")
    answered_at = serializers.DateTimeField(allow_null=True)
    answered_by = serializers.CharField(source="answered_by.username", allow_null=True)
    paused_days = serializers.IntegerField(
        allow_null=True,
        help_text="The Brussels days from the question to its answer, by which the decision "
        "date moved on; null while the question is open.",
    )


class AmendmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.IntegerField(source="project_id")
    status = serializers.CharField()
    justification = serializers.CharField()
    changes = ChangeOutputSerializer(many=True, source="changes.all")
    created_by = serializers.CharField(source="created_by.username")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    submitted_by = serializers.CharField(source="submitted_by.username", allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    decision_due_on = serializers.DateField(
        allow_null=True,
        help_text="The last day for the agency's decision: the Brussels date of submission plus "
        "the rule set's decision days (45 by default), plus the days each answered request for "
        "information stood open; null for a request never submitted.",
    )
    deemed_rejected = serializers.SerializerMethodField(
        help_text="Submitted, no decision by decision_due_on, and no question open: it counts "
        "as rejected."
    )
    awaiting_information = serializers.SerializerMethodField(
        help_text="Submitted, and the agency's question is not answered yet: the decision "
        "period stands still."
    )
    information_requests = InformationRequestSerializer(
        many=True,
        source="information_requests.all",
        help_text="The agency's questions, oldest first.",
    )
    withdrawn_by = serializers.CharField(source="withdrawn_by.username", allow_null=True)
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField()
    override_justification = serializers.CharField(
        help_text="Why the officer approved although the consortium is left in breach."
    )
    version = serializers.IntegerField(
        help_text="Raised by every save (the ETag of its read); send it as If-Match to update "
        "only what was read."
    )

    def get_deemed_rejected(self, amendment) -> bool:
        return amendment.is_deemed_rejected(self.context["today"])

    def get_awaiting_information(self, amendment) -> bool:
        return amendment.status == AmendmentStatus.SUBMITTED and amendment.awaiting_information


class AmendmentDetailSerializer(AmendmentSerializer):
    what_if = WhatIfSerializer(
        allow_null=True,
        help_text="What the changes would do, as the record stands now; null for a decided "
        "request (or one whose changes no longer fit the record, see problems).",
    )
    problems = PathErrorSerializer(
        many=True, help_text="Why the stored changes no longer fit the record, if they do not."
    )


# -- helpers -----------------------------------------------------------------------------------


def _amendment(request, project, amendment_id: int):
    amendment = amendment_get(user=request.user, project=project, amendment_id=amendment_id)
    if amendment is None:
        raise Http404
    return amendment


def _detail(request, project, amendment_id: int, *, status_code=status.HTTP_200_OK) -> Response:
    """A request as the user sees it now, with its what-if."""
    amendment = _amendment(request, project, amendment_id)
    result, problems = amendment_what_if(amendment)
    amendment.what_if = (
        None if result is None else what_if_as_dict(result, request_language(request))
    )
    amendment.problems = [problem.as_dict() for problem in problems]
    data = AmendmentDetailSerializer(amendment, context={"today": brussels_today()}).data
    return with_etag(Response(data, status=status_code), amendment.version)


NOT_FOUND = OpenApiResponse(description="No such project or request, or not visible to the user")
FORBIDDEN = OpenApiResponse(description="The user may not take this step (the reason is given)")
CONFLICT = OpenApiResponse(description="The request's status does not allow this step")
INVALID_EXAMPLE = OpenApiExample(
    "Invalid change",
    status_codes=["400"],
    response_only=True,
    value={
        "detail": "The amendment request was not saved.",
        "errors": [
            {
                "path": "changes[1].effective_on",
                "message": "The project starts on 2024-03-01; a change cannot take effect before.",
            }
        ],
    },
)


# -- views -------------------------------------------------------------------------------------


STEP_RESPONSES = {
    200: AmendmentDetailSerializer,
    400: PathErrorsSerializer,
    403: FORBIDDEN,
    404: NOT_FOUND,
    409: CONFLICT,
}


def _transition(
    request,
    project_id: int,
    amendment_id: int,
    check,
    step: str,
    take,
    *,
    status_code=status.HTTP_200_OK,
):
    """Load the request, check the user may take the step and that its status allows it now
    (409), then read the input and take the step (``take``; 400 naming the fields); answer with
    the request."""
    project = visible_project(request, project_id)
    amendment = _amendment(request, project, amendment_id)
    check_permission(check, request, project)
    step_check(amendment, step)
    take(amendment)
    return _detail(request, project, amendment_id, status_code=status_code)


class AmendmentListApi(APIView):
    # Lets drf-spectacular describe the paginated envelope of the list response.
    pagination_class = PageNumberPagination
    invalid_detail = gettext_lazy("The amendment request was not saved.")

    @extend_schema(
        operation_id="amendments_list",
        summary="A project's amendment requests (drafts only for its managers), newest first",
        responses={200: AmendmentSerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request, project_id: int):
        project = visible_project(request, project_id)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(
            amendment_list(user=request.user, project=project), request, view=self
        )
        data = AmendmentSerializer(page, many=True, context={"today": brussels_today()}).data
        return paginator.get_paginated_response(data)

    @idempotent
    @extend_schema(
        operation_id="amendments_create",
        summary="Draft an amendment request (project managers); the answer carries its what-if",
        description="Nothing is saved if any change is invalid. The what-if in the answer is "
        "computed, never stored.",
        request=AmendmentInputSerializer,
        responses={
            201: AmendmentDetailSerializer,
            400: PathErrorsSerializer,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        examples=[INVALID_EXAMPLE],
    )
    def post(self, request, project_id: int):
        project = visible_project(request, project_id)
        check_permission(can_propose, request, project)
        data = parsed(AmendmentInputSerializer, request_body(request))
        amendment = amendment_create(project=project, user=request.user, **data)
        return _detail(request, project, amendment.pk, status_code=status.HTTP_201_CREATED)


class AmendmentWhatIfApi(APIView):
    invalid_detail = gettext_lazy("The changes are not valid.")

    @extend_schema(
        operation_id="amendments_what_if",
        summary="What changes would do to the consortium; nothing is saved",
        request=WhatIfInputSerializer,
        responses={
            200: WhatIfSerializer,
            400: PathErrorsSerializer,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def post(self, request, project_id: int):
        project = visible_project(request, project_id)
        check_permission(can_try_changes, request, project)
        data = parsed(WhatIfInputSerializer, request_body(request))
        result = changes_what_if(project=project, changes=data["changes"])
        return Response(what_if_as_dict(result, request_language(request)))


class AmendmentDetailApi(APIView):
    invalid_detail = gettext_lazy("The amendment request was not saved.")

    @extend_schema(
        operation_id="amendments_retrieve",
        summary="An amendment request with its what-if",
        parameters=[ETAG],
        responses={200: AmendmentDetailSerializer, 404: NOT_FOUND},
    )
    def get(self, request, project_id: int, amendment_id: int):
        return _detail(request, visible_project(request, project_id), amendment_id)

    @extend_schema(
        operation_id="amendments_update",
        summary="Replace a draft's justification and changes (project managers)",
        request=AmendmentInputSerializer,
        parameters=[IF_MATCH, ETAG],
        responses={**STEP_RESPONSES, 412: PRECONDITION_FAILED},
        examples=[INVALID_EXAMPLE],
    )
    def put(self, request, project_id: int, amendment_id: int):
        # The body is read only once the project, the request, the permission and the
        # request's status are checked.
        try:
            return _transition(
                request,
                project_id,
                amendment_id,
                can_propose,
                "update",
                lambda amendment: amendment_update(
                    request=amendment,
                    user=request.user,
                    **parsed(AmendmentInputSerializer, request_body(request)),
                    expected_version=if_match(request),
                ),
            )
        except StaleVersion as stale:
            return precondition_failed(stale)


class AmendmentSubmitApi(APIView):
    invalid_detail = gettext_lazy("The amendment request was not submitted.")

    @extend_schema(
        operation_id="amendments_submit",
        summary="Submit a draft to the agency (project managers); the 45 days start",
        request=None,
        responses=STEP_RESPONSES,
    )
    def post(self, request, project_id: int, amendment_id: int):
        return _transition(
            request,
            project_id,
            amendment_id,
            can_propose,
            "submit",
            lambda amendment: amendment_submit(request=amendment, user=request.user),
        )


class AmendmentApproveApi(APIView):
    invalid_detail = gettext_lazy("The amendment request was not approved.")

    @idempotent
    @extend_schema(
        operation_id="amendments_approve",
        summary="Approve a submitted request and apply all its changes (agency officers)",
        request=ApproveInputSerializer,
        responses=STEP_RESPONSES,
    )
    def post(self, request, project_id: int, amendment_id: int):
        return _transition(
            request,
            project_id,
            amendment_id,
            can_decide,
            "approve",
            lambda amendment: amendment_approve(
                request=amendment,
                user=request.user,
                **parsed(ApproveInputSerializer, request_body(request)),
            ),
        )


class AmendmentRejectApi(APIView):
    invalid_detail = gettext_lazy("The amendment request was not rejected.")

    @extend_schema(
        operation_id="amendments_reject",
        summary="Reject a submitted request with a note (agency officers)",
        request=RejectInputSerializer,
        responses=STEP_RESPONSES,
    )
    def post(self, request, project_id: int, amendment_id: int):
        return _transition(
            request,
            project_id,
            amendment_id,
            can_decide,
            "reject",
            lambda amendment: amendment_reject(
                request=amendment,
                user=request.user,
                **parsed(RejectInputSerializer, request_body(request)),
            ),
        )


class AmendmentWithdrawApi(APIView):
    invalid_detail = gettext_lazy("The amendment request was not withdrawn.")

    @extend_schema(
        operation_id="amendments_withdraw",
        summary="Withdraw a draft or a submitted request (project managers)",
        description="The request is closed with no decision. A decided request cannot be "
        "withdrawn (409).",
        request=WithdrawInputSerializer,
        responses=STEP_RESPONSES,
    )
    def post(self, request, project_id: int, amendment_id: int):
        return _transition(
            request,
            project_id,
            amendment_id,
            can_withdraw,
            "withdraw",
            lambda amendment: amendment_withdraw(
                request=amendment,
                user=request.user,
                **parsed(WithdrawInputSerializer, request_body(request)),
            ),
        )


class InformationRequestListApi(APIView):
    invalid_detail = gettext_lazy("The question was not sent.")

    @extend_schema(
        operation_id="amendments_information_requests_create",
        summary="Ask the consortium for information on a submitted request (agency officers); "
        "the decision period stands still until the answer",
        description="One question is open at a time (409 while one is); a request whose "
        "decision period is over counts as rejected and cannot be asked about (409). The answer "
        "is the request, with the question in information_requests.",
        request=QuestionInputSerializer,
        responses={
            **{code: answer for code, answer in STEP_RESPONSES.items() if code != 200},
            201: AmendmentDetailSerializer,
        },
    )
    def post(self, request, project_id: int, amendment_id: int):
        return _transition(
            request,
            project_id,
            amendment_id,
            can_request_information,
            "ask",
            lambda amendment: information_request_create(
                request=amendment,
                user=request.user,
                **parsed(QuestionInputSerializer, request_body(request)),
            ),
            status_code=status.HTTP_201_CREATED,
        )


class InformationAnswerApi(APIView):
    invalid_detail = gettext_lazy("The answer was not saved.")

    @extend_schema(
        operation_id="amendments_information_requests_answer",
        summary="Answer the agency's question (project managers); the decision date moves on "
        "by the days the question stood open",
        request=AnswerInputSerializer,
        responses=STEP_RESPONSES,
    )
    def post(self, request, project_id: int, amendment_id: int, information_id: int):
        project = visible_project(request, project_id)
        information = information_request_get(
            user=request.user,
            project=project,
            amendment_id=amendment_id,
            information_id=information_id,
        )
        if information is None:
            raise Http404
        check_permission(can_answer_information, request, project)
        step_check(information.request, "answer")
        information_request_answer(
            information=information,
            user=request.user,
            **parsed(AnswerInputSerializer, request_body(request)),
        )
        return _detail(request, project, amendment_id)
