"""The secrets matrix: what each role reads, compared with what each role may read.

A world of two small grants holds drafts whose text is a distinct "secret": each partner's draft
contribution (and an earlier version of one, kept only by the audit trail), an amendment
draft's justification and the legal name of the organisation it would add, a draft
deliverable's file name and digest (and the name of the file it replaced, kept only by the
audit trail), and a draft report's technical part. Every role then asks for every GET route
under /api/v1/ (with the filters of the lists and the activity feed), the OpenAPI schema and
its docs, every web page and export, and the role's own calendar feed; the body (and the
headers) of each answer is searched for every secret.

A secret the role may not read must appear nowhere; a secret it may read must appear
somewhere (so that the crawl reaches it and the test would fail if a rule hid too much or the
crawl went blind). A GET route missing from the crawl fails ``test_every_get_route_is_crawled``.

The world is built once for the module, in a transaction rolled back at its end; each request
runs in a savepoint that is rolled back too.
"""

import datetime
import hashlib
import io
import itertools
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.test import Client, override_settings
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from rest_framework.test import APIClient

from backend.accounts.calendar_feeds import calendar_feed_enable
from backend.amendments.services import amendment_create, amendment_submit
from backend.common.dates import BRUSSELS
from backend.grants.models import Project
from backend.payments.reductions import reduction_create
from backend.reporting.services import contribution_save, report_update
from backend.workplan.models import EvidenceFile
from backend.workplan.services import deliverable_evidence_upload
from tests import factories
from tests.amendments.helpers import add, new_organisation, terminate
from tests.conftest import _one_user_per_role
from tests.frontend.pages import ROLES
from tests.frontend.test_page_matrix import PAGES
from tests.frontend.test_page_matrix import ROUTES as PAGE_ROUTES
from tests.test_permission_matrix import _flag, _submitted_report, api_routes
from tests.workplan.files import PDF, upload

pytestmark = pytest.mark.django_db

# -- the secrets and who may read them ---------------------------------------------------------

CONTRIBUTION_A = "SECRET-CONTRIBUTION-ZILEMED-7Q"
CONTRIBUTION_A_EARLIER = "SECRET-EARLIER-ZILEMED-3K"
CONTRIBUTION_B = "SECRET-CONTRIBUTION-LVTDA-9W"
AMENDMENT_JUSTIFICATION = "SECRET-AMENDMENT-WHY-4F"
AMENDMENT_LEGAL_NAME = "SECRET-AMENDMENT-NEWCO-LEGAL-2H"
EVIDENCE_NAME = "secret-evidence-draft-8p.pdf"
EVIDENCE_REPLACED = "secret-evidence-replaced-5m.pdf"
EVIDENCE_CONTENT = PDF.replace(b"%PDF-1.4\n", b"%PDF-1.4\n% secrets matrix\n", 1)
EVIDENCE_SHA256 = hashlib.sha256(EVIDENCE_CONTENT).hexdigest()
REPORT_TEXT = "SECRET-DRAFT-REPORT-TEXT-6J"
REDUCTION_REASON = "SECRET-REDUCTION-DRAFT-WHY-8D"

CONSORTIUM = {"partner_contact", "other_partner", "manager", "admin"}
READERS: dict[str, set[str]] = {
    # A draft contribution: its own organisation, the managers, administrators.
    CONTRIBUTION_A: {"partner_contact", "manager", "admin"},
    CONTRIBUTION_A_EARLIER: {"partner_contact", "manager", "admin"},
    CONTRIBUTION_B: {"other_partner", "manager", "admin"},
    # A draft amendment request: the managers and administrators.
    AMENDMENT_JUSTIFICATION: {"manager", "admin"},
    AMENDMENT_LEGAL_NAME: {"manager", "admin"},
    # A draft deliverable's files: the consortium and administrators, not the agency's officers.
    EVIDENCE_NAME: CONSORTIUM,
    EVIDENCE_REPLACED: CONSORTIUM,
    EVIDENCE_SHA256: CONSORTIUM,
    # A draft reduction (its pre-information letter not sent): the officers and administrators.
    REDUCTION_REASON: {"officer", "admin"},
    # A draft report: everyone on the project.
    REPORT_TEXT: CONSORTIUM | {"officer"},
}


# -- the world -----------------------------------------------------------------------------------


@dataclass
class World:
    ids: dict[str, int | str]
    # Other values a URL argument takes in the crawl (both partners, both reports).
    variants: dict[str, list[int]]
    users: dict
    now: datetime.datetime
    media_root: str
    # Each user's calendar feed key (role -> key).
    feeds: dict[str, str]


