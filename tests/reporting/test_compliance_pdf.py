"""The compliance report as a PDF: its text checked against the database (as an officer, as a
manager, in Latvian), its first page saved as a PNG with the test's artefacts, who may download
it (page and API), bad dates, drafts kept out and the number of queries."""

import datetime
import html
import io
import re
import shutil
import subprocess
import sys

import pytest
import time_machine
from django.utils import translation
from pypdf import PdfReader

from backend.accounts.models import User
from backend.amendments.models import AmendmentRequest, AmendmentStatus
from backend.audit.models import Event
from backend.common.dates import BRUSSELS, project_month
from backend.demo.loading import demo_load
from backend.grants.selectors import project_eligibility
from backend.payments.models import Instalment, Payment
from backend.reporting.models import ReportVersion
from backend.workplan.models import Deliverable
from frontend.presenters import DECISION, DELIVERABLE_STATUS, VERDICT
from frontend.templatetags.grantwatch import eur
from monitoring import compliance_report as module
from monitoring.models import Flag
from tests.browser.helpers import ARTEFACTS

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=BRUSSELS)
TODAY = NOW.date()
PDF_URL = "/projects/{}/compliance/report.pdf"
API_URL = "/api/v1/projects/{}/compliance-report"
PARTNER_REASON = (
    "The compliance report is for the project's agency officers, its managers and administrators."
)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def loaded(settings, django_capture_on_commit_callbacks):
    """The demo project with its work record (reports and their versions, deliverables in
    each state, the pre-financing paid, open flags), loaded for NOW; a draft amendment request
    of the manager's and one submitted."""
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        result = demo_load(password="grantwatch-demo", portfolio=False)
    manager = User.objects.get(username="manager")
    project = result.project
    submitted = AmendmentRequest.objects.create(
        project=project,
        status=AmendmentStatus.SUBMITTED,
        justification="A partner leaves.",
        created_by=manager,
        submitted_by=manager,
        submitted_at=NOW - datetime.timedelta(days=3),
        decision_due_on=TODAY + datetime.timedelta(days=60),
    )
    draft = AmendmentRequest.objects.create(
        project=project,
        status=AmendmentStatus.DRAFT,
        justification="SECRET-DRAFT-JUSTIFICATION",
        created_by=manager,
    )
    return {"project": project, "submitted": submitted, "draft": draft}


def _text(body: bytes) -> str:
    """The PDF's text, each run of white space (a line break, a no-break space) one space."""
    reader = PdfReader(io.BytesIO(body))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def _eur(amount, language: str = "en") -> str:
    """An amount as the pages show it, in ``language``, its spaces made plain."""
    with translation.override(language):
        return " ".join(eur(amount).split())


def _download(client, project, username: str, url: str = PDF_URL, **extra) -> bytes:
    client.force_login(User.objects.get(username=username))
    response = client.get(url.format(project.pk), **extra)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    return response.content


def _day(project, value: datetime.date) -> str:
    return f"M{project_month(project.start_date, value)} · {value.isoformat()}"


def _request(number: int) -> re.Pattern:
    return re.compile(rf"\bRequest {number}\b")


# -- what it holds --------------------------------------------------------------------------------


