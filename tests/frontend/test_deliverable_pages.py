"""The deliverables board, a deliverable's page with its file and workflow steps, and the
milestones page: who sees what, what each form does, and the errors shown at their fields.

CARETECH starts 2024-03-01; on TODAY (2026-05-04) D1.1 (lead GAUJA, the manager's organisation,
due M3 · 2024-05-31) is long overdue and D5.4 (lead ZILEMED, the partner contact's, due M28 ·
2026-06-30) not yet due."""

import datetime
import re

import pytest

from backend.audit.models import Event
from backend.demo.loading import demo_load
from backend.workplan.models import Deliverable, EvidenceFile, Milestone
from backend.workplan.services import deliverable_request_revision, milestone_achieve
from tests.workplan import files
from tests.workplan.helpers import (
    TODAY,
    at,
    events,
    make_accepted,
    make_draft,
    make_submitted,
    record_state,
    stored_files,
)

pytestmark = pytest.mark.django_db

ALLOWED = "doc, docx, odt, rtf, pdf, csv, zip"
MAX_QUERIES = 16


@pytest.fixture(autouse=True)
def _today():
    with at(TODAY):
        yield


@pytest.fixture
def d11(demo) -> Deliverable:
    return demo.deliverables.get(code="D1.1")


@pytest.fixture
def d54(demo) -> Deliverable:
    return demo.deliverables.get(code="D5.4")


def _as(client, users, role):
    client.force_login(users[role])
    return client


def _board_url(project, query=""):
    return f"/projects/{project.pk}/deliverables/{query}"


def _url(deliverable, action=""):
    return f"/projects/{deliverable.project_id}/deliverables/{deliverable.pk}/{action}"


def _columns(page: str) -> dict[str, list[str]]:
    """Each board column's status and the codes of its cards, in order."""
    return {
        status: re.findall(r'<li class="dcard[^"]*" data-code="([^"]+)"', body)
        for status, body in re.findall(
            r'<section class="board-column col-(\w+)"[^>]*>(.*?)</section>', page, re.S
        )
    }


def _upload(client, deliverable, name="report.pdf", content=files.PDF, **extra):
    return client.post(_url(deliverable, "upload/"), {"file": files.upload(name, content)}, **extra)


# -- the board -----------------------------------------------------------------------------------


def test_the_board_shows_each_deliverable_in_its_status_column(client, users, demo, d11, d54):
    make_accepted(d11, users["manager"], users["officer"])
    make_draft(d54, users["manager"])

    response = _as(client, users, "manager").get(_board_url(demo))

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<h1>") == 1
    assert "<h1>Deliverables of CARETECH</h1>" in page
    columns = _columns(page)
    assert list(columns) == ["pending", "draft", "submitted", "accepted"]
    assert columns["draft"] == ["D5.4"]
    assert columns["submitted"] == []
    assert columns["accepted"] == ["D1.1"]
    assert len(columns["pending"]) == 45
    assert '<h2 id="col-pending">Pending <span class="count">(45)</span></h2>' in page
    assert "47 deliverables shown." in page
    # D1.2 is due M6 · 2024-08-31 and pending: overdue, in words
    card = re.search(r'<li class="dcard is-overdue" data-code="D1.2">(.*?)</li>', page, re.S)
    assert card is not None
    assert "Due M6 · 2024-08-31" in card.group(1)
    assert '<span class="badge status-red">Overdue</span>' in card.group(1)
    assert '<li class="dcard" data-code="D5.4">' in page


def test_the_board_filters_by_work_package(client, users, demo):
    page = _as(client, users, "manager").get(_board_url(demo, "?work_package=3")).content.decode()

    codes = [code for column in _columns(page).values() for code in column]
    assert codes == ["D3.1", "D3.2", "D3.3", "D3.4", "D3.5", "D3.6", "D3.7"]
    assert '<option value="3" selected>WP3 Modular curricula' in page


def test_the_board_filters_by_activity_cluster(client, users, demo):
    page = (
        _as(client, users, "manager")
        .get(_board_url(demo, "?cluster=governance_funding"))
        .content.decode()
    )

    codes = [code for column in _columns(page).values() for code in column]
    assert {code.split(".")[0] for code in codes} == {"D1", "D7", "D8"}
    assert len(codes) == demo.deliverables.filter(work_package__number__in=[1, 7, 8]).count()