def _contributions(project: Project, users: dict) -> None:
    """RP2's report stays a draft with both partners' contributions in it."""
    period = project.reporting_periods.get(number=2)
    zilemed = project.participations.get(short_name="ZILEMED")
    lvtda = project.participations.get(short_name="LVTDA")

    def entries(text: str) -> list[dict]:
        return [{"work_package": 1, "activities": text, "outputs": "", "narrative": ""}]

    for user, participation, text in (
        (users["partner_contact"], zilemed, CONTRIBUTION_A_EARLIER),
        (users["partner_contact"], zilemed, CONTRIBUTION_A),
        (users["other_partner"], lvtda, CONTRIBUTION_B),
    ):
        contribution_save(
            period=period, participation=participation, user=user, entries=entries(text)
        )
    report_update(period=period, user=users["manager"], technical_part=REPORT_TEXT)


def _amendments(project: Project, manager) -> tuple[int, int]:
    """A draft request (the secrets) and a submitted one."""
    draft = amendment_create(
        project=project,
        user=manager,
        justification=AMENDMENT_JUSTIFICATION,
        changes=[
            add(
                effective_on=project.month_end(9).isoformat(),
                **new_organisation(
                    "NEWCO", "993777111", "LV", ["enterprise"], legal_name=AMENDMENT_LEGAL_NAME
                ),
            )
        ],
    )
    submitted = amendment_create(
        project=project,
        user=manager,
        justification="GAUJMALA leaves.",
        changes=[terminate("GAUJMALA", project.month_end(20).isoformat())],
    )
    amendment_submit(request=submitted, user=manager)
    return draft.pk, submitted.pk


def _evidence(project: Project, manager) -> tuple[int, int]:
    """A draft deliverable led by ZILEMED whose file replaced another."""
    deliverable = factories.DeliverableFactory(
        work_package=project.work_packages.get(number=1),
        lead=project.participations.get(short_name="ZILEMED"),
    )
    for name, content in ((EVIDENCE_REPLACED, PDF), (EVIDENCE_NAME, EVIDENCE_CONTENT)):
        deliverable_evidence_upload(
            deliverable=deliverable, user=manager, upload=upload(name, content)
        )
    return deliverable.pk, EvidenceFile.objects.get(deliverable=deliverable, current=True).pk


def _build(media_root: str) -> World:
    grant = factories.consortium(acronym="MINICOVE")
    other = factories.consortium(
        acronym="OTHERCOVE",
        coordinator="UNIWA",
        beneficiaries=("ACME",),
        associated_partners=(),
        work_packages=1,
    )
    users = _one_user_per_role(grant, other)
    now = datetime.datetime.combine(grant.month_start(7), datetime.time(10), tzinfo=BRUSSELS)
    with time_machine.travel(now, tick=False):
        _submitted_report(grant, users["manager"])
        _contributions(grant, users)
        amendment_id, submitted_amendment_id = _amendments(grant, users["manager"])
        deliverable_id, file_id = _evidence(grant, users["manager"])
        flag_id = _flag(grant)
        reduction_id = reduction_create(
            project=grant,
            user=users["officer"],
            participant="ZILEMED",
            percent=Decimal(10),
            reason=REDUCTION_REASON,
        ).pk
    participations = dict(grant.participations.values_list("short_name", "pk"))
    ids = {
        "project_id": grant.pk,
        "amendment_id": amendment_id,
        "submitted_amendment_id": submitted_amendment_id,
        "deliverable_id": deliverable_id,
        "file_id": file_id,
        "flag_id": flag_id,
        "reduction_id": reduction_id,
        "milestone_id": grant.milestones.order_by("position").first().pk,
        "participation_id": participations["ZILEMED"],
        "pic": grant.participations.get(short_name="ZILEMED").organisation.pic,
        "number": 2,
        "wp_number": 1,
        "k": 1,
        "key": "prefinancing",
    }
    variants = {
        "participation_id": [participations["ZILEMED"], participations["LVTDA"]],
        "number": [1, 2],
        "amendment_id": [amendment_id, submitted_amendment_id],
    }
    feeds = {
        role: calendar_feed_enable(request=None, user=user, now=now) for role, user in users.items()
    }
    return World(
        ids=ids, variants=variants, users=users, now=now, media_root=media_root, feeds=feeds
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    media_root = str(tmp_path_factory.mktemp("secrets-media"))
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media_root),
        transaction.atomic(),
    ):
        yield _build(media_root)
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _world_media(_isolated_media, settings, world):
    """The world's files stay where they were written (after the suite's per-test media)."""
    settings.MEDIA_ROOT = world.media_root


