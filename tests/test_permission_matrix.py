"""The permission matrix: every API endpoint, every method, every kind of user.

For each route under /api/v1/ and each HTTP method its view answers, MATRIX says what each role
gets: ``ok`` (the permission checks let the request through: any answer but 401, 403, 404, 405
or a server error; a 400 or 409 about the empty input or the object's state counts as let
through), or the exact refusal (401 anonymous, 403 may see but not do, 404 cannot see). A route
or method missing from the matrix fails ``test_every_api_endpoint_is_in_the_matrix``.

Each refusal's body is compared too (``refusal_problems``): a 401 or 403 says why, in words of
the permission check rather than a generic text, and a 404 says only that nothing was found,
without any of the project's data.

Two more sweeps: every project-scoped endpoint asked about another project by people on the
first project only, and every endpoint that names an object asked with the other project's
object under the first project's path: both must be 404 and show no data.

The projects are small grants built with factories (tests/conftest.py ``grant`` and
``other_grant``, with ``grant_users``); the requests are made in the grant's seventh month.
"""

import datetime
import re
from dataclasses import dataclass

import pytest
import time_machine
import yaml
from django.db import transaction
from django.db.models import Case, When
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from backend.amendments.models import InformationRequest
from backend.amendments.services import amendment_create, amendment_submit
from backend.common.dates import BRUSSELS
from backend.grants.models import Project
from backend.payments.models import Reduction, ReductionStatus
from backend.reporting.models import (
    PeriodicReport,
    ReportStatus,
    ReportVersion,
    TerminationReport,
)
from backend.workplan.models import Deliverable, EvidenceFile, Milestone
from backend.workplan.services import deliverable_evidence_upload
from monitoring.flags import Finding, flags_sync
from monitoring.models import Flag, FlagKind, Severity
from tests import factories
from tests.amendments.helpers import terminate
from tests.workplan.files import PDF, upload

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous",
    "stranger",
    "other_officer",
    "other_manager",
    "partner_contact",
    "other_partner",
    "manager",
    "officer",
    "admin",
)
METHODS = ("get", "post", "put", "patch", "delete")


def _expect(
    *,
    default: str = "404",
    anonymous: str = "401",
    **roles: str,
) -> dict[str, str]:
    """Expected outcome per role: every role not named gets ``default`` (anonymous: 401)."""
    unknown = set(roles) - set(ROLES)
    assert not unknown, unknown
    return {role: roles.get(role, anonymous if role == "anonymous" else default) for role in ROLES}


# Who sees a project's record: its officers, managers and partner contacts, and admins.
SEE = {
    "partner_contact": "ok",
    "other_partner": "ok",
    "manager": "ok",
    "officer": "ok",
    "admin": "ok",
}
# Everyone signed in (the answer is scoped to what they see).
ANY_SIGNED_IN = {"default": "ok"}


def see_but(**refusals: str) -> dict[str, str]:
    """The project's people see it; those named get the refusal given instead."""
    return _expect(**{**SEE, **refusals})