def test_the_board_filters_by_status_and_shows_that_column_only(client, users, demo, d54):
    make_draft(d54, users["manager"])

    page = _as(client, users, "manager").get(_board_url(demo, "?status=draft")).content.decode()

    assert _columns(page) == {"draft": ["D5.4"]}


def test_the_board_shows_only_the_overdue_when_asked(client, users, demo):
    page = _as(client, users, "manager").get(_board_url(demo, "?overdue=on")).content.decode()

    codes = _columns(page)["pending"]
    overdue = demo.deliverables.filter(due_on__lt=TODAY).order_by("position")
    assert codes == [deliverable.code for deliverable in overdue]
    assert "D5.4" not in codes


def test_an_htmx_request_gets_the_board_alone(client, users, demo):
    response = _as(client, users, "manager").get(
        _board_url(demo, "?work_package=5"), headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="board"')
    assert "<html" not in page
    assert "HX-Request" in response["Vary"]
    codes = [code for column in _columns(page).values() for code in column]
    assert codes
    assert all(code.startswith("D5.") for code in codes)


def test_a_filter_that_is_not_valid_is_refused_with_the_reason(client, users, demo):
    response = _as(client, users, "manager").get(_board_url(demo, "?work_package=99"))

    assert response.status_code == 400
    page = response.content.decode()
    assert (
        '<select name="work_package" aria-invalid="true" '
        'aria-describedby="filter_work_package_error" id="filter_work_package">' in page
    )
    assert (
        "<li>Work package: Select a valid choice. 99 is not one of the available choices.</li>"
        in page
    )


@pytest.mark.parametrize("role", ["partner_contact", "other_partner", "officer", "admin"])
def test_everyone_who_sees_the_project_gets_the_board(client, users, demo, role):
    assert _as(client, users, role).get(_board_url(demo)).status_code == 200


def test_the_board_is_not_found_for_a_stranger_and_asks_an_anonymous_visitor_to_sign_in(
    client, users, demo
):
    assert _as(client, users, "stranger").get(_board_url(demo)).status_code == 404
    client.logout()
    response = client.get(_board_url(demo))
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/projects/{demo.pk}/deliverables/"


# -- a deliverable's page ------------------------------------------------------------------------


def test_the_manager_sees_a_pending_deliverables_details_and_the_upload_form(client, users, d11):
    response = _as(client, users, "manager").get(_url(d11))

    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>D1.1 Project handbook and quality assurance plan</h1>" in page
    assert 'id="deliverable-status">Pending</span>' in page
    assert '<span class="badge status-red">Overdue</span>' in page
    assert "<dt>Due</dt><dd>M3 · 2024-05-31</dd>" in page
    assert "<dt>Lead</dt><dd>GAUJA</dd>" in page
    assert '<label for="id_file">File</label>' in page
    assert 'enctype="multipart/form-data"' in page
    assert "Upload the file first; then submit the draft to the agency." in page
    assert f'action="{_url(d11, "submit/")}"' not in page


def test_upload_a_good_file_then_submit_it(client, users, d11):
    client = _as(client, users, "manager")

    uploaded = _upload(client, d11, name="Handbook final.pdf")

    assert uploaded.status_code == 303
    assert uploaded["Location"] == _url(d11)
    evidence = EvidenceFile.objects.get(deliverable=d11, current=True)
    assert (evidence.name, evidence.size) == ("Handbook_final.pdf", len(files.PDF))
    page = client.get(_url(d11)).content.decode()
    assert (
        "The file Handbook_final.pdf was uploaded: D1.1 is a draft; submit it when it is final."
        in page
    )
    assert 'id="deliverable-status">Draft</span>' in page
    download = (
        f"/api/v1/projects/{d11.project_id}/deliverables/{d11.pk}/evidence-files/{evidence.pk}"
    )
    assert f'<a href="{download}" download>Handbook_final.pdf</a>' in page

    submitted = client.post(_url(d11, "submit/"))

    assert submitted.status_code == 303
    d11.refresh_from_db()
    assert d11.status == "submitted"
    assert d11.delivered_on == TODAY
    assert d11.submitted_by == users["manager"]
    [event] = events("deliverable.submitted")
    assert (event.actor, event.object_id) == (users["manager"], str(d11.pk))
    assert event.before["status"] == "draft"
    assert event.after["status"] == "submitted"
    assert len(events("deliverable.evidence_uploaded")) == 1
    page = client.get(_url(d11)).content.decode()
    assert "D1.1 was submitted to the agency." in page
    assert 'id="deliverable-status">Submitted</span>' in page
    assert "<dt>Delivery date</dt><dd>M27 · 2026-05-04" in page
    # the download link gives the file
    file_response = client.get(download)
    assert file_response.status_code == 200
    assert b"".join(file_response.streaming_content) == files.PDF


def test_a_disguised_file_is_refused_at_the_file_field_and_nothing_is_stored(client, users, d11):
    before = record_state(d11)

    response = _upload(_as(client, users, "manager"), d11, content=files.PNG)

    assert response.status_code == 400
    page = response.content.decode()
    assert (
        '<ul class="errorlist" id="id_file_error"><li>The content of &quot;report.pdf&quot; '
        "(image/png) is not that of a .pdf file; upload a real file of one of these types: "
        f"{ALLOWED}.</li></ul>" in page
    )
    assert re.search(r'<input type="file" name="file"[^>]* aria-invalid="true"', page)
    assert 'aria-describedby="id_file_helptext id_file_error"' in page
    assert 'id="deliverable-status">Pending</span>' in page
    assert EvidenceFile.objects.count() == 0
    assert stored_files() == []
    assert record_state(d11) == before


def test_a_file_of_a_type_not_accepted_is_refused(client, users, d11):
    response = _upload(_as(client, users, "manager"), d11, name="setup.exe", content=files.EXE)

    assert response.status_code == 400
    assert (
        "Files of this type (&quot;setup.exe&quot;) are not accepted; upload one of: "
        f"{ALLOWED} (several files go into one zip)." in response.content.decode()
    )
    assert EvidenceFile.objects.count() == 0
    assert stored_files() == []


def test_a_file_too_large_is_refused(client, users, d11, settings):
    settings.GRANTWATCH_EVIDENCE_MAX_BYTES = 100

    response = _upload(_as(client, users, "manager"), d11)

    assert response.status_code == 400
    assert (
        f"The file is too large ({len(files.PDF)} B); the limit is 100 B."
        in response.content.decode()
    )
    assert stored_files() == []


def test_uploading_without_a_file_says_to_choose_one(client, users, d11):
    response = _as(client, users, "manager").post(_url(d11, "upload/"), {})

    assert response.status_code == 400
    assert (
        f'<ul class="errorlist" id="id_file_error"><li>Choose a file to upload ({ALLOWED}).</li>'
        in response.content.decode()
    )


def test_a_bad_file_is_refused_in_latvian_too(client, users, d11):
    client = _as(client, users, "manager")
    client.cookies["django_language"] = "lv"

    response = _upload(client, d11, content=files.PNG)

    assert response.status_code == 400
    page = response.content.decode()
    assert '<html lang="lv">' in page
    assert (
        '<ul class="errorlist" id="id_file_error"><li>Datnes „report.pdf” saturs (image/png) '
        "neatbilst .pdf datnei; augšupielādējiet īstu datni, kuras tips ir kāds no šiem: "
        f"{ALLOWED}.</li></ul>" in page
    )
    assert stored_files() == []


def test_submitting_without_a_file_is_refused_with_the_reason(client, users, d11):
    before = record_state(d11)

    response = _as(client, users, "manager").post(_url(d11, "submit/"))

    assert response.status_code == 409
    page = response.content.decode()
    assert (
        '<div class="messages" role="alert"><p class="message error">Only a draft can be '
        "submitted; this deliverable is &quot;Pending&quot;.</p></div>" in page
    )
    assert record_state(d11) == before


def test_the_lead_partners_contact_uploads_but_does_not_submit(client, users, d54):
    client = _as(client, users, "partner_contact")

    page = client.get(_url(d54)).content.decode()
    assert '<label for="id_file">File</label>' in page

    assert _upload(client, d54).status_code == 303
    page = client.get(_url(d54)).content.decode()
    assert f'action="{_url(d54, "submit/")}"' not in page
    assert f'action="{_url(d54, "delete-file/")}"' in page

    refused = client.post(_url(d54, "submit/"))
    assert refused.status_code == 403
    assert "Only the project&#x27;s managers and administrators submit deliverables." in (
        refused.content.decode()
    )


def test_another_partners_contact_sees_no_upload_form_and_may_not_upload(client, users, d54):
    client = _as(client, users, "other_partner")

    assert 'id="id_file"' not in client.get(_url(d54)).content.decode()
    assert _upload(client, d54).status_code == 403
    assert EvidenceFile.objects.count() == 0


def test_the_manager_deletes_a_drafts_file(client, users, d54):
    make_draft(d54, users["manager"])
    client = _as(client, users, "manager")

    response = client.post(_url(d54, "delete-file/"))

    assert response.status_code == 303
    d54.refresh_from_db()
    assert d54.status == "pending"
    assert EvidenceFile.objects.count() == 0
    assert "The file was deleted: D5.4 is pending again." in client.get(_url(d54)).content.decode()


def test_the_officer_does_not_see_a_drafts_file_nor_the_consortiums_forms(client, users, d54):
    make_draft(d54, users["manager"])

    page = _as(client, users, "officer").get(_url(d54)).content.decode()

    assert "No file you may download." in page
    assert 'id="id_file"' not in page
    assert "What you can do" not in page


def test_the_officer_accepts_a_submitted_deliverable(client, users, d54):
    make_submitted(d54, users["manager"])
    client = _as(client, users, "officer")
    page = client.get(_url(d54)).content.decode()
    assert "Accept the deliverable" in page
    assert '<label for="id_reason">What has to be revised</label>' in page

    response = client.post(_url(d54, "accept/"))

    assert response.status_code == 303
    d54.refresh_from_db()
    assert (d54.status, d54.approved_on, d54.approved_by) == ("accepted", TODAY, users["officer"])
    page = client.get(_url(d54)).content.decode()
    assert "D5.4 was accepted." in page
    assert "<dt>Approval date</dt><dd>M27 · 2026-05-04" in page


def test_the_manager_may_not_accept(client, users, d54):
    make_submitted(d54, users["manager"])

    assert _as(client, users, "manager").post(_url(d54, "accept/")).status_code == 403


def test_a_revision_request_needs_a_reason(client, users, d54):
    make_submitted(d54, users["manager"])
    before = record_state(d54)

    response = _as(client, users, "officer").post(_url(d54, "request-revision/"), {"reason": " "})

    assert response.status_code == 400
    assert (
        '<ul class="errorlist" id="id_reason_error"><li>Say what has to be revised.</li></ul>'
        in response.content.decode()
    )
    assert record_state(d54) == before


def test_a_revision_request_sends_the_deliverable_back_and_keeps_its_file(client, users, d54):
    make_submitted(d54, users["manager"])
    client = _as(client, users, "officer")

    response = client.post(
        _url(d54, "request-revision/"), {"reason": "Add the learners' feedback."}
    )

    assert response.status_code == 303
    d54.refresh_from_db()
    assert (d54.status, d54.revision_reason) == ("pending", "Add the learners' feedback.")
    page = client.get(_url(d54)).content.decode()
    assert "D5.4 was sent back for revision." in page
    assert (
        '<dt>Revision requested</dt><dd class="prose">Add the learners&#x27; feedback.</dd>' in page
    )
    assert "<td>Sent back for revision</td>" in page


def test_a_step_on_a_deliverable_of_another_project_is_not_found(
    client, users, demo, other_project
):
    theirs = other_project.deliverables.first()

    client = _as(client, users, "manager")
    assert client.get(f"/projects/{demo.pk}/deliverables/{theirs.pk}/").status_code == 404
    assert client.post(f"/projects/{demo.pk}/deliverables/{theirs.pk}/submit/").status_code == 404


def test_the_step_routes_answer_post_only(client, users, d11):
    assert _as(client, users, "manager").get(_url(d11, "submit/")).status_code == 405


def test_the_pages_take_the_same_queries_with_the_full_work_record(
    client, users, demo, d11, django_assert_max_num_queries
):
    client = _as(client, users, "manager")
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(_board_url(demo)).status_code == 200
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(_url(d11)).status_code == 200
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(f"/projects/{demo.pk}/milestones/").status_code == 200

    demo_load(allow_production=True, portfolio=False)
    revised = demo.deliverables.get(code="D2.4")
    assert revised.evidence_files.count() == 2
    assert demo.deliverables.exclude(status="pending").count() > 20

    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(_board_url(demo)).status_code == 200
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(_url(revised)).status_code == 200
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(f"/projects/{demo.pk}/milestones/").status_code == 200


# -- milestones ----------------------------------------------------------------------------------


def _milestones_url(project, milestone=None):
    url = f"/projects/{project.pk}/milestones/"
    return url if milestone is None else f"{url}{milestone.pk}/achieve/"


@pytest.fixture
def ms1(demo) -> Milestone:
    return demo.milestones.get(code="MS1")


def test_the_manager_sees_the_milestones_with_a_form_to_record_each(client, users, demo, ms1):
    page = _as(client, users, "manager").get(_milestones_url(demo)).content.decode()

    assert "<h1>Milestones of CARETECH</h1>" in page
    assert page.count("<summary>Mark as achieved</summary>") == demo.milestones.count()
    assert f'<label for="ms{ms1.pk}_achieved_on">Achieved on</label>' in page
    assert f"<dt>Due</dt><dd>M{ms1.due_month} · {ms1.due_date.isoformat()}</dd>" in page
    assert '<span class="badge status-red">Overdue</span>' in page


@pytest.mark.parametrize("role", ["partner_contact", "officer"])
def test_who_may_not_record_sees_no_form(client, users, demo, role):
    response = _as(client, users, role).get(_milestones_url(demo))

    assert response.status_code == 200
    assert "Mark as achieved" not in response.content.decode()


def test_the_manager_records_a_milestone_as_achieved(client, users, demo, ms1):
    client = _as(client, users, "manager")

    response = client.post(
        _milestones_url(demo, ms1),
        {"achieved_on": "2024-05-20", "verification": "Minutes and attendance list."},
    )

    assert response.status_code == 303
    assert response["Location"] == f"{_milestones_url(demo)}#ms-{ms1.pk}"
    ms1.refresh_from_db()
    assert (ms1.achieved_on, ms1.achievement_evidence) == (
        datetime.date(2024, 5, 20),
        "Minutes and attendance list.",
    )
    assert Event.objects.filter(verb="milestone.achieved", object_id=str(ms1.pk)).count() == 1
    page = client.get(_milestones_url(demo)).content.decode()
    assert "MS1 was recorded as achieved on 2024-05-20." in page
    assert page.count("<summary>Mark as achieved</summary>") == demo.milestones.count() - 1


def test_a_date_in_the_future_is_refused_at_its_field_and_the_input_kept(client, users, demo, ms1):
    response = _as(client, users, "manager").post(
        _milestones_url(demo, ms1), {"achieved_on": "2026-06-01", "verification": "Minutes."}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert (
        f'<ul class="errorlist" id="ms{ms1.pk}_achieved_on_error"><li>A milestone cannot be '
        "achieved in the future (today is 2026-05-04).</li></ul>" in page
    )
    assert (
        f'value="2026-06-01" aria-invalid="true" aria-describedby="ms{ms1.pk}_achieved_on_error"'
        in page
    )
    assert f'id="ms{ms1.pk}_verification">\nMinutes.</textarea>' in page
    assert '<details class="achieve" open>' in page
    ms1.refresh_from_db()
    assert ms1.achieved_on is None


def test_an_empty_achievement_names_both_fields(client, users, demo, ms1):
    response = _as(client, users, "manager").post(_milestones_url(demo, ms1), {})

    assert response.status_code == 400
    page = response.content.decode()
    assert "<li>Give the date it was achieved.</li>" in page
    assert "<li>Say how the means of verification show the milestone achieved.</li>" in page


def test_a_milestone_already_achieved_is_refused_with_the_reason(client, users, demo, ms1):
    milestone_achieve(
        milestone=ms1,
        user=users["manager"],
        achieved_on=datetime.date(2024, 5, 20),
        verification="Minutes.",
    )

    response = _as(client, users, "manager").post(
        _milestones_url(demo, ms1), {"achieved_on": "2024-05-21", "verification": "Again."}
    )

    assert response.status_code == 409
    assert "This milestone was already recorded as achieved on 2024-05-20." in (
        response.content.decode()
    )


def test_a_partner_contact_may_not_record_a_milestone(client, users, demo, ms1):
    response = _as(client, users, "partner_contact").post(
        _milestones_url(demo, ms1), {"achieved_on": "2024-05-20", "verification": "Minutes."}
    )

    assert response.status_code == 403
    ms1.refresh_from_db()
    assert ms1.achieved_on is None


def test_a_revision_keeps_the_first_file_downloadable_by_the_officer(client, users, d54):
    make_submitted(d54, users["manager"])
    deliverable_request_revision(deliverable=d54, user=users["officer"], reason="More data.")
    first = EvidenceFile.objects.get(deliverable=d54)
    make_draft(d54, users["manager"], name="second.pdf")

    page = _as(client, users, "officer").get(_url(d54)).content.decode()

    # the officer reads the file sent back, not the new draft's
    assert f'/evidence-files/{first.pk}" download>report.pdf</a>' in page
    assert "second.pdf" not in page