# -- the crawl -----------------------------------------------------------------------------------

ACTIVITY_FILTERS = [
    "",
    "verb=contribution.saved",
    "verb=contribution.",
    "verb=amendment.",
    "verb=amendment.created",
    "verb=deliverable.",
    "verb=deliverable.evidence_uploaded",
    "verb=report.",
    "verb=reduction.",
    "object_type=reduction",
    "object_type=contribution",
    "object_type=amendmentrequest",
    "object_type=deliverable",
    "object_type=periodicreport",
    "actor=pc",
    "actor=pc-other",
    "actor=pm",
]

# Every GET route under /api/v1/, with the queries asked of it ("" : none). Lists are asked
# for their largest page.
API_QUERIES: dict[str, list[str]] = {
    "project-list": [""],
    "project-detail": [""],
    "project-eligibility": [""],
    "project-eligibility-timeline": [""],
    "project-grant-file": ["", "format=json"],
    "project-compliance-report": [""],
    "amendment-list": [""],
    "amendment-detail": [""],
    "deliverable-list": ["", "status=draft", "lead=ZILEMED"],
    "deliverable-detail": [""],
    "deliverable-evidence": [""],
    "deliverable-evidence-file": [""],
    "milestone-list": [""],
    "milestone-detail": [""],
    "report-list": ["", "status=draft"],
    "report-detail": [""],
    "report-contribution": [""],
    "report-version-list": [""],
    "report-version-detail": [""],
    "project-activity": ACTIVITY_FILTERS,
    "project-progress": [""],
    "project-contacts": [""],
    "portfolio-progress": [""],
    "me": [""],
    "api-token-list": [""],
    "flag-list": [""],
    "flag-detail": [""],
    "instalment-list": [""],
    "instalment-detail": [""],
    "instalment-beneficiaries": [""],
    "reduction-list": [""],
    "reduction-detail": [""],
    "ledger": [""],
    "accession-list": [""],
    "termination-report-list": [""],
    "organisation-detail": [""],
    "organisation-updates": [""],
    "third-party-list": [""],
}
# Every web page that answers GET, with its queries.
PAGE_QUERIES: dict[str, list[str]] = {
    "deliverables": ["", "status=draft"],
}
# Outside /api/v1/ and the pages.
OTHER_URLS = ["/api/schema/", "/api/schema/?format=json", "/api/docs/"]

KWARG = re.compile(r"<(?:\w+:)?(\w+)>")


def _urls(pattern: str, world: World) -> list[str]:
    """The pattern filled with the world's objects, once per variant of its arguments."""
    names = KWARG.findall(pattern)
    choices = [world.variants.get(name, [world.ids[name]]) for name in names]
    urls = []
    for values in itertools.product(*choices):
        filled = dict(zip(names, values, strict=True))
        urls.append(
            "/" + KWARG.sub(lambda match, filled=filled: str(filled[match.group(1)]), pattern)
        )
    return urls


def _with(url: str, query: str) -> str:
    return f"{url}?{query}" if query else url


def _api_get_routes() -> dict[str, str]:
    return {route.name: route.pattern for route in api_routes() if "get" in route.methods}


def _page_routes() -> dict[str, str]:
    return dict(PAGE_ROUTES)


def _page_get_routes() -> dict[str, str]:
    routes = _page_routes()
    return {name: routes[name] for name, methods in PAGES.items() if "get" in methods}


def crawl(world: World) -> tuple[list[str], list[str]]:
    """The API's URLs (with their queries) and the pages' URLs (and the other URLs)."""
    api = [
        _with(url, query)
        for name, pattern in _api_get_routes().items()
        for url in _urls(pattern, world)
        for query in API_QUERIES[name] + (["page_size=200"] if "list" in name else [])
    ]
    pages = [
        _with(url, query)
        for name, pattern in _page_get_routes().items()
        for url in _urls(pattern, world)
        for query in PAGE_QUERIES.get(name, [""])
    ]
    return api, pages + OTHER_URLS


# -- reading an answer -------------------------------------------------------------------------


def _pdf_text(content: bytes) -> str:
    """A rendered PDF's text (compressed in its bytes); nothing for a file that is not a PDF
    pypdf reads (the evidence files here are stubs)."""
    try:
        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)
    except PdfReadError:
        return ""