MATRIX: dict[str, dict[str, dict[str, str]]] = {
    # -- API tokens: anyone may ask for one; each user lists and revokes only their own -------
    "api-token": {
        "post": _expect(default="ok", anonymous="ok"),
        # without a token (the matrix's requests): 400, this request was not made with one
        "delete": _expect(**ANY_SIGNED_IN),
    },
    "api-token-list": {"get": _expect(**ANY_SIGNED_IN), "delete": _expect(**ANY_SIGNED_IN)},
    # a token nobody has (tests/accounts/test_tokens.py: another user's)
    "api-token-detail": {"delete": _expect()},
    "grant-import": {
        "post": _expect(default="403", other_officer="ok", officer="ok", admin="ok"),
    },
    "project-list": {"get": _expect(**ANY_SIGNED_IN)},
    "project-detail": {"get": see_but()},
    "project-eligibility": {"get": see_but()},
    "project-eligibility-timeline": {"get": see_but()},
    "project-grant-file": {"get": see_but()},
    # the compliance report's PDF: the project's officers, managers and administrators
    "project-compliance-report": {"get": see_but(partner_contact="403", other_partner="403")},
    # -- organisations: their own contacts and administrators record updates -------------------
    "organisation-detail": {"get": see_but(other_officer="ok")},
    "organisation-updates": {
        "get": see_but(other_officer="ok"),
        "post": see_but(other_officer="403", other_partner="403", manager="403", officer="403"),
    },
    "third-party-list": {
        "get": see_but(),
        "post": see_but(partner_contact="403", other_partner="403"),
    },
    # -- amendments: drafts are the managers' own; officers decide -------------------------
    "amendment-list": {
        "get": see_but(),
        "post": see_but(partner_contact="403", other_partner="403", officer="403"),
    },
    "amendment-what-if": {
        "post": see_but(partner_contact="403", other_partner="403"),
    },
    "amendment-detail": {
        # the matrix's amendment is a draft: out of sight but for managers
        "get": see_but(partner_contact="404", other_partner="404", officer="404"),
        "put": see_but(partner_contact="404", other_partner="404", officer="404"),
    },
    "amendment-submit": {
        "post": see_but(partner_contact="404", other_partner="404", officer="404"),
    },
    "amendment-approve": {
        # a submitted request
        "post": see_but(partner_contact="403", other_partner="403", manager="403"),
    },
    "amendment-reject": {
        "post": see_but(partner_contact="403", other_partner="403", manager="403"),
    },
    "amendment-withdraw": {
        # a submitted request: the consortium's managers withdraw it
        "post": see_but(partner_contact="403", other_partner="403", officer="403"),
    },
    "amendment-information-requests": {
        # a submitted request: its officers ask (one question open at a time: a 409 then)
        "post": see_but(partner_contact="403", other_partner="403", manager="403"),
    },
    "amendment-information-answer": {
        # the open question on the submitted request: its managers answer
        "post": see_but(partner_contact="403", other_partner="403", officer="403"),
    },
    # -- accessions: the agency records them (the matrix's participant acceded long ago: 409) --
    "accession-list": {"get": see_but()},
    "accession-record": {
        "post": see_but(partner_contact="403", other_partner="403", manager="403"),
    },
    "non-accession-record": {
        "post": see_but(partner_contact="403", other_partner="403", manager="403"),
    },
    # -- deliverables: the matrix's deliverable is a draft led by ZILEMED, with its file -------
    "deliverable-list": {"get": see_but()},
    "deliverable-detail": {"get": see_but()},
    "deliverable-evidence": {
        # a draft's file is the consortium's own until submitted
        "get": see_but(officer="403"),
        "post": see_but(other_partner="403", officer="403"),
        "delete": see_but(other_partner="403", officer="403"),
    },
    "deliverable-evidence-file": {"get": see_but(officer="403")},
    "deliverable-submit": {
        "post": see_but(partner_contact="403", other_partner="403", officer="403"),
    },
    "deliverable-accept": {
        "post": see_but(partner_contact="403", other_partner="403", manager="403"),
    },
    "deliverable-request-revision": {
        "post": see_but(partner_contact="403", other_partner="403", manager="403"),
    },
    "deliverable-due-date": {
        "post": see_but(partner_contact="403", other_partner="403", manager="403"),
    },
    "milestone-list": {"get": see_but()},
    "milestone-detail": {"get": see_but()},
    "milestone-achieve": {
        "post": see_but(partner_contact="403", other_partner="403", officer="403"),
    },
    # -- periodic reports (RP1's report is submitted in the matrix's world) -------------------
    "report-list": {"get": see_but()},
    "report-detail": {
        "get": see_but(),
        "put": see_but(partner_contact="403", other_partner="403", officer="403"),
    },
    # ZILEMED's contribution, not written yet: its own contact, the managers and admins see it
    "report-contribution": {
        "get": see_but(other_partner="404", officer="404"),
        "put": see_but(other_partner="404", officer="404", manager="403"),
    },
    "report-contribution-lock": {
        "post": see_but(other_partner="404", officer="404", manager="403"),
    },
    "report-contribution-unlock": {
        "post": see_but(partner_contact="403", other_partner="404", officer="404"),
    },
    "report-declaration": {
        "put": see_but(partner_contact="403", other_partner="403", officer="403"),
    },
    "report-justification": {
        "put": see_but(partner_contact="403", other_partner="403", officer="403"),
    },
    "report-submit": {
        "post": see_but(partner_contact="403", other_partner="403", officer="403"),
    },
    "report-approve": {
        "post": see_but(partner_contact="403", other_partner="403", manager="403"),
    },
    "report-request-changes": {
        "post": see_but(partner_contact="403", other_partner="403", manager="403"),
    },
    "report-request-information": {
        "post": see_but(partner_contact="403", other_partner="403", manager="403"),
    },
    # no information request is open: the managers are let through to a 409
    "report-answer-information": {
        "post": see_but(partner_contact="403", other_partner="403", officer="403"),
    },
    "report-version-list": {"get": see_but()},
    "report-version-detail": {"get": see_but()},
    "work-package-waiver": {
        "post": see_but(partner_contact="403", other_partner="403", manager="403"),
    },
    # -- the activity feed, progress, contacts, the user's own settings -----------------------
    "project-activity": {"get": see_but()},
    "project-progress": {"get": see_but()},
    "project-contacts": {"get": see_but()},
    "portfolio-progress": {"get": _expect(**ANY_SIGNED_IN)},
    "me": {"get": _expect(**ANY_SIGNED_IN), "put": _expect(**ANY_SIGNED_IN)},
    # -- flags ---------------------------------------------------------------------------------
    "flag-list": {"get": _expect(**ANY_SIGNED_IN)},
    "flag-detail": {"get": see_but()},
    "flag-acknowledge": {
        "post": see_but(partner_contact="403", other_partner="403", manager="403"),
    },
    "flag-resolve": {
        "post": see_but(partner_contact="403", other_partner="403", manager="403"),
    },
    # -- payments: the project's people read the schedule; its officers approve and record -----
    "instalment-list": {"get": see_but()},
    "instalment-detail": {"get": see_but()},
    "instalment-beneficiaries": {"get": see_but()},
    "instalment-approve": {
        # the matrix's instalment is the grant's pre-financing, ready by then
        "post": see_but(partner_contact="403", other_partner="403", manager="403"),
    },
    "instalment-payment": {
        "post": see_but(partner_contact="403", other_partner="403", manager="403"),
    },
    # an officer suspends the pre-financing's payment (again: 409) and lifts it (not: 409)
    "instalment-suspend": {
        "post": see_but(partner_contact="403", other_partner="403", manager="403"),
    },
    "instalment-lift": {
        "post": see_but(partner_contact="403", other_partner="403", manager="403"),
    },
    "ledger": {"get": see_but()},
    "reduction-list": {
        "get": see_but(),
        "post": see_but(partner_contact="403", other_partner="403", manager="403"),
    },
    # the matrix's reduction has its pre-information letter sent: the consortium reads it
    "reduction-detail": {
        "get": see_but(),
        "patch": see_but(partner_contact="403", other_partner="403", manager="403"),
    },
    "reduction-letter": {
        "post": see_but(partner_contact="403", other_partner="403", manager="403"),
    },
    "reduction-observations": {
        "post": see_but(partner_contact="403", other_partner="403", manager="403"),
    },
    "reduction-confirm": {
        "post": see_but(partner_contact="403", other_partner="403", manager="403"),
    },
    "reduction-withdraw": {
        "post": see_but(partner_contact="403", other_partner="403", manager="403"),
    },
    # -- termination reports: the project's people read them; its managers record them sent ----
    "termination-report-list": {"get": see_but()},
    # the matrix's termination report (the partner contact's participation): the managers are
    # let through to the 400 the empty body gets
    "termination-report-submit": {
        "post": see_but(partner_contact="403", other_partner="403", officer="403"),
    },
}


