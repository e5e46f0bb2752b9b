"""One label and one colour for each status, wherever the pages show it (``frontend.presenters``):
the consortium page, the officer's pages and exports, the report pages and the timeline."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from backend.grants.eligibility.engine import BREACH, PASS, REVIEW, WARNING
from backend.payments import statuses
from frontend import presenters
from frontend.consortium.views import _status as consortium_status
from frontend.project import timeline
from frontend.templatetags import officer_labels, report_tags
from monitoring import rag

ROOT = Path(__file__).resolve().parents[2]


def test_the_presenters_know_every_status_the_backend_gives():
    assert set(presenters.VerdictStatus.values) == set(rag.VERDICTS)
    assert presenters.INSTALMENT_STATUS.choices is statuses.InstalmentStatus
    assert set(presenters.RagStatus.values) == set(rag.STATUSES)


@pytest.mark.parametrize(
    ("status", "label", "colour"),
    [
        (PASS, "Pass", "green"),
        # amber on every page, as on the consortium page
        (WARNING, "Warning", "amber"),
        (REVIEW, "Review", "amber"),
        (BREACH, "Breach", "red"),
    ],
)
def test_a_verdict_status_looks_the_same_on_the_consortium_and_officer_pages(status, label, colour):
    on_consortium_page = consortium_status(status)

    assert (officer_labels.verdict_label(status), officer_labels.verdict_colour(status)) == (
        label,
        colour,
    )
    assert on_consortium_page["status_label"] == label
    assert on_consortium_page["status_class"] == f"status-{colour}"


@pytest.mark.parametrize("status", statuses.STATUSES)
def test_an_instalment_status_has_one_label_and_one_colour_from_the_schedules_table(status):
    row = timeline.InstalmentRow("rp1", "interim", 1, None, Decimal("0.00"), status)
    (mark,) = timeline._instalment_marks(datetime.date(2024, 1, 1), 12, [row])

    assert officer_labels.instalment_status_label(status) == statuses.status_label(status)
    assert officer_labels.instalment_colour(status) == statuses.status_colour(status)
    assert (mark.status_label, mark.colour) == (
        statuses.status_label(status),
        statuses.status_colour(status),
    )


@pytest.mark.parametrize(
    ("status", "label", "colour"),
    [
        ("ready", "Ready for approval", "amber"),
        ("scheduled", "Scheduled", "grey"),
        # nothing to pay is grey, never a red "Blocked" (issue 15, point 6)
        ("nothing_due", "Nothing due", "grey"),
        ("blocked", "Blocked", "red"),
        ("decision_needed", "Decision needed", "amber"),
        ("suspended", "Suspended", "red"),
        ("paid", "Paid", "green"),
    ],
)
def test_an_instalment_status_reads_the_same_everywhere(status, label, colour):
    assert officer_labels.instalment_status_label(status) == label
    assert officer_labels.instalment_colour(status) == colour
    assert presenters.INSTALMENT_STATUS.css_class(status) == f"status-{colour}"


def test_the_stylesheet_has_a_badge_for_every_instalment_colour():
    css = (ROOT / "frontend/static/frontend/site.css").read_text()

    for colour in set(statuses.COLOURS.values()):
        assert f".status-{colour} " in css or f".status-{colour}," in css, colour


def test_a_report_nobody_wrote_is_not_started_and_has_no_colour():
    assert report_tags.report_status("not_started") == "Not started"
    assert report_tags.report_status("") == "Not started"
    assert report_tags.report_status_class("not_started") == "status-none"
    assert report_tags.report_status("changes_requested") == "Changes requested"
    assert report_tags.report_status_class("changes_requested") == "status-red"


def test_a_value_the_presenter_does_not_know_is_shown_as_it_is():
    assert presenters.VERDICT.label("unknown") == "unknown"
    assert presenters.VERDICT.css_class("unknown") == ""
    assert presenters.RAG.label(None) == ""
