"""The amendment builder: rows of changes with a live what-if (an htmx partial answered 200 with
its errors inside), saving a draft, the request's page and its steps (submit, approve, reject)."""

import pytest
import time_machine

from backend.amendments.models import AmendmentRequest, AmendmentStatus
from backend.amendments.services import amendment_create, amendment_submit
from tests.amendments.helpers import DOWN_TO_SEVEN, terminate

pytestmark = pytest.mark.django_db

NOW = "2026-11-27 10:00 +01:00"
HTMX = {"HTTP_HX_REQUEST": "true"}


def rows(*changes: dict, justification: str = "") -> dict:
    """The builder's POST data for these rows (a row is a dict of its fields)."""
    data = {
        "justification": justification,
        "changes-TOTAL_FORMS": str(len(changes)),
        "changes-INITIAL_FORMS": "0",
        "changes-MIN_NUM_FORMS": "0",
        "changes-MAX_NUM_FORMS": "50",
    }
    for index, change in enumerate(changes):
        for name, value in change.items():
            data[f"changes-{index}-{name}"] = value
    return data


def leaving(participant: str, last_day: str = "2026-06-30") -> dict:
    return {"kind": "terminate_participation", "effective_on": last_day, "participant": participant}


# The user logs in at NOW too: a session opened on the day the suite runs would have expired by
# NOW when that day is more than two weeks before it (GRANTWATCH_TEST_TODAY=2025-01-31).
def _post(client, user, url, data, **headers):
    with time_machine.travel(NOW, tick=False):
        client.force_login(user)
        return client.post(url, data, **headers)


def _get(client, user, url):
    with time_machine.travel(NOW, tick=False):
        client.force_login(user)
        return client.get(url)


# -- the builder ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("manager", 200),
        ("admin", 200),
        ("officer", 403),
        ("partner_contact", 403),
        ("stranger", 404),
        ("other_manager", 404),
    ],
)
def test_the_builder_is_for_the_projects_managers(client, users, demo, who, status):
    response = _get(client, users[who], f"/projects/{demo.pk}/amendments/new/")

    assert response.status_code == status


def test_a_partner_contact_is_told_why_they_may_not_build_a_request(client, users, demo):
    response = _get(client, users["partner_contact"], f"/projects/{demo.pk}/amendments/new/")

    assert response.status_code == 403
    assert (
        "Only the project&#x27;s managers and administrators draft and submit amendment "
        "requests." in response.content.decode()
    )


def test_the_builder_shows_one_empty_row_the_live_what_if_and_todays_verdict(client, users, demo):
    response = _get(client, users["manager"], f"/projects/{demo.pk}/amendments/new/")

    page = response.content.decode()
    assert "<h1>New amendment request for CARETECH</h1>" in page
    assert f'hx-post="/projects/{demo.pk}/amendments/what-if/"' in page
    assert 'hx-trigger="load, change, keyup delay:500ms"' in page
    assert "<legend>Change 1</legend>" in page
    assert '<select name="changes-0-kind" id="id_changes-0-kind">' in page
    assert '<div id="changes-0-live" class="row-live errors" aria-live="polite"></div>' in page
    assert "Eligibility today, without the changes" in page
    assert (
        "13 full partners established in EU Member States or associated third countries take "
        "part on 2026-11-27; at least 8 are required." in page
    )


def test_adding_a_row_redraws_the_form_as_typed_and_saves_nothing(client, users, demo):
    data = {**rows(leaving("LVTDA"), justification="LVTDA leaves."), "add_row": "1"}

    response = _post(client, users["manager"], f"/projects/{demo.pk}/amendments/new/", data, **HTMX)

    assert response.status_code == 200
    form = response.content.decode()
    assert form.lstrip().startswith("<form")  # the form alone, for htmx to swap
    assert "<legend>Change 2</legend>" in form
    assert '<option value="LVTDA" selected>' in form
    assert 'value="2026-06-30"' in form
    assert "LVTDA leaves.</textarea>" in form
    assert AmendmentRequest.objects.count() == 0