# -- the objects the routes name ---------------------------------------------------------------


@dataclass
class World:
    project: Project
    other: Project
    users: dict
    ids: dict[str, dict[str, int | str]]  # project acronym -> url kwarg -> id (or key)
    now: datetime.datetime  # when the requests are made


def _amendment(project, manager, *, submitted: bool) -> int:
    participant = project.participations.filter(role="beneficiary").order_by("-position").first()
    request = amendment_create(
        project=project,
        user=manager,
        justification="A partner leaves.",
        changes=[terminate(participant.short_name, project.month_end(20).isoformat())],
    )
    if submitted:
        amendment_submit(request=request, user=manager)
    return request.pk


def _question(amendment_id: int, asked_by) -> int:
    """A question of the agency on the submitted request, still open."""
    return InformationRequest.objects.create(
        request_id=amendment_id,
        question="Who takes over the work?",
        asked_at=timezone.now(),
        asked_by=asked_by,
    ).pk


def _flag(project) -> int:
    flags_sync(
        project_ids=[project.pk],
        kinds=[FlagKind.DELIVERABLE_OVERDUE],
        findings=[
            Finding(
                project_id=project.pk,
                kind=FlagKind.DELIVERABLE_OVERDUE,
                severity=Severity.MEDIUM,
                fingerprint=f"{FlagKind.DELIVERABLE_OVERDUE}:matrix",
                explanation={"en": "Matrix flag"},
            )
        ],
        now=timezone.now(),
    )
    return Flag.objects.get(project=project, fingerprint__endswith=":matrix").pk


