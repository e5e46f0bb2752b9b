"""The shares of a participant that left, of work packages not yet paid, are flagged until an
Annex 2 amendment reallocates them.

The demo grant: LINDENAU left on 2025-06-30 holding EUR 5,652.17 of WP1, 19,200.00 of WP4 and
12,400.00 of WP5."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.amendments.services import amendment_approve, amendment_create, amendment_submit
from backend.amendments.validation import ChangeInput
from backend.grants.models import Participation
from backend.payments.models import Instalment
from monitoring.checks import check_projects
from monitoring.models import Flag, FlagKind, Severity
from monitoring.shares import unallocated_share_findings

pytestmark = pytest.mark.django_db

AFTER = datetime.date(2026, 1, 15)
LINDENAU = {
    "participant": "LINDENAU",
    "left_on": "2025-06-30",
    "work_packages": {"1": "5652.17", "4": "19200.00", "5": "12400.00"},
    "total": "37252.17",
}


def test_a_leavers_unpaid_shares_are_one_high_flag_naming_it_and_its_amounts(demo):
    [finding] = unallocated_share_findings([demo.pk], AFTER)

    assert (finding.project_id, finding.kind, finding.severity, finding.fingerprint) == (
        demo.pk,
        FlagKind.UNALLOCATED_SHARES,
        Severity.HIGH,
        f"unallocated_shares:{demo.pk}",
    )
    assert finding.explanation["details"] == {"participants": [LINDENAU]}
    assert finding.message("en") == (
        "Participants that left still hold lump-sum shares of work packages not yet paid: "
        "LINDENAU (2025-06-30): WP1 EUR 5652.17, WP4 EUR 19200.00, WP5 EUR 12400.00 "
        "(EUR 37252.17). An Annex 2 amendment should reallocate them to the remaining "
        "beneficiaries."
    )
    assert "LINDENAU (2025-06-30)" in finding.message("lv")


def test_nothing_is_flagged_on_the_last_day_of_the_participation(demo):
    assert unallocated_share_findings([demo.pk], datetime.date(2025, 6, 30)) == []
    assert len(unallocated_share_findings([demo.pk], datetime.date(2025, 7, 1))) == 1


def test_a_paid_work_package_is_the_leavers_to_keep(demo, users):
    Instalment.objects.create(
        project=demo,
        key="rp1",
        kind="interim",
        reporting_period=demo.reporting_periods.get(number=1),
        amount_eur=Decimal("100.00"),
        work_packages=[4],
        approved_at=datetime.datetime(2025, 11, 3, 9, 0, tzinfo=datetime.UTC),
        approved_by=users["officer"],
    )

    [finding] = unallocated_share_findings([demo.pk], AFTER)

    assert finding.explanation["details"]["participants"] == [
        {**LINDENAU, "work_packages": {"1": "5652.17", "5": "12400.00"}, "total": "18052.17"}
    ]


def test_the_flag_goes_once_an_annex_2_amendment_reallocates_the_shares(demo, users):
    now = datetime.datetime(2026, 1, 15, 9, 0, tzinfo=datetime.UTC)
    check_projects([demo.pk], now=now)
    flag = Flag.objects.get(project=demo, kind=FlagKind.UNALLOCATED_SHARES)
    assert flag.resolved_at is None

    draft = amendment_create(
        project=demo,
        user=users["manager"],
        justification="LINDENAU's part goes to the leads.",
        changes=[
            ChangeInput(
                kind="change_lump_sum_breakdown",
                effective_on=datetime.date(2026, 1, 15),
                details={
                    "work_packages": {
                        "1": {"LINDENAU": "0.00", "GAUJA": "231739.13"},
                        "4": {"LINDENAU": "0.00", "UKELB": "185600.00"},
                        "5": {"LINDENAU": "0.00", "PUAS": "136400.00"},
                    }
                },
            )
        ],
    )
    amendment_approve(
        request=amendment_submit(request=draft, user=users["manager"]), user=users["officer"]
    )

    assert unallocated_share_findings([demo.pk], AFTER) == []
    check_projects([demo.pk], now=now + datetime.timedelta(hours=1))
    flag.refresh_from_db()
    assert flag.resolved_at is not None


def test_a_batch_is_read_in_a_constant_number_of_queries(demo, other_project):
    # SECOVE's first beneficiary leaves too, holding shares.
    leaver = (
        Participation.objects.filter(project=other_project, work_package_shares__amount_eur__gt=0)
        .exclude(role="coordinator")
        .first()
    )
    leaver.left_on = other_project.start_date + datetime.timedelta(days=100)
    leaver.save()

    with CaptureQueriesContext(connection) as one:
        unallocated_share_findings([demo.pk], AFTER)
    with CaptureQueriesContext(connection) as two:
        findings = unallocated_share_findings([demo.pk, other_project.pk], AFTER)

    assert {finding.project_id for finding in findings} == {demo.pk, other_project.pk}
    assert len(one) == len(two) == 3