def test_removing_a_row_keeps_the_others(client, users, demo):
    data = {**rows(leaving("LVTDA"), leaving("HOIVA")), "remove_row": "0"}

    response = _post(client, users["manager"], f"/projects/{demo.pk}/amendments/new/", data, **HTMX)

    form = response.content.decode()
    assert response.status_code == 200
    assert "<legend>Change 2</legend>" not in form
    assert '<option value="HOIVA" selected>' in form
    assert '<option value="LVTDA" selected>' not in form


def test_choosing_a_kind_shows_the_fields_that_kind_uses(client, users, demo):
    data = {**rows({"kind": "add_beneficiary", "effective_on": ""}), "refresh": "1"}

    response = _post(client, users["manager"], f"/projects/{demo.pk}/amendments/new/", data, **HTMX)

    form = response.content.decode()
    assert 'name="changes-0-pic"' in form
    assert 'name="changes-0-short_name"' in form
    assert "<legend>Organisation types</legend>" in form
    assert "Needed only when the system does not know the PIC yet." in form
    assert 'name="changes-0-participant"' not in form
    assert 'name="changes-0-affiliated_to"' not in form


# -- the live what-if -------------------------------------------------------------------------


def test_the_what_if_of_partners_leaving_shows_the_breach_and_the_rule(client, users, demo):
    data = rows(*[leaving(key) for key in DOWN_TO_SEVEN])

    response = _post(client, users["manager"], f"/projects/{demo.pk}/amendments/what-if/", data)

    assert response.status_code == 200
    partial = response.content.decode()
    assert '<span class="badge status-red">Breach</span>' in partial
    assert "With these changes the consortium would breach the composition rules:" in partial
    assert "from M29 · 2026-07-01: the minimum number of full partners" in partial
    assert '<tr class="turns-breach">' in partial
    assert (
        '<th scope="row">The minimum number of full partners<br><strong '
        'class="turns-breach-note">Would become a breach</strong></th>' in partial
    )
    assert (
        "7 full partners established in EU Member States or associated third countries take "
        "part on 2026-07-01; at least 8 are required." in partial
    )
    assert "Without the changes, on M28 · 2026-06-30" in partial
    assert "With the changes, from M29 · 2026-07-01" in partial
    for index in range(6):
        assert (
            f'<div id="changes-{index}-live" class="row-live errors" aria-live="polite" '
            'hx-swap-oob="true"></div>' in partial
        )
    assert AmendmentRequest.objects.count() == 0


def test_the_what_if_of_a_harmless_change_says_there_is_no_breach(client, users, demo):
    response = _post(
        client,
        users["officer"],
        f"/projects/{demo.pk}/amendments/what-if/",
        rows(leaving("LVTDA", "2026-12-31")),
    )

    partial = response.content.decode()
    assert response.status_code == 200
    assert (
        "With these changes the consortium would not breach the composition rules on any day "
        "from M34 · 2026-12-31 to the project's end." in partial
    )
    assert "turns-breach" not in partial


def test_a_bad_row_gets_its_error_at_the_row_in_a_200_partial(client, users, demo):
    data = rows(
        {"kind": "", "effective_on": ""},  # an empty row is not sent on
        leaving("NOPE", "2026-06-30"),
        leaving("HOIVA", "2024-01-31"),
    )

    response = _post(client, users["manager"], f"/projects/{demo.pk}/amendments/what-if/", data)

    assert response.status_code == 200
    partial = response.content.decode()
    assert (
        '<div id="changes-0-live" class="row-live errors" aria-live="polite" '
        'hx-swap-oob="true"></div>' in partial
    )
    assert (
        '<div id="changes-1-live" class="row-live errors" aria-live="polite" hx-swap-oob="true">'
        '<ul class="errorlist"><li>Participant leaving: No participant of this project has the '
        "short name &quot;NOPE&quot;.</li></ul></div>" in partial
    )
    assert (
        "<li>Last day of the participation: The project starts on 2024-03-01; a change cannot "
        "take effect before.</li>" in partial
    )
    assert "Change 3: Last day of the participation: The project starts on 2024-03-01" in partial
    assert "Breach" not in partial