def _reduction(project: Project) -> int:
    """A reduction of the whole grant whose pre-information letter was sent today."""
    today = timezone.localdate(timezone=BRUSSELS)
    return Reduction.objects.create(
        project=project,
        percent=5,
        reason="The matrix's breach.",
        status=ReductionStatus.LETTER_SENT,
        letter_sent_on=today,
        observations_due_on=today + datetime.timedelta(days=30),
        recorded_at=timezone.now(),
    ).pk


def _submitted_report(project: Project, manager) -> None:
    """RP1's report as the agency received it: version 1, awaiting review."""
    period = project.reporting_periods.get(number=1)
    now = timezone.now()
    report = PeriodicReport.objects.create(
        project=project,
        reporting_period=period,
        status=ReportStatus.SUBMITTED,
        technical_part="What we did.",
        submitted_at=now,
        submitted_by=manager,
        first_submitted_at=now,
    )
    ReportVersion.objects.create(
        report=report, number=1, content={}, submitted_at=now, submitted_by=manager
    )


def _termination_report(project: Project, participation) -> int:
    """The termination reports of a participation, due in 30 days."""
    today = timezone.localdate(timezone=BRUSSELS)
    return TerminationReport.objects.create(
        project=project,
        participation=participation,
        due_on=today + datetime.timedelta(days=30),
    ).pk


def _ids(project: Project, manager, contact_for: str) -> dict[str, int | str]:
    """One object of each kind the routes name, in this project."""
    _submitted_report(project, manager)
    contact = project.participations.get(short_name=contact_for)
    deliverable = (
        Deliverable.objects.filter(project=project)
        .order_by(Case(When(lead=contact, then=0), default=1), "position")
        .first()
    )
    deliverable_evidence_upload(
        deliverable=deliverable, user=manager, upload=upload("handbook.pdf", PDF)
    )
    milestone = Milestone.objects.filter(project=project).order_by("position").first()
    evidence = EvidenceFile.objects.get(deliverable=deliverable, current=True)
    submitted = _amendment(project, manager, submitted=True)
    return {
        "project_id": project.pk,
        "amendment_id": _amendment(project, manager, submitted=False),
        "submitted_amendment_id": submitted,
        "information_id": _question(submitted, manager),
        "flag_id": _flag(project),
        "reduction_id": _reduction(project),
        "deliverable_id": deliverable.pk,
        "milestone_id": milestone.pk,
        "participation_id": contact.pk,
        "report_id": _termination_report(project, contact),
        "pic": contact.organisation.pic,
        "file_id": evidence.pk,
        "number": 1,
        "wp_number": 1,
        "k": 1,
        "key": "prefinancing",
        "token_id": "0" * 16,
    }