def test_the_officer_s_report_holds_the_figures_of_the_database(client, loaded):
    project = loaded["project"]

    text = _text(_download(client, project, "officer"))

    assert f"{project.acronym}: compliance report" in text
    assert f"Report date: {_day(project, TODAY)}." in text
    assert "Produced on 2026-11-27 09:00 (Brussels time)." in text
    officer = User.objects.get(username="officer")
    verdict = project_eligibility(user=officer, project_id=project.pk, as_of=TODAY).verdict
    assert f"Verdict on {_day(project, TODAY)}: {VERDICT.label(verdict.status)}." in text
    counted = len(verdict.result("min_full_partners").participants)
    assert counted > 0
    assert f"{counted} participants counted as full partners." in text
    flags = list(Flag.objects.filter(project=project, resolved_at__isnull=True))
    assert flags
    for flag in flags:
        assert " ".join(flag.message("en").split()) in text
    for deliverable in Deliverable.objects.filter(project=project).select_related("lead"):
        row = (
            f"{deliverable.lead.short_name} {_day(project, deliverable.due_on)} "
            f"{DELIVERABLE_STATUS.label(deliverable.status)}"
        )
        assert deliverable.code in text
        assert row in text, row
    versions = list(ReportVersion.objects.filter(report__project=project))
    assert versions
    for version in versions:
        submitted = version.submitted_at.astimezone(BRUSSELS).date()
        decision = DECISION.label(version.decision)
        line = f"Version {version.number}: {_day(project, submitted)}, {decision}"
        assert line in text, line
    payments = list(Payment.objects.filter(project=project))
    assert payments
    for payment in payments:
        assert f"{_eur(payment.signed_amount)} {_day(project, payment.paid_on)}" in text
    for instalment in Instalment.objects.filter(project=project):
        assert _eur(instalment.amount_eur) in text
    assert _request(loaded["submitted"].pk).search(text)
    # The manager's draft is not the officer's to see.
    assert not _request(loaded["draft"].pk).search(text)
    assert "SECRET-DRAFT" not in text


def test_the_manager_s_report_holds_their_draft_amendment(client, loaded):
    project = loaded["project"]

    text = _text(_download(client, project, "manager"))

    manager = User.objects.get(username="manager")
    verdict = project_eligibility(user=manager, project_id=project.pk, as_of=TODAY).verdict
    assert f"Verdict on {_day(project, TODAY)}: {VERDICT.label(verdict.status)}." in text
    for payment in Payment.objects.filter(project=project):
        assert f"{_eur(payment.signed_amount)} {_day(project, payment.paid_on)}" in text
    for flag in Flag.objects.filter(project=project, resolved_at__isnull=True):
        assert " ".join(flag.message("en").split()) in text
    assert _request(loaded["draft"].pk).search(text)
    assert _request(loaded["submitted"].pk).search(text)
    # Its justification is not part of the report, for anyone.
    assert "SECRET-DRAFT" not in text


def test_the_verdict_is_the_one_of_the_report_s_date(client, loaded):
    project = loaded["project"]
    day = project.start_date + datetime.timedelta(days=40)
    officer = User.objects.get(username="officer")
    verdict = project_eligibility(user=officer, project_id=project.pk, as_of=day).verdict

    text = _text(_download(client, project, "officer", url=PDF_URL + f"?date={day}"))

    assert f"Report date: {_day(project, day)}." in text
    assert f"Verdict on {_day(project, day)}: {VERDICT.label(verdict.status)}." in text


def test_the_report_in_latvian(client, loaded):
    project = loaded["project"]
    payment = Payment.objects.filter(project=project).first()
    latvian = _eur(payment.signed_amount, "lv")
    assert "," in latvian
    assert latvian != _eur(payment.signed_amount)

    text = _text(_download(client, project, "officer", HTTP_ACCEPT_LANGUAGE="lv"))

    assert "Atvērtie brīdinājumi" in text  # Open flags
    assert "Maksājumu grafiks" in text  # Payment schedule
    assert latvian in text
    assert "Open flags" not in text
    # Latvian letters come out as letters (DejaVu holds them): the participants' names.
    assert "Zīlemeža" in text
    assert "Šešupės" in text


def test_the_api_speaks_the_user_s_language_unless_the_request_asks_for_another(client, loaded):
    project = loaded["project"]
    User.objects.filter(username="officer").update(language="lv")

    in_users_own = _text(_download(client, project, "officer", url=API_URL))
    asked_english = _text(
        _download(client, project, "officer", url=API_URL, HTTP_ACCEPT_LANGUAGE="en")
    )

    assert "Atvērtie brīdinājumi" in in_users_own
    assert "Open flags" in asked_english
    assert "Atvērtie brīdinājumi" not in asked_english


