"""One label and one colour for each status, wherever the pages show it (``frontend.presenters``):
the consortium page, the officer's pages and exports, the report pages and the timeline."""

import pytest

from backend.grants.eligibility.engine import BREACH, PASS, REVIEW, WARNING
from backend.payments import rules as payment_rules
from frontend import presenters
from frontend.consortium.views import _status as consortium_status
from frontend.project import timeline
from frontend.templatetags import officer_labels, report_tags
from monitoring import rag


def test_the_presenters_know_every_status_the_backend_gives():
    assert set(presenters.VerdictStatus.values) == set(rag.VERDICTS)
    assert set(presenters.InstalmentStatus.values) == set(payment_rules.STATUSES)
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


@pytest.mark.parametrize("status", payment_rules.STATUSES)
def test_an_instalment_status_has_one_label(status):
    assert officer_labels.instalment_status_label(status) == str(
        timeline.INSTALMENT_STATUSES[status]
    )


def test_an_instalment_ready_is_ready_for_approval_everywhere():
    assert officer_labels.instalment_status_label("ready") == "Ready for approval"
    assert officer_labels.instalment_colour("ready") == "amber"
    assert officer_labels.instalment_colour("scheduled") == ""


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