@pytest.fixture
def world(grant_users, grant, other_grant) -> World:
    """The grant with a deliverable led by ZILEMED (the partner contact's organisation), as of
    the grant's seventh month."""
    factories.DeliverableFactory(
        work_package=grant.work_packages.get(number=1),
        lead=grant.participations.get(short_name="ZILEMED"),
    )
    now = datetime.datetime.combine(grant.month_start(7), datetime.time(10), tzinfo=BRUSSELS)
    with time_machine.travel(now, tick=False):
        ids = {
            "grant": _ids(grant, grant_users["manager"], "ZILEMED"),
            "other": _ids(other_grant, grant_users["other_manager"], "ACME"),
        }
    return World(project=grant, other=other_grant, users=grant_users, ids=ids, now=now)


# -- the routes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    methods: tuple[str, ...]

    @property
    def kwargs(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", self.pattern)


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def api_routes() -> list[Route]:
    routes = []
    for pattern, entry in _walk(get_resolver().url_patterns):
        if not pattern.startswith("api/v1/"):
            continue
        view_class = getattr(entry.callback, "view_class", None)
        if view_class is None:
            continue
        methods = tuple(m for m in METHODS if hasattr(view_class, m))
        routes.append(Route(entry.name, pattern, methods))
    return routes


ROUTES = api_routes()
CASES = [(route, method) for route in ROUTES for method in route.methods]


# The routes about a submitted request (the others about the matrix's draft).
SUBMITTED_ROUTES = (
    "amendment-approve",
    "amendment-reject",
    "amendment-withdraw",
    "amendment-information-requests",
    "amendment-information-answer",
)


def _url(route: Route, values: dict[str, int]) -> str:
    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name == "amendment_id" and route.name in SUBMITTED_ROUTES:
            name = "submitted_amendment_id"
        return str(values[name])

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", fill, route.pattern)


# DRF's texts when no check of ours gave a reason: a refusal must say why in the domain's words.
GENERIC_REFUSALS = {
    "You do not have permission to perform this action.",
    "Authentication credentials were not provided.",
    "A server error occurred.",
}


def refusal_problems(response, hidden: tuple[str, ...]) -> list[str]:
    """What is wrong with a refusal's body (empty: nothing). ``hidden`` are texts of the
    record the body must not show (a project's acronym, an object's name)."""
    if response.status_code not in (401, 403, 404):
        return []
    # The grant file answers in its own format (YAML by default), refusals included.
    body = yaml.safe_load(response.content)
    detail = body.get("detail") if isinstance(body, dict) else None
    problems = []
    if not isinstance(detail, str) or not detail.strip():
        problems.append(f"{response.status_code} without a detail: {body!r}")
    elif response.status_code == 403 and detail in GENERIC_REFUSALS:
        problems.append(f"403 without its reason: {detail!r}")
    if response.status_code == 404 and set(body) != {"detail"}:
        problems.append(f"404 with data: {sorted(body)}")
    text = response.content.decode()
    problems += [f"{response.status_code} shows {secret!r}" for secret in hidden if secret in text]
    return problems


def _outcome(status_code: int) -> str:
    if status_code in (401, 403, 404):
        return str(status_code)
    assert status_code != 405, "the view does not answer this method"
    assert status_code < 500, status_code
    return "ok"


def _response(api_client, user, method: str, url: str):
    """One request in a savepoint that is rolled back: every role starts from the same record."""
    api_client.force_authenticate(user)
    with transaction.atomic():
        response = getattr(api_client, method)(url, {}, format="json")
        transaction.set_rollback(True)
    api_client.force_authenticate(None)
    return response


def _ask(api_client, user, method: str, url: str) -> int:
    return _response(api_client, user, method, url).status_code


def hidden_texts(world: World, key: str) -> tuple[str, ...]:
    """What a refusal about this project must not show: its acronym, its grant agreement
    number, the titles of the deliverable and the milestone the routes name."""
    project = world.project if key == "grant" else world.other
    ids = world.ids[key]
    return (
        project.acronym,
        project.grant_agreement_number,
        Deliverable.objects.get(pk=ids["deliverable_id"]).title,
        Milestone.objects.get(pk=ids["milestone_id"]).title,
    )


def test_every_api_endpoint_is_in_the_matrix():
    found = {(route.name, method) for route in ROUTES for method in route.methods}
    listed = {(name, method) for name, methods in MATRIX.items() for method in methods}
    assert sorted(found - listed) == [], "endpoints missing from the matrix"
    assert sorted(listed - found) == [], "matrix entries for endpoints that do not exist"


@pytest.mark.parametrize(
    ("route", "method"), CASES, ids=[f"{route.name}:{method}" for route, method in CASES]
)
def test_each_role_gets_what_the_matrix_says(api_client, world, route, method):
    expected = MATRIX[route.name][method]
    url = _url(route, world.ids["grant"])
    hidden = hidden_texts(world, "grant")
    got, problems = {}, {}
    with time_machine.travel(world.now, tick=False):
        for role in ROLES:
            user = None if role == "anonymous" else world.users[role]
            response = _response(api_client, user, method, url)
            got[role] = _outcome(response.status_code)
            if found := refusal_problems(response, hidden):
                problems[role] = found
    assert got == expected
    assert problems == {}, "refusals that do not say why, or that show data"


PROJECT_CASES = [(route, method) for route, method in CASES if "project_id" in route.kwargs]


@pytest.mark.parametrize(
    ("route", "method"),
    PROJECT_CASES,
    ids=[f"{route.name}:{method}" for route, method in PROJECT_CASES],
)
def test_another_projects_endpoints_are_out_of_sight(api_client, world, route, method):
    """The grant's people asking about the other project, with its own objects."""
    url = _url(route, world.ids["other"])
    hidden = hidden_texts(world, "other")
    with time_machine.travel(world.now, tick=False):
        responses = {
            role: _response(api_client, world.users[role], method, url)
            for role in ("partner_contact", "other_partner", "manager", "officer")
        }
    assert {role: r.status_code for role, r in responses.items()} == dict.fromkeys(responses, 404)
    problems = {role: refusal_problems(r, hidden) for role, r in responses.items()}
    assert {role: found for role, found in problems.items() if found} == {}


OBJECT_KWARGS = {
    "deliverable_id",
    "milestone_id",
    "participation_id",
    "file_id",
    "amendment_id",
    "information_id",
    "report_id",
}
OBJECT_CASES = [
    (route, method)
    for route, method in PROJECT_CASES
    if OBJECT_KWARGS & set(route.kwargs) and "file_id" not in route.kwargs
]


@pytest.mark.parametrize(
    ("route", "method"),
    OBJECT_CASES,
    ids=[f"{route.name}:{method}" for route, method in OBJECT_CASES],
)
def test_another_projects_objects_under_this_project_are_not_found(
    api_client, world, route, method
):
    """The grant's path with the other project's object: nobody, not even an
    administrator, reaches an object through a project it does not belong to."""
    values = {
        **world.ids["grant"],
        **{key: world.ids["other"][key] for key in OBJECT_KWARGS | {"submitted_amendment_id"}},
    }
    url = _url(route, values)
    hidden = hidden_texts(world, "other")[2:]  # the other project's objects
    with time_machine.travel(world.now, tick=False):
        responses = {
            role: _response(api_client, world.users[role], method, url)
            for role in ("manager", "officer", "admin")
        }
    assert {role: r.status_code for role, r in responses.items()} == dict.fromkeys(responses, 404)
    problems = {role: refusal_problems(r, hidden) for role, r in responses.items()}
    assert {role: found for role, found in problems.items() if found} == {}


def test_the_matrix_is_not_trivially_satisfied():
    """Each kind of refusal occurs, and each role is let through somewhere: the expectations
    would catch an endpoint that let everyone in or shut everyone out."""
    outcomes = {role: set() for role in ROLES}
    for methods in MATRIX.values():
        for expected in methods.values():
            for role, outcome in expected.items():
                outcomes[role].add(outcome)
    assert all("ok" in seen for seen in outcomes.values())
    assert {"401", "403", "404"} <= set().union(*outcomes.values())
