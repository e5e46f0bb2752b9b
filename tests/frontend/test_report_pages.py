"""The periodic-report pages: the list of a project's reports, the report page (compose, declare
the status of work packages, justify late deliverables, submit; the officer's review), and the
frozen versions. Each step answers as the API does; a refusal writes nothing."""

import datetime
import re

import pytest

from backend.grants.models import RuleSet
from backend.reporting import services
from backend.reporting.models import (
    Contribution,
    LateJustification,
    PeriodicReport,
    ReportVersion,
    WorkPackageDeclaration,
)
from backend.workplan.models import Deliverable
from tests.reporting.helpers import (
    AFTER_RP1,
    BRUSSELS,
    DURING_RP1,
    LATE_CODE,
    deliverable,
    entry,
    participation,
    period,
    ready_to_submit,
    row_counts,
    travel,
    work_package,
)

pytestmark = pytest.mark.django_db

RP1_BLOCKERS = [
    "The reporting period ends on 2025-08-31; its report can be submitted from the day after.",
    "The technical part is empty.",
    "These contributions are still drafts, not locked for review: ZILEMED.",
    "The status of these work packages is not declared: WP3.",
    "These deliverables were due in the period and are not submitted; justify the delay: D1.3.",
]
# A query bound for the report page that holds whatever the report's size (its payment-deadline
# suspensions are one of them).
REPORT_PAGE_QUERIES = 20


def _url(project, suffix: str = "") -> str:
    return f"/projects/{project.pk}/reports/{suffix}"


def _needs_accepted_deliverables(project) -> None:
    """The rule-set option under which unaccepted deliverables refuse a completion (by default
    they are a warning for the officer)."""
    RuleSet.objects.filter(calls__projects=project).update(
        completion_needs_accepted_deliverables=True
    )


def _page(response) -> str:
    return response.content.decode()


def _article(page: str, anchor: str) -> str:
    """The HTML of the row (an <article>) with this id."""
    start = page.index(f'<article class="row-card" id="{anchor}"')
    return page[start : page.index("</article>", start)]


# -- the list --------------------------------------------------------------------------------


def test_the_list_shows_each_period_with_its_months_dates_status_and_blockers(client, demo, users):
    with travel(AFTER_RP1):
        client.force_login(users["manager"])
        response = client.get(_url(demo))

    assert response.status_code == 200
    page = _page(response)
    assert "<h1>Periodic reports of CARETECH</h1>" in page
    assert "M1\N{EN DASH}M18" in page
    assert "M19\N{EN DASH}M36" in page
    assert "M18 · 2025-08-31" in page  # RP1 ends
    assert "M20 · 2025-10-30" in page  # its report is due 60 days later
    assert "M36 · 2027-02-28" in page
    assert ">Not started<" in page
    assert "The technical part is empty." in page
    assert "The status of these work packages is not declared: WP1, WP2, WP3" in page
    assert "The period has not started." in page  # RP3


def test_the_list_marks_an_overdue_report(client, demo, users):
    with travel(datetime.datetime(2025, 11, 3, 10, 0, tzinfo=BRUSSELS)):
        client.force_login(users["partner_contact"])
        page = _page(client.get(_url(demo)))

    row = page[page.index("RP1 report") : page.index("RP2 report")]
    assert "M20 · 2025-10-30" in row
    assert ">Overdue<" in row


# -- composing -------------------------------------------------------------------------------


def test_the_manager_saves_the_technical_part(client, demo, users):
    with travel(AFTER_RP1):
        client.force_login(users["manager"])
        response = client.post(_url(demo, "1/save/"), {"technical_part": "  What we did.  "})
        followed = client.get(response["Location"].split("#")[0])

    assert response.status_code == 303
    assert response["Location"] == f"/projects/{demo.pk}/reports/1/#technical-part"
    assert PeriodicReport.objects.get(reporting_period=period(demo)).technical_part == (
        "What we did."
    )
    assert "The technical part was saved." in _page(followed)
    assert ">\nWhat we did.</textarea>" in _page(followed)