def test_the_rows_errors_are_in_the_users_language(client, users, demo, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "lv"

    response = _post(
        client,
        users["manager"],
        f"/projects/{demo.pk}/amendments/what-if/",
        rows(leaving("HOIVA", "2024-01-31")),
    )

    assert "Projekts sākas 2024-03-01; izmaiņa nevar stāties spēkā pirms šī datuma." in (
        response.content.decode()
    )


def test_a_row_with_a_kind_but_no_date_is_asked_for_its_date(client, users, demo):
    response = _post(
        client,
        users["manager"],
        f"/projects/{demo.pk}/amendments/what-if/",
        rows({"kind": "change_coordinator", "effective_on": "", "participant": "UKELB"}),
    )

    assert response.status_code == 200
    assert "<li>Takes effect on: Give the date the change takes effect.</li>" in (
        response.content.decode()
    )


def test_the_what_if_without_a_change_asks_for_one(client, users, demo):
    response = _post(
        client,
        users["manager"],
        f"/projects/{demo.pk}/amendments/what-if/",
        rows({"kind": "", "effective_on": ""}),
    )

    assert response.status_code == 200
    assert "Choose a kind of change and fill it in" in response.content.decode()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("manager", 200),
        ("officer", 200),
        ("admin", 200),
        ("partner_contact", 403),
        ("other_partner", 403),
        ("other_officer", 404),
        ("stranger", 404),
    ],
)
def test_the_what_if_is_for_those_the_api_lets_try_changes(client, users, demo, who, status):
    response = _post(
        client, users[who], f"/projects/{demo.pk}/amendments/what-if/", rows(leaving("LVTDA"))
    )

    assert response.status_code == status


def test_the_what_if_asks_as_many_queries_for_six_rows_as_for_one(
    client, users, demo, django_assert_max_num_queries
):
    url = f"/projects/{demo.pk}/amendments/what-if/"
    with time_machine.travel(NOW, tick=False):
        client.force_login(users["manager"])
        # The consortium's read includes its dated history (organisation updates, role changes)
        # and third parties, its organisations read by id: four queries more than before.
        with django_assert_max_num_queries(16):
            client.post(url, rows(leaving("LVTDA")))
        with django_assert_max_num_queries(16):
            response = client.post(url, rows(*[leaving(key) for key in DOWN_TO_SEVEN]))
    assert "Breach" in response.content.decode()


# -- saving, submitting, deciding ---------------------------------------------------------------


def test_bad_input_is_shown_at_its_fields_as_typed_and_nothing_is_saved(client, users, demo):
    data = rows(leaving("LVTDA"), leaving("HOIVA", "2024-01-31"), justification="Two leave.")

    response = _post(client, users["manager"], f"/projects/{demo.pk}/amendments/new/", data)

    assert response.status_code == 400
    page = response.content.decode()
    assert (
        '<input type="date" name="changes-1-effective_on" value="2024-01-31" '
        'aria-invalid="true" aria-describedby="id_changes-1-effective_on_error" '
        'id="id_changes-1-effective_on">' in page
    )
    assert (
        '<ul class="errorlist" id="id_changes-1-effective_on_error"><li>The project starts on '
        "2024-03-01; a change cannot take effect before.</li></ul>" in page
    )
    assert '<option value="LVTDA" selected>' in page
    assert "Two leave.</textarea>" in page
    assert AmendmentRequest.objects.count() == 0


