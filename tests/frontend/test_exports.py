"""The downloads: the portfolio table with its filters and a project's deliverables, as CSV
(UTF-8 with a byte order mark) and XLSX, read back with the csv module and openpyxl; text that
a spreadsheet would run as a formula stays text."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from openpyxl import load_workbook

from backend.payments.rules import percent_of
from backend.workplan.models import Deliverable
from frontend.portfolio.exports import csv_response, csv_value, filename, safe_text, xlsx_response
from monitoring.flags import Finding, flags_sync
from monitoring.models import Flag
from monitoring.summaries import summaries_recompute

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.UTC)
PORTFOLIO_HEADERS = [
    "Acronym",
    "Grant agreement number",
    "Call",
    "Status",
    "Critical flags",
    "High flags",
    "Medium flags",
    "Low flags",
    "Eligibility",
    "Overdue items",
    "Next instalment",
    "Next instalment status",
    "Next instalment due",
    "Next instalment amount (EUR)",
]
DELIVERABLE_HEADERS = [
    "Code",
    "Title",
    "Work package",
    "Activity clusters",
    "Lead",
    "Due month",
    "Due date",
    "Status",
    "Delivered on",
    "Approved on",
    "Overdue",
]


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def red_demo(demo):
    flags_sync(
        project_ids=[demo.pk],
        kinds=["eligibility_breach", "deliverable_overdue"],
        findings=[
            Finding(demo.pk, "eligibility_breach", "critical", "eligibility_breach:x", {"en": "x"}),
            Finding(demo.pk, "deliverable_overdue", "medium", "deliverable_overdue:y", {"en": "y"}),
        ],
        now=NOW,
    )
    assert Flag.objects.filter(project=demo).count() == 2
    return demo


def _csv(response) -> list[list[str]]:
    content = response.content
    assert content.startswith(b"\xef\xbb\xbf")  # the byte order mark
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _xlsx(response) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(response.content))
    return list(workbook.active.iter_rows(values_only=True))


# -- the helpers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("Plain text - with a dash", "Plain text - with a dash"),
        ("Rūta Bērziņa", "Rūta Bērziņa"),
    ],
)
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(text, written):
    assert safe_text(text) == written


def test_numbers_and_dates_are_written_as_they_are():
    assert csv_value(Decimal("-1234.5")) == "-1234.50"
    assert csv_value(Decimal("1234.50")) == "1234.50"
    assert csv_value(-3) == "-3"
    assert csv_value(datetime.date(2026, 2, 28)) == "2026-02-28"
    assert csv_value(None) == ""


def test_a_file_name_keeps_plain_letters_and_digits():
    assert filename("ŽALS/DARBI", "deliverables", "2026-11-27", extension="csv") == (
        "ZALS-DARBI-deliverables-2026-11-27.csv"
    )


def test_the_helpers_write_csv_and_xlsx_that_read_back(rf):
    headers = ["Name", "Amount", "Day"]
    rows = [["=1+1", Decimal("1234.50"), datetime.date(2026, 1, 31)], ["Zīle", None, None]]

    as_csv = csv_response("t.csv", headers, rows)
    as_xlsx = xlsx_response("t.xlsx", "Sheet", headers, rows)

    assert _csv(as_csv) == [headers, ["'=1+1", "1234.50", "2026-01-31"], ["Zīle", "", ""]]
    assert _xlsx(as_xlsx) == [
        tuple(headers),
        ("'=1+1", 1234.5, datetime.datetime(2026, 1, 31)),
        ("Zīle", None, None),
    ]
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet["A2"].data_type == "s"
    assert sheet["B2"].number_format == "#,##0.00"
    assert sheet["C2"].number_format == "yyyy-mm-dd"


# -- the portfolio ------------------------------------------------------------------------------


def test_the_portfolio_downloads_as_csv_with_the_current_filters(
    client, users, red_demo, other_project
):
    # The export reads the summaries the checks write (here with the flags above).
    summaries_recompute([red_demo.pk, other_project.pk], now=NOW)
    client.force_login(users["admin"])

    response = client.get("/portfolio/export.csv?status=red")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="portfolio-2026-11-27.csv"'
    rows = _csv(response)
    assert rows[0] == PORTFOLIO_HEADERS
    assert rows[1:] == [
        [
            "CARETECH",
            "101143210",
            red_demo.call.identifier,
            "Red",
            "1",
            "0",
            "1",
            "0",
            "Breach",
            "1",
            "Pre-financing",
            "Ready for approval",
            "2024-03-15",
            str(percent_of(red_demo.max_grant_eur, red_demo.prefinancing_percent)),
        ]
    ]


def test_the_whole_portfolio_downloads_as_xlsx(client, users, red_demo, other_project):
    # The export reads the summaries the checks write (here with the flags above).
    summaries_recompute([red_demo.pk, other_project.pk], now=NOW)
    client.force_login(users["admin"])

    response = client.get("/portfolio/export.xlsx?sort=acronym")

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == 'attachment; filename="portfolio-2026-11-27.xlsx"'
    rows = _xlsx(response)
    assert rows[0] == tuple(PORTFOLIO_HEADERS)
    assert [row[0] for row in rows[1:]] == ["CARETECH", "SECOVE"]
    caretech = rows[1]
    assert caretech[3:10] == ("Red", 1, 0, 1, 0, "Breach", 1)
    assert caretech[12] == datetime.datetime(2024, 3, 15)
    assert caretech[13] == float(percent_of(red_demo.max_grant_eur, red_demo.prefinancing_percent))


def test_the_portfolio_download_is_for_officers(client, users, red_demo):
    client.force_login(users["manager"])

    assert client.get("/portfolio/export.csv").status_code == 403


def test_a_portfolio_download_with_bad_filters_shows_them(client, users, red_demo):
    client.force_login(users["officer"])

    response = client.get("/portfolio/export.csv?severity=urgent")

    assert response.status_code == 400
    assert "Select a valid choice. urgent is not one of the available choices." in (
        response.content.decode()
    )


# -- a project's deliverables -------------------------------------------------------------------


def test_the_deliverables_download_as_csv_with_their_state(client, users, demo):
    first = Deliverable.objects.filter(project=demo).order_by("position").first()
    Deliverable.objects.filter(pk=first.pk).update(
        status="accepted",
        delivered_on=datetime.date(2024, 8, 30),
        approved_on=datetime.date(2024, 9, 12),
        title='=HYPERLINK("http://evil.example","click")',
    )
    client.force_login(users["partner_contact"])

    response = client.get(f"/projects/{demo.pk}/deliverables/export.csv")

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="CARETECH-deliverables-2026-11-27.csv"'
    )
    rows = _csv(response)
    assert rows[0] == DELIVERABLE_HEADERS
    assert len(rows) == 1 + Deliverable.objects.filter(project=demo).count()
    accepted = rows[1]
    assert accepted[0] == first.code
    assert accepted[1] == '\'=HYPERLINK("http://evil.example","click")'
    assert accepted[2] == f"WP{first.work_package.number}"
    assert accepted[3] == ", ".join(str(c) for c in first.work_package.clusters.all())
    assert accepted[4] == first.lead.short_name
    assert accepted[5:] == [
        str(first.due_month),
        first.due_on.isoformat(),
        "Accepted",
        "2024-08-30",
        "2024-09-12",
        "no",
    ]
    # nothing is submitted in the imported demo: whatever was due before today is overdue
    overdue = Deliverable.objects.filter(project=demo, due_on__lt=NOW.date()).count()
    assert sum(1 for row in rows[1:] if row[10] == "yes") == overdue - 1


def test_the_deliverables_download_as_xlsx(client, users, demo):
    client.force_login(users["officer"])

    response = client.get(f"/projects/{demo.pk}/deliverables/export.xlsx")

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="CARETECH-deliverables-2026-11-27.xlsx"'
    )
    rows = _xlsx(response)
    assert rows[0] == tuple(DELIVERABLE_HEADERS)
    first = Deliverable.objects.filter(project=demo).order_by("position", "id").first()
    assert rows[1][0] == first.code
    assert rows[1][5] == first.due_month
    assert rows[1][6] == datetime.datetime.combine(first.due_on, datetime.time.min)
    assert rows[1][7:] == ("Pending", None, None, "yes")


def test_the_deliverables_of_a_project_out_of_sight_are_not_found(client, users, demo):
    client.force_login(users["other_officer"])

    assert client.get(f"/projects/{demo.pk}/deliverables/export.csv").status_code == 404
