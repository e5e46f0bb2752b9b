"""The officers' weekly digest: the open flags of their portfolio, once per ISO week."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.mail.backends.locmem import EmailBackend

from backend.accounts.models import ProjectRole
from monitoring.digest import digests_send, iso_week
from monitoring.models import DigestSent, Flag
from monitoring.tasks import send_digests_task
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
MONDAY = datetime.datetime(2026, 11, 30, 7, 30, tzinfo=BRUSSELS)  # ISO week 2026-W49
SEEN = datetime.datetime(2026, 11, 20, 3, 15, tzinfo=BRUSSELS)


def flag(project, fingerprint: str, severity: str, *, resolved=False, text=None) -> Flag:
    kind = fingerprint.split(":")[0]
    return Flag.objects.create(
        project=project,
        kind=kind,
        severity=severity,
        fingerprint=fingerprint,
        explanation={"en": text or f"{fingerprint} in English", "lv": f"{fingerprint} latviski"},
        first_seen_at=SEEN,
        last_seen_at=SEEN,
        resolved_at=SEEN if resolved else None,
        resolution="auto" if resolved else "",
    )


def run(moment: datetime.datetime = MONDAY):
    with time_machine.travel(moment, tick=False):
        return digests_send()


def by_recipient(outbox) -> dict[str, list]:
    mails: dict[str, list] = {}
    for message in outbox:
        for address in message.to:
            mails.setdefault(address, []).append(message)
    return mails


@pytest.fixture
def flags(users, demo, other_project) -> dict[str, Flag]:
    return {
        "milestone": flag(demo, "milestone_overdue:1", "low", text="MS1 is late."),
        "report": flag(demo, "report_overdue:1", "high", text="RP1's report is late."),
        "breach": flag(demo, "eligibility_breach:type_rule", "critical", text="Type rule."),
        "resolved": flag(demo, "deliverable_overdue:1", "medium", resolved=True),
        "other": flag(other_project, "eligibility_breach:min_full_partners", "critical"),
    }


def test_the_iso_week_names_the_year_and_the_week():
    assert iso_week(datetime.date(2026, 11, 30)) == "2026-W49"
    assert iso_week(datetime.date(2027, 1, 1)) == "2026-W53"
    assert iso_week(datetime.date(2026, 1, 5)) == "2026-W02"


def test_each_officer_gets_the_open_flags_of_their_portfolio_most_severe_first(
    users, flags, mailoutbox
):
    result = run()

    mails = by_recipient(mailoutbox)
    assert sorted(mails) == ["po-other@example.org", "po@example.org"]
    message = mails["po@example.org"][0]
    assert message.subject == "Grantwatch weekly digest 2026-W49: 3 open flags"
    assert message.body == (
        "Hello po,\n"
        "\n"
        "Open flags in your portfolio on 2026-11-30: Critical 1, High 1, Medium 0, Low 1.\n"
        "\n"
        "CARETECH (101143210): 3\n"
        "- [Critical] Type rule. (since 2026-11-20)\n"
        "- [High] RP1's report is late. (since 2026-11-20)\n"
        "- [Low] MS1 is late. (since 2026-11-20)\n"
    )
    other = mails["po-other@example.org"][0]
    assert other.subject == "Grantwatch weekly digest 2026-W49: 1 open flag"
    assert "eligibility_breach:min_full_partners in English" in other.body
    assert "CARETECH" not in other.body
    assert sorted(DigestSent.objects.values_list("user__username", "week", "flags")) == [
        ("po", "2026-W49", 3),
        ("po-other", "2026-W49", 1),
    ]
    assert (result.week, result.sent, result.skipped, result.failed) == ("2026-W49", 2, 0, [])


def test_projects_are_ordered_by_their_most_severe_flag(users, demo, other_project, mailoutbox):
    officer = users["officer"]
    ProjectRole.objects.create(user=officer, project=other_project, role="officer")
    flag(demo, "milestone_overdue:1", "low", text="MS1 is late.")
    flag(other_project, "report_overdue:1", "high", text="Report late.")

    run()

    body = by_recipient(mailoutbox)["po@example.org"][0].body
    assert body.index("SECOVE") < body.index("CARETECH")


def test_an_officer_without_open_flags_gets_a_short_digest(users, demo, mailoutbox):
    flag(demo, "deliverable_overdue:1", "medium", resolved=True)

    run()

    message = by_recipient(mailoutbox)["po@example.org"][0]
    assert message.subject == "Grantwatch weekly digest 2026-W49: no open flags"
    assert message.body == (
        "Hello po,\n"
        "\n"
        "There are no open flags on the 1 project of your portfolio: the watchers checked it "
        "and found nothing to report.\n"
    )
    assert DigestSent.objects.get(user=users["officer"]).flags == 0


def test_only_agency_officers_with_an_officer_role_get_a_digest(users, flags, mailoutbox):
    UserFactory(username="po-idle", is_agency_officer=True)  # no portfolio
    users["other_officer"].is_active = False
    users["other_officer"].save(update_fields=["is_active"])

    run()

    assert [message.to for message in mailoutbox] == [["po@example.org"]]


def test_a_second_run_in_the_same_week_sends_nothing_and_the_next_week_sends_again(
    users, flags, mailoutbox
):
    run()
    assert len(mailoutbox) == 2

    again = run(MONDAY + datetime.timedelta(days=3))
    assert len(mailoutbox) == 2
    assert (again.sent, again.skipped) == (0, 2)

    flags["report"].resolved_at = MONDAY
    flags["report"].resolution = "auto"
    flags["report"].save(update_fields=["resolved_at", "resolution"])
    next_week = run(MONDAY + datetime.timedelta(days=7))

    assert next_week.sent == 2
    assert len(mailoutbox) == 4
    latest = by_recipient(mailoutbox)["po@example.org"][-1]
    assert latest.subject == "Grantwatch weekly digest 2026-W50: 2 open flags"
    assert "RP1's report is late." not in latest.body
    assert DigestSent.objects.filter(user=users["officer"]).count() == 2


def test_the_task_run_twice_sends_once(users, flags, mailoutbox):
    with time_machine.travel(MONDAY, tick=False):
        first = send_digests_task.delay().get()
        second = send_digests_task.delay().get()

    assert first == {"week": "2026-W49", "sent": 2, "skipped": 0}
    assert second == {"week": "2026-W49", "sent": 0, "skipped": 2}
    assert len(mailoutbox) == 2


def test_a_failed_digest_leaves_no_row_so_the_retry_sends_it(users, flags, mailoutbox, monkeypatch):
    def refuse(self, messages):
        raise ConnectionRefusedError("the mail server is down")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    failed = run()
    assert sorted(failed.failed) == sorted([users["officer"].pk, users["other_officer"].pk])
    assert DigestSent.objects.count() == 0

    monkeypatch.undo()
    retried = run(MONDAY + datetime.timedelta(minutes=5))

    assert retried.sent == 2
    assert len(mailoutbox) == 2


def test_a_latvian_officer_reads_the_digest_in_latvian(users, flags, mailoutbox):
    users["officer"].language = "lv"
    users["officer"].save(update_fields=["language"])

    run()

    body = by_recipient(mailoutbox)["po@example.org"][0].body
    # The severity names are in the Latvian catalogue; the flags' own Latvian explanations.
    assert "- [Kritiska] eligibility_breach:type_rule latviski" in body
    assert "- [Augsta] report_overdue:1 latviski" in body
    english = by_recipient(mailoutbox)["po-other@example.org"][0].body
    assert "- [Critical] eligibility_breach:min_full_partners in English" in english


@pytest.mark.parametrize("size", [1, 30])
def test_a_run_takes_the_same_queries_whatever_the_number_of_flags(
    users, demo, other_project, mailoutbox, size, django_assert_max_num_queries
):
    for n in range(size):
        flag(demo, f"deliverable_overdue:{n}", "medium")
        flag(other_project, f"milestone_overdue:{n}", "low")

    with django_assert_max_num_queries(3 + 3 * 2):
        result = run()

    assert result.sent == 2
    assert f"CARETECH (101143210): {size}\n" in by_recipient(mailoutbox)["po@example.org"][0].body