def body_text(response) -> str:
    """Everything an answer shows: its headers and its body (a file's content; each part of an
    XLSX workbook, which is a zip; a PDF's text)."""
    if getattr(response, "streaming", False):
        # The test client closes a streamed answer once it is read (closing it again here
        # would end the database connection, and the world's transaction with it).
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as workbook:
            content = b"".join(workbook.read(name) for name in workbook.namelist())
    if content[:5] == b"%PDF-":
        content += _pdf_text(content).encode()
    headers = "\n".join(f"{name}: {value}" for name, value in response.items())
    return headers + "\n" + content.decode("utf-8", errors="replace")


def _get(client, url: str):
    with transaction.atomic():
        response = client.get(url)
        transaction.set_rollback(True)
    assert response.status_code < 500, (url, response.status_code)
    return response


def _clients(user) -> tuple[APIClient, Client]:
    api_client, client = APIClient(), Client()
    if user is not None:
        api_client.force_authenticate(user)
        client.force_login(user)
    return api_client, client


def secrets_seen(world: World, role: str) -> dict[str, list[str]]:
    """Each secret -> the URLs whose answer shows it to the role."""
    user = None if role == "anonymous" else world.users[role]
    api_client, client = _clients(user)
    api_urls, page_urls = crawl(world)
    seen: dict[str, list[str]] = {secret: [] for secret in READERS}
    with time_machine.travel(world.now, tick=False):
        answers = [(url, _get(api_client, url)) for url in api_urls]
        answers += [(url, _get(client, url)) for url in page_urls]
        if role in world.feeds:
            feed = f"/calendar/{world.feeds[role]}.ics"
            answers.append((feed, _get(Client(), feed)))
    for url, response in answers:
        text = body_text(response)
        for secret in READERS:
            if secret in text:
                seen[secret].append(url)
    return seen


# -- the tests -----------------------------------------------------------------------------------


def test_every_get_route_is_crawled():
    """A new GET route under /api/v1/ must be added to API_QUERIES (with its filters); a new
    page must be in the page matrix, which says whether it answers GET."""
    assert sorted(set(_api_get_routes()) - set(API_QUERIES)) == [], "API routes not crawled"
    assert sorted(set(API_QUERIES) - set(_api_get_routes())) == [], "crawled routes gone"
    assert sorted(set(_page_routes()) - set(PAGES)) == [], "pages missing from the page matrix"
    assert set(PAGE_QUERIES) <= set(_page_get_routes())


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reads_exactly_the_secrets_it_may(world, role):
    seen = secrets_seen(world, role)
    leaked = {secret: urls for secret, urls in seen.items() if urls and role not in READERS[secret]}
    assert leaked == {}, f"{role} reads secrets it may not"
    unseen = sorted(secret for secret, urls in seen.items() if role in READERS[secret] and not urls)
    assert unseen == [], f"{role} does not find secrets it may read: the crawl is blind"


def test_the_secrets_matrix_is_not_trivially_satisfied():
    """Every secret has readers and non-readers on the project, so each can be leaked and each
    can be missed."""
    on_project = {"partner_contact", "other_partner", "manager", "officer"}
    for secret, readers in READERS.items():
        assert readers <= set(ROLES), secret
        assert readers & on_project, secret
        assert set(ROLES) - readers, secret
    # Someone on the project is kept from each draft but the report's (the project's own).
    kept = {secret for secret, readers in READERS.items() if on_project - readers}
    assert kept == set(READERS) - {REPORT_TEXT}


@pytest.mark.parametrize("role", [role for role in ROLES if role != "anonymous"])
def test_the_calendar_feeds_list_no_draft_and_no_other_project(world, role):
    """A draft amendment request has no decision date and is in no feed; the submitted one is
    in the feeds of those who watch its decision; nothing of the grant reaches anyone off it
    (the partners have nothing due in this world's window: RP1's report is in, RP2 has not
    started, ZILEMED's draft deliverable fell due more than 90 days ago)."""
    with time_machine.travel(world.now, tick=False):
        text = _get(Client(), f"/calendar/{world.feeds[role]}.ics").content.decode()
    assert f"amendment-{world.ids['amendment_id']}@" not in text
    watches = role in {"manager", "officer"}
    assert (f"amendment-{world.ids['submitted_amendment_id']}@" in text) == watches
    assert ("MINICOVE" in text) == watches