def test_the_first_page_is_saved_as_a_png_with_the_artefacts(client, loaded, tmp_path):
    assert shutil.which("pdftoppm"), "pdftoppm (poppler-utils) is missing"
    body = _download(client, loaded["project"], "officer")
    pdf = tmp_path / "compliance-report.pdf"
    pdf.write_bytes(body)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    prefix = ARTEFACTS / "compliance-report"
    for old in ARTEFACTS.glob("compliance-report*.png"):
        old.unlink()

    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(prefix)],
        check=True,
        timeout=60,
    )

    pages = sorted(ARTEFACTS.glob("compliance-report*.png"))
    assert len(pages) == 1
    assert pages[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(PdfReader(io.BytesIO(body)).pages) > 1


def test_the_download_is_an_attachment_named_after_the_acronym_and_the_date(client, loaded):
    project = loaded["project"]
    client.force_login(User.objects.get(username="manager"))
    name = f'attachment; filename="{project.acronym}-compliance-2026-05-04.pdf"'

    page = client.get(PDF_URL.format(project.pk), {"date": "2026-05-04"})
    api = client.get(
        API_URL.format(project.pk), {"date": "2026-05-04"}, HTTP_ACCEPT="application/pdf"
    )

    assert page["Content-Disposition"] == name
    assert api.status_code == 200
    assert api["Content-Disposition"] == name
    assert api.content.startswith(b"%PDF")


def test_the_pages_link_to_it_for_those_who_may_download_it(client, loaded):
    project = loaded["project"]
    link = f'href="{PDF_URL.format(project.pk)}"'
    for username, shown in (("officer", True), ("manager", True), ("partner1", False)):
        client.force_login(User.objects.get(username=username))
        home = client.get(f"/projects/{project.pk}/").content.decode()
        assert (link in home) is shown, username
        if username != "partner1":
            compliance = client.get(f"/projects/{project.pk}/compliance/").content.decode()
            assert link in compliance


# -- who may download it ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("officer", 200),
        ("manager", 200),
        ("admin", 200),
        ("partner_contact", 403),
        ("other_partner", 403),
        ("other_officer", 404),
        ("other_manager", 404),
        ("stranger", 404),
    ],
)
@pytest.mark.parametrize("url", [PDF_URL, API_URL], ids=["page", "api"])
def test_who_may_download_it(client, grant, grant_users, who, status, url):
    client.force_login(grant_users[who])

    response = client.get(url.format(grant.pk))

    assert response.status_code == status
    body = response.content
    if status == 200:
        assert body.startswith(b"%PDF")
        assert grant.acronym in _text(body)
    elif status == 403:
        assert PARTNER_REASON in html.unescape(body.decode())
        assert b"%PDF" not in body
    else:
        assert grant.acronym.encode() not in body
        assert grant.title.encode() not in body


@pytest.mark.parametrize("url", [PDF_URL, API_URL], ids=["page", "api"])
def test_an_anonymous_visitor_gets_nothing(client, grant, url):
    response = client.get(url.format(grant.pk))

    assert response.status_code in (302, 401, 403)
    assert grant.acronym.encode() not in response.content


# -- bad dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-02-30", "Enter a date as YYYY-MM-DD"),
        ("27.11.2026", "Enter a date as YYYY-MM-DD"),
        ("20261127", "Enter a date as YYYY-MM-DD"),
        ("yesterday", "Enter a date as YYYY-MM-DD"),
        ("2026-11-28", "after today (2026-11-27)"),
        ("2000-01-01", "before the project started"),
    ],
)
def test_a_bad_date_is_refused_naming_the_field(client, grant, grant_users, value, message):
    client.force_login(grant_users["officer"])
    events = Event.objects.count()

    api = client.get(API_URL.format(grant.pk), {"date": value})
    page = client.get(PDF_URL.format(grant.pk), {"date": value})

    assert api.status_code == 400
    errors = api.json()["errors"]
    assert [error["path"] for error in errors] == ["date"]
    assert message in errors[0]["message"]
    assert api["Content-Type"].startswith("application/json")
    assert page.status_code == 400
    assert 'data-field="date"' in page.content.decode()
    assert message in page.content.decode()
    assert Event.objects.count() == events