def test_a_partner_contact_reads_the_report_but_may_not_compose_it(client, demo, users):
    services.report_update(period=period(demo), user=users["manager"], technical_part="Our work.")

    with travel(AFTER_RP1):
        client.force_login(users["partner_contact"])
        page = _page(client.get(_url(demo, "1/")))
        refused = client.post(_url(demo, "1/save/"), {"technical_part": "Mine."})

    assert '<div class="card readonly-text">Our work.</div>' in page
    assert "/save/" not in page
    assert "/submit/" not in page
    assert refused.status_code == 403
    assert (
        "Only the project&#x27;s managers and administrators compose and submit its periodic "
        "reports." in _page(refused)
    )
    assert PeriodicReport.objects.get().technical_part == "Our work."


def test_a_declaration_is_saved_with_a_full_page_post(client, demo, users):
    with travel(AFTER_RP1):
        client.force_login(users["manager"])
        response = client.post(
            _url(demo, "1/work-packages/2/"),
            {"wp2-completed": "no", "wp2-comment": "Half way."},
        )
        followed = client.get(_url(demo, "1/"))

    assert response.status_code == 303
    assert response["Location"] == f"/projects/{demo.pk}/reports/1/#wp-2"
    declaration = WorkPackageDeclaration.objects.get(work_package__number=2)
    assert (declaration.completed, declaration.comment) == (False, "Half way.")
    assert "The status of WP2 was saved." in _page(followed)
    assert ">Not completed<" in _article(_page(followed), "wp-2")


def test_declaring_a_work_package_completed_is_refused_at_its_row_with_the_rules_message(
    client, demo, users
):
    _needs_accepted_deliverables(demo)
    before = row_counts()

    with travel(AFTER_RP1):
        client.force_login(users["manager"])
        response = client.post(
            _url(demo, "1/work-packages/1/"),
            {"wp1-completed": "yes", "wp1-completed_on": "2025-08-01"},
        )

    assert response.status_code == 409
    row = _article(_page(response), "wp-1")
    assert (
        '<p class="refusal" role="alert" id="wp-1-refusal">WP1 cannot be declared completed: '
        "not every deliverable is accepted (D1.1, D1.2, D1.3, D1.4, D1.5, D1.6), and no officer "
        "has waived that.</p>" in row
    )
    # the typed date stays in the form
    assert 'value="2025-08-01"' in row
    assert row_counts() == before


def test_a_declaration_with_bad_input_is_shown_next_to_its_fields(client, demo, users):
    with travel(AFTER_RP1):
        client.force_login(users["manager"])
        response = client.post(
            _url(demo, "1/work-packages/1/"),
            {"wp1-completed": "yes", "wp1-completed_on": "2025-09-30"},
        )

    assert response.status_code == 400
    row = _article(_page(response), "wp-1")
    assert (
        '<ul class="errorlist" id="id_wp1-completed_on_error"><li>The reporting period ends on '
        "2025-08-31; a work package declared in it cannot be completed later.</li></ul>" in row
    )
    assert 'aria-invalid="true"' in row
    assert not WorkPackageDeclaration.objects.exists()


def test_an_htmx_declaration_gets_its_row_and_the_blockers_back(client, demo, users):
    _needs_accepted_deliverables(demo)
    with travel(AFTER_RP1):
        client.force_login(users["manager"])
        saved = client.post(
            _url(demo, "1/work-packages/3/"), {"wp3-completed": "no"}, HTTP_HX_REQUEST="true"
        )
        refused = client.post(
            _url(demo, "1/work-packages/3/"),
            {"wp3-completed": "yes", "wp3-completed_on": "2025-08-01"},
            HTTP_HX_REQUEST="true",
        )

    assert saved.status_code == 200
    page = _page(saved)
    assert page.startswith('<article class="row-card" id="wp-3"')
    assert "<html" not in page
    assert "The status of WP3 was saved." in page
    assert '<div id="blockers" hx-swap-oob="true">' in page
    assert "The status of these work packages is not declared: WP1, WP2, WP4" in page
    assert refused.status_code == 409
    assert "WP3 cannot be declared completed" in _page(refused)
    assert WorkPackageDeclaration.objects.get().completed is False