def test_saving_a_draft_then_submitting_it(client, users, demo):
    manager = users["manager"]
    data = rows(leaving("LVTDA", "2026-12-31"), justification="LVTDA closes its VET branch.")

    saved = _post(client, manager, f"/projects/{demo.pk}/amendments/new/", data)

    draft = AmendmentRequest.objects.get()
    url = f"/projects/{demo.pk}/amendments/{draft.pk}/"
    assert saved.status_code == 303
    assert saved["Location"] == url
    assert draft.status == AmendmentStatus.DRAFT
    assert [(c.kind, c.participation.short_name) for c in draft.changes.all()] == [
        ("terminate_participation", "LVTDA")
    ]
    page = _get(client, manager, url).content.decode()
    assert "The amendment request was saved as a draft." in page
    assert "LVTDA closes its VET branch." in page
    assert '<option value="LVTDA" selected>' in page  # the draft's form, for editing
    assert "Submit the request" in page

    submitted = _post(client, manager, f"{url}submit/", {})

    assert submitted.status_code == 303
    assert submitted["Location"] == url
    draft.refresh_from_db()
    assert draft.status == AmendmentStatus.SUBMITTED
    page = _get(client, manager, url).content.decode()
    assert "The amendment request was submitted to the agency." in page
    assert '<span class="badge status-amber">Submitted</span>' in page
    assert "Submit the request" not in page
    assert "What the changes would do, as the record stands now" in page


