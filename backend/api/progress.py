"""HTTP API for progress summaries: one project's, and a portfolio's."""

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.errors import PathErrorsSerializer
from backend.api.lookups import parsed
from backend.api.pagination import PageNumberPagination
from backend.common.dates import brussels_today
from backend.reporting.progress import ProjectsNotVisible, project_progress_get
from monitoring.summaries import portfolio_progress_read, progress_summaries

CLUSTER_RULE = (
    "A work package in several activity clusters counts in each of them, with its "
    "deliverables; a milestone counts once per cluster even if several of the cluster's work "
    "packages share it. The totals count every item once."
)
COMPLETION_RULE = (
    "A work package counts as completed when the coordinator declared it completed in a "
    "periodic report that was submitted or approved (completed_declared); completed_approved "
    "counts only those whose report the officer approved."
)
OVERDUE_RULE = (
    "A deliverable is overdue when it is pending or draft and its due date has passed (in "
    "Brussels); a milestone when it is not achieved and the end of its due month has passed."
)
CHECKED_RULE = (
    "The portfolio's figures are each project's as it was last checked (a check runs on every "
    "change to the project and in the daily sweep), so that the answer costs the same "
    "whatever the number of projects; a project never checked counts nothing yet."
)

# -- input -------------------------------------------------------------------------------------


class PortfolioFilterSerializer(serializers.Serializer):
    project = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        help_text="Only these projects (repeat the parameter: ?project=3&project=7).",
    )


# -- output ------------------------------------------------------------------------------------


class DeliverableCountsSerializer(serializers.Serializer):
    pending = serializers.IntegerField()
    draft = serializers.IntegerField()
    submitted = serializers.IntegerField()
    accepted = serializers.IntegerField()
    total = serializers.IntegerField()
    overdue = serializers.IntegerField(help_text="Pending or draft, and past the due date.")


class MilestoneCountsSerializer(serializers.Serializer):
    achieved = serializers.IntegerField()
    total = serializers.IntegerField()
    overdue = serializers.IntegerField(help_text="Not achieved, and past the due month's end.")


class WorkPackageCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    completed_declared = serializers.IntegerField(
        help_text="Declared completed in a submitted or approved periodic report."
    )
    completed_approved = serializers.IntegerField(
        help_text="Declared completed in an approved periodic report."
    )


class SummarySerializer(serializers.Serializer):
    deliverables = DeliverableCountsSerializer()
    milestones = MilestoneCountsSerializer()
    work_packages = WorkPackageCountsSerializer()


class ClusterProgressSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    summary = SummarySerializer()


class WorkPackageRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    title = serializers.CharField()
    clusters = serializers.ListField(child=serializers.CharField(), help_text="Cluster codes.")


class WorkPackageProgressSerializer(serializers.Serializer):
    work_package = WorkPackageRefSerializer()
    summary = SummarySerializer()


class ProjectRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    acronym = serializers.CharField()


class ProjectProgressSerializer(serializers.Serializer):
    project = ProjectRefSerializer()
    as_of = serializers.DateField(help_text="The day (in Brussels) the dates are judged on.")
    totals = SummarySerializer()
    clusters = ClusterProgressSerializer(many=True, help_text=CLUSTER_RULE)
    work_packages = WorkPackageProgressSerializer(many=True)


class PortfolioProjectSerializer(serializers.Serializer):
    project = ProjectRefSerializer()
    summary = SummarySerializer()


class PortfolioProgressSerializer(serializers.Serializer):
    as_of = serializers.DateField(help_text="The day (in Brussels) the dates are judged on.")
    totals = SummarySerializer(help_text="Over every project of the portfolio (not the page).")
    clusters = ClusterProgressSerializer(
        many=True, help_text="Over every project of the portfolio (not the page). " + CLUSTER_RULE
    )
    count = serializers.IntegerField(help_text="The number of projects.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = PortfolioProjectSerializer(many=True, help_text="One page of projects, by acronym.")


# -- views -------------------------------------------------------------------------------------


class ProjectProgressApi(APIView):
    @extend_schema(
        operation_id="projects_progress",
        summary="How far the project has got, per work package, per activity cluster and in "
        "total (whoever can see the project)",
        description=f"{OVERDUE_RULE} {COMPLETION_RULE} {CLUSTER_RULE}",
        responses={
            200: ProjectProgressSerializer,
            404: OpenApiResponse(description="No such project, or not visible to the user"),
        },
    )
    def get(self, request, project_id: int):
        today = brussels_today()
        found = project_progress_get(user=request.user, project_id=project_id, today=today)
        if found is None:
            raise Http404
        project, progress = found
        data = {
            "project": project,
            "as_of": today,
            "totals": progress.totals,
            "clusters": progress.clusters,
            "work_packages": progress.work_packages,
        }
        return Response(ProjectProgressSerializer(data).data)


class PortfolioProgressApi(APIView):
    # The answer carries the page of projects in its own envelope (see the serializer).
    pagination_class = PageNumberPagination
    invalid_detail = gettext_lazy("The filters are not valid.")

    @extend_schema(
        operation_id="portfolio_progress",
        summary="The progress of every project you can see, summed per activity cluster and "
        "in total, with one line per project (paginated over the projects)",
        description=f"{OVERDUE_RULE} {COMPLETION_RULE} {CLUSTER_RULE} {CHECKED_RULE}",
        parameters=[
            PortfolioFilterSerializer,
            OpenApiParameter("page", int, description="A page number."),
            OpenApiParameter("page_size", int, description="Projects per page (at most 200)."),
        ],
        responses={
            200: PortfolioProgressSerializer,
            400: OpenApiResponse(
                PathErrorsSerializer, description="A malformed filter, or a project you cannot see"
            ),
        },
        examples=[
            OpenApiExample(
                "Unknown project",
                status_codes=["400"],
                response_only=True,
                value={
                    "detail": "The filters are not valid.",
                    "errors": [
                        {"path": "project", "message": "No project you can see has the id 99."}
                    ],
                },
            )
        ],
    )
    def get(self, request):
        filters = parsed(PortfolioFilterSerializer, request.query_params)
        today = brussels_today()
        try:
            portfolio = portfolio_progress_read(
                user=request.user, project_ids=filters.get("project")
            )
        except ProjectsNotVisible as missing:
            raise ValidationError(
                {
                    "project": [
                        _("No project you can see has the id %(id)s.") % {"id": project_id}
                        for project_id in missing.ids
                    ]
                }
            ) from None
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(portfolio.projects, request, view=self)
        # The page's own lines only, as each project was last checked.
        summaries = progress_summaries([project.pk for project in page])
        data = {
            "as_of": today,
            "totals": portfolio.summed.totals,
            "clusters": portfolio.summed.clusters,
            "count": paginator.page.paginator.count,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "results": [{"project": project, "summary": summaries[project.pk]} for project in page],
        }
        return Response(PortfolioProgressSerializer(data).data)