def test_a_late_deliverable_is_justified(client, demo, users):
    late = deliverable(demo, LATE_CODE)

    with travel(AFTER_RP1):
        client.force_login(users["manager"])
        empty = client.post(_url(demo, f"1/justifications/{late.pk}/"), {})
        response = client.post(
            _url(demo, f"1/justifications/{late.pk}/"), {f"d{late.pk}-text": "Survey closed late."}
        )

    assert empty.status_code == 400
    assert "Say why the deliverable is late." in _article(_page(empty), f"late-{late.pk}")
    assert response.status_code == 303
    assert LateJustification.objects.get().text == "Survey closed late."


# -- submitting ------------------------------------------------------------------------------


def test_a_refused_submission_lists_every_blocker_and_writes_nothing(client, demo, users):
    rp1 = period(demo)
    services.contribution_save(
        period=rp1,
        participation=participation(demo, "ZILEMED"),
        user=users["partner_contact"],
        entries=[entry(1)],
    )
    for number in (1, 2, 4, 5, 6, 7, 8):
        services.declaration_save(
            period=rp1,
            work_package=work_package(demo, number),
            user=users["manager"],
            completed=False,
        )
    for code in (
        Deliverable.objects.filter(project=demo, due_month__lte=18)
        .exclude(code=LATE_CODE)
        .values_list("code", flat=True)
    ):
        services.justification_save(
            period=rp1, deliverable=deliverable(demo, code), user=users["manager"], text="Late."
        )
    before = row_counts()

    with travel(DURING_RP1):
        client.force_login(users["manager"])
        response = client.post(_url(demo, "1/submit/"))

    assert response.status_code == 409
    page = _page(response)
    refused = page[page.index('id="submission-refused"') :]
    refused = refused[: refused.index("</div>")]
    assert re.findall(r"<li data-code=\"\w+\">(.*?)</li>", refused) == RP1_BLOCKERS
    assert row_counts() == before
    assert PeriodicReport.objects.get().status == "draft"


def test_a_complete_report_is_submitted_and_kept_as_version_1(client, demo, users):
    with travel(AFTER_RP1):
        ready_to_submit(demo, users)
        client.force_login(users["manager"])
        page = _page(client.get(_url(demo, "1/")))
        response = client.post(_url(demo, "1/submit/"))
        followed = client.get(response["Location"])

    assert "Nothing blocks the submission." in page
    assert response.status_code == 303
    assert response["Location"] == f"/projects/{demo.pk}/reports/1/"
    report = PeriodicReport.objects.get()
    assert report.status == "submitted"
    assert ReportVersion.objects.get().number == 1
    followed_page = _page(followed)
    assert "The report of RP1 was submitted to the agency." in followed_page
    assert f'href="/projects/{demo.pk}/reports/1/versions/1/">Version 1</a>' in followed_page
    # sent: nothing to compose any more
    assert "/save/" not in followed_page