def test_a_draft_without_a_justification_is_not_submitted(client, users, demo):
    draft = amendment_create(
        project=demo, user=users["manager"], changes=[terminate("LVTDA", "2026-12-31")]
    )

    response = _post(
        client, users["manager"], f"/projects/{demo.pk}/amendments/{draft.pk}/submit/", {}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "The amendment request was not submitted." in page
    assert "<li>Give a justification before submitting.</li>" in page
    draft.refresh_from_db()
    assert draft.status == AmendmentStatus.DRAFT


def test_editing_a_draft_replaces_its_changes(client, users, demo):
    draft = amendment_create(
        project=demo, user=users["manager"], changes=[terminate("LVTDA", "2026-12-31")]
    )
    data = rows(leaving("HOIVA", "2026-12-31"), justification="HOIVA leaves instead.")

    response = _post(client, users["manager"], f"/projects/{demo.pk}/amendments/{draft.pk}/", data)

    assert response.status_code == 303
    draft.refresh_from_db()
    assert draft.justification == "HOIVA leaves instead."
    assert [c.participation.short_name for c in draft.changes.all()] == ["HOIVA"]


def test_a_submitted_request_can_no_longer_be_edited(client, users, demo):
    manager = users["manager"]
    request = amendment_create(
        project=demo,
        user=manager,
        justification="LVTDA leaves.",
        changes=[terminate("LVTDA", "2026-12-31")],
    )
    amendment_submit(request=request, user=manager)

    response = _post(
        client, manager, f"/projects/{demo.pk}/amendments/{request.pk}/", rows(leaving("HOIVA"))
    )

    assert response.status_code == 409
    assert (
        "Only a draft can be changed; this request is &quot;Submitted&quot;."
        in response.content.decode()
    )
    assert [c.participation.short_name for c in request.changes.all()] == ["LVTDA"]


def _submitted(demo, manager, changes, justification="Partners leave."):
    with time_machine.travel(NOW, tick=False):
        request = amendment_create(
            project=demo, user=manager, justification=justification, changes=changes
        )
        amendment_submit(request=request, user=manager)
    return request


def test_the_officer_sees_the_decision_forms_and_approves(client, users, demo):
    request = _submitted(demo, users["manager"], [terminate("LVTDA", "2026-12-31")])
    url = f"/projects/{demo.pk}/amendments/{request.pk}/"
    page = _get(client, users["officer"], url).content.decode()
    assert "Approve and apply the changes" in page
    assert "Reject the request" in page

    response = _post(client, users["officer"], f"{url}approve/", {"approve-note": "Fine."})

    assert response.status_code == 303
    request.refresh_from_db()
    assert (request.status, request.decision_note) == (AmendmentStatus.APPROVED, "Fine.")
    assert demo.participations.get(short_name="LVTDA").left_on.isoformat() == "2026-12-31"


def test_approving_a_breach_needs_an_override_justification(client, users, demo):
    request = _submitted(
        demo, users["manager"], [terminate(key, "2026-12-31") for key in DOWN_TO_SEVEN]
    )

    response = _post(
        client, users["officer"], f"/projects/{demo.pk}/amendments/{request.pk}/approve/", {}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "The amendment request was not approved." in page
    assert 'id="id_approve-override_justification_error"' in page
    assert (
        "With these changes the consortium would be in breach: the minimum number of full "
        "partners from 2027-01-01. Approving needs an override justification." in page
    )
    request.refresh_from_db()
    assert request.status == AmendmentStatus.SUBMITTED


def test_rejecting_needs_a_note(client, users, demo):
    request = _submitted(demo, users["manager"], [terminate("LVTDA", "2026-12-31")])
    url = f"/projects/{demo.pk}/amendments/{request.pk}/reject/"

    refused = _post(client, users["officer"], url, {})
    rejected = _post(client, users["officer"], url, {"reject-note": "Not justified."})

    assert refused.status_code == 400
    assert "Say why the request is rejected." in refused.content.decode()
    assert rejected.status_code == 303
    request.refresh_from_db()
    assert (request.status, request.decision_note) == (AmendmentStatus.REJECTED, "Not justified.")


def test_the_manager_may_not_decide(client, users, demo):
    request = _submitted(demo, users["manager"], [terminate("LVTDA", "2026-12-31")])

    response = _post(
        client, users["manager"], f"/projects/{demo.pk}/amendments/{request.pk}/approve/", {}
    )

    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == AmendmentStatus.SUBMITTED


def test_a_draft_is_out_of_sight_for_the_partners_and_the_officer(client, users, demo):
    draft = amendment_create(
        project=demo, user=users["manager"], changes=[terminate("LVTDA", "2026-12-31")]
    )
    url = f"/projects/{demo.pk}/amendments/{draft.pk}/"

    got = {who: _get(client, users[who], url).status_code for who in ("partner_contact", "officer")}

    assert got == {"partner_contact": 404, "officer": 404}


def test_the_request_page_asks_as_many_queries_for_six_changes_as_for_one(
    client, users, demo, django_assert_max_num_queries
):
    one = _submitted(demo, users["manager"], [terminate("LVTDA", "2026-12-31")])
    six = _submitted(
        demo, users["manager"], [terminate(key, "2026-12-31") for key in DOWN_TO_SEVEN]
    )
    with time_machine.travel(NOW, tick=False):
        client.force_login(users["manager"])
        # The consortium's dated history (organisation updates, role changes) and third
        # parties, its organisations read by id, and the request's questions: five queries more
        # than before they were recorded.
        with django_assert_max_num_queries(21):
            client.get(f"/projects/{demo.pk}/amendments/{one.pk}/")
        with django_assert_max_num_queries(21):
            response = client.get(f"/projects/{demo.pk}/amendments/{six.pk}/")
    assert response.content.decode().count("Termination of a participation") == 6


def test_a_drafts_page_with_its_form_asks_as_many_queries_for_six_changes_as_for_one(
    client, users, demo, django_assert_max_num_queries
):
    drafts = [
        amendment_create(project=demo, user=users["manager"], changes=changes)
        for changes in (
            [terminate("LVTDA", "2026-12-31")],
            [terminate(key, "2026-12-31") for key in DOWN_TO_SEVEN],
        )
    ]
    with time_machine.travel(NOW, tick=False):
        client.force_login(users["manager"])
        for draft in drafts:
            # The consortium (read twice: the what-if and the form) with its dated history
            # (organisation updates, role changes), third parties and organisations read by id,
            # and the request's questions.
            with django_assert_max_num_queries(32):
                response = client.get(f"/projects/{demo.pk}/amendments/{draft.pk}/")
    assert response.content.decode().count("<legend>Change ") == 6