def test_a_partner_is_refused_before_the_date_is_read(client, grant, grant_users):
    client.force_login(grant_users["partner_contact"])

    response = client.get(API_URL.format(grant.pk), {"date": "nonsense"})

    assert response.status_code == 403
    assert "date" not in response.json().get("errors", [])


# -- without WeasyPrint, and fetching nothing ---------------------------------------------------


def test_without_weasyprint_the_answer_is_503_with_the_reason(
    client, grant, grant_users, monkeypatch
):
    # An import of a module set to None raises ImportError, as a missing library does.
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    client.force_login(grant_users["officer"])

    api = client.get(API_URL.format(grant.pk))
    page = client.get(PDF_URL.format(grant.pk))

    assert api.status_code == 503
    assert "WeasyPrint" in api.json()["detail"]
    assert page.status_code == 503
    assert "WeasyPrint" in page.content.decode()


def test_rendering_fetches_nothing(client, grant, grant_users, monkeypatch):
    asked = []
    refuse = module.refuse_fetch

    def spy(url, *args, **kwargs):
        asked.append(url)
        return refuse(url, *args, **kwargs)

    monkeypatch.setattr(module, "refuse_fetch", spy)
    monkeypatch.setattr(
        module,
        "report_html",
        lambda report: '<p>x</p><img src="http://192.0.2.1/a.png"><img src="file:///etc/hostname">',
    )
    client.force_login(grant_users["officer"])

    response = client.get(API_URL.format(grant.pk))

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert asked == ["http://192.0.2.1/a.png", "file:///etc/hostname"]
    with pytest.raises(ValueError, match="fetches nothing"):
        module.refuse_fetch("file:///etc/hostname")


# -- queries -----------------------------------------------------------------------------------


def _grown(project, manager, size: int, start: int = 0) -> None:
    """``size`` more of what the report lists: flags, deliverables, amendment requests."""
    from monitoring.flags import Finding, flags_sync

    flags_sync(
        project_ids=[project.pk],
        kinds={"milestone_overdue"},
        findings=[
            Finding(
                project_id=project.pk,
                kind="milestone_overdue",
                severity="low",
                fingerprint=f"milestone_overdue:m{n}",
                explanation={"en": f"m{n} in English", "lv": f"m{n} latviski"},
            )
            for n in range(start + size)
        ],
        now=NOW,
    )
    template = Deliverable.objects.filter(project=project).first()
    for n in range(start, start + size):
        template.pk = None
        template.code = f"DX.{n}"
        template.save()
    for _ in range(size):
        AmendmentRequest.objects.create(
            project=project,
            status=AmendmentStatus.SUBMITTED,
            justification="More partners.",
            created_by=manager,
            submitted_by=manager,
            submitted_at=NOW,
            decision_due_on=TODAY + datetime.timedelta(days=60),
        )


def test_the_report_takes_the_same_queries_whatever_the_size_of_the_record(
    client, grant, grant_users, django_assert_max_num_queries
):
    officer = grant_users["officer"]
    # One of each (a list with rows reads its related rows once, an empty one not at all).
    _grown(grant, grant_users["manager"], 1)
    client.force_login(officer)
    with django_assert_max_num_queries(70) as few:
        small = client.get(API_URL.format(grant.pk))
    assert small.status_code == 200

    _grown(grant, grant_users["manager"], 10, start=1)

    with django_assert_max_num_queries(len(few.captured_queries)):
        large = client.get(API_URL.format(grant.pk))
    text = _text(large.content)
    assert "m10 in English" in text
    assert "DX.10" in text