def test_the_officer_requests_changes_with_comments_then_approves(client, demo, users):
    with travel(AFTER_RP1):
        ready_to_submit(demo, users)
        services.report_submit(period=period(demo), user=users["manager"])
        client.force_login(users["manager"])
        managers_view = _page(client.get(_url(demo, "1/")))
        client.force_login(users["officer"])
        officers_view = _page(client.get(_url(demo, "1/")))
        without = client.post(_url(demo, "1/request-changes/"), {"comments": ""})
        changes = client.post(_url(demo, "1/request-changes/"), {"comments": "Add numbers."})
        client.force_login(users["manager"])
        services.report_submit(period=period(demo), user=users["manager"])
        client.force_login(users["officer"])
        approved = client.post(_url(demo, "1/approve/"), {"comments": "Thank you."})

    assert ">Approve the report</button>" in officers_view
    assert ">Approve the report</button>" not in managers_view
    assert without.status_code == 400
    assert (
        '<ul class="errorlist" id="id_comments_error"><li>Say what has to change.</li></ul>'
        in _page(without)
    )
    assert changes.status_code == 303
    assert approved.status_code == 303
    assert PeriodicReport.objects.get().status == "approved"
    assert list(ReportVersion.objects.values_list("decision", "comments")) == [
        ("changes_requested", "Add numbers."),
        ("approved", "Thank you."),
    ]


def test_approving_a_report_not_submitted_is_a_conflict(client, demo, users):
    with travel(AFTER_RP1):
        client.force_login(users["officer"])
        response = client.post(_url(demo, "1/approve/"), {})

    assert response.status_code == 409
    assert (
        "Only a submitted report can be approved; the report of RP1 is &quot;Not started&quot;."
        in _page(response)
    )
    assert not PeriodicReport.objects.exists()


def test_a_version_shows_the_report_as_it_was_submitted(client, demo, users):
    with travel(AFTER_RP1):
        ready_to_submit(demo, users, technical_part="What we did in RP1.")
        services.report_submit(period=period(demo), user=users["manager"])
        services.report_request_changes(
            period=period(demo), user=users["officer"], comments="More."
        )
        services.report_update(period=period(demo), user=users["manager"], technical_part="Later.")
        client.force_login(users["other_partner"])
        response = client.get(_url(demo, "1/versions/1/"))
        missing = client.get(_url(demo, "1/versions/2/"))

    assert response.status_code == 200
    page = _page(response)
    assert "What we did in RP1." in page
    assert "Later." not in page
    assert "ZILEMED work" in page
    assert "M18 · 2025-08-31" in page  # D1.3 was due at the end of RP1
    assert ">Changes requested<" in page
    assert missing.status_code == 404


def test_a_request_in_latvian_is_answered_in_latvian_with_the_errors(client, demo, users):
    with travel(AFTER_RP1):
        client.force_login(users["manager"])
        response = client.post(
            _url(demo, "1/work-packages/1/"),
            {"wp1-completed": "yes", "wp1-completed_on": "not a date"},
            HTTP_ACCEPT_LANGUAGE="lv",
        )

    assert response.status_code == 400
    page = _page(response)
    assert '<html lang="lv">' in page
    assert 'id="id_wp1-completed_on_error"' in page
    assert 'aria-invalid="true"' in page
    assert not WorkPackageDeclaration.objects.exists()


# -- queries ---------------------------------------------------------------------------------


def test_the_report_page_reads_a_fixed_number_of_queries(
    client, demo, users, django_assert_max_num_queries
):
    with travel(AFTER_RP1):
        client.force_login(users["manager"])
        with django_assert_max_num_queries(REPORT_PAGE_QUERIES):
            assert client.get(_url(demo, "1/")).status_code == 200

    with travel(AFTER_RP1):
        ready_to_submit(demo, users)
        for short_name in ("LVTDA", "NEMPOLY", "HOIVA", "UKELB"):
            who = participation(demo, short_name)
            services.contribution_save(
                period=period(demo),
                participation=who,
                user=users["admin"],
                entries=[entry(number, f"{short_name} in WP{number}") for number in (1, 2, 3)],
            )
            services.contribution_lock(period=period(demo), participation=who, user=users["admin"])
        services.report_submit(period=period(demo), user=users["manager"])
        services.report_request_changes(period=period(demo), user=users["officer"], comments="x")
    assert Contribution.objects.count() == 6

    with travel(AFTER_RP1), django_assert_max_num_queries(REPORT_PAGE_QUERIES):
        assert client.get(_url(demo, "1/")).status_code == 200
