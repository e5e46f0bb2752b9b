"""Reminder e-mails: N days before a due date and on the day, once per user, item and day,
however often the task runs; in the user's language; in a fixed number of queries."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.exceptions import Retry
from django.core.mail.backends.locmem import EmailBackend
from django.utils import translation
from django_celery_beat.models import PeriodicTask

from backend.reporting.models import PeriodicReport
from backend.workplan.models import Deliverable, Milestone
from monitoring import reminders
from monitoring.models import ReminderSent
from monitoring.reminders import DeliveryFailed, reminders_send
from monitoring.tasks import send_reminders_task

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")


def at(year, month, day, hour=7, minute=0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=BRUSSELS)


def run(moment: datetime.datetime):
    with time_machine.travel(moment, tick=False):
        return reminders_send()


def by_recipient(outbox) -> dict[str, list]:
    mails: dict[str, list] = {}
    for message in outbox:
        for address in message.to:
            mails.setdefault(address, []).append(message)
    return mails


# D5.4 (lead ZILEMED) is due in M28: 2026-06-30.


def test_fourteen_days_before_the_managers_and_the_lead_contacts_are_reminded(
    users, demo, mailoutbox
):
    result = run(at(2026, 6, 16))

    mails = by_recipient(mailoutbox)
    assert sorted(mails) == ["pc@example.org", "pm@example.org"]
    message = mails["pc@example.org"][0]
    assert message.subject == "Grantwatch reminder: 1 deadline coming up"
    assert message.body == (
        "Hello pc,\n"
        "\n"
        "These deadlines of your projects are coming up:\n"
        "\n"
        "CARETECH (101143210)\n"
        '- Deliverable D5.4 "'
        + Deliverable.objects.get(project=demo, code="D5.4").title
        + '": due in 14 days, M28 · 2026-06-30\n'
        "\n"
        "You receive reminders 14, 0 days before a due date (0 is the day itself). You can "
        "change this in your profile.\n"
    )
    d54 = Deliverable.objects.get(project=demo, code="D5.4")
    assert sorted(
        ReminderSent.objects.values_list("user__username", "item_kind", "item_id", "due_on")
    ) == [
        ("pc", "deliverable", d54.pk, datetime.date(2026, 6, 30)),
        ("pm", "deliverable", d54.pk, datetime.date(2026, 6, 30)),
    ]
    assert set(ReminderSent.objects.values_list("sent_on", flat=True)) == {
        datetime.date(2026, 6, 16)
    }
    assert (result.users, result.reminders, result.skipped, result.failed) == (2, 2, 0, [])


def test_on_the_day_they_are_reminded_again(users, demo, mailoutbox):
    run(at(2026, 6, 30))

    mails = by_recipient(mailoutbox)
    assert sorted(mails) == ["pc@example.org", "pm@example.org"]
    assert "D5.4" in mails["pm@example.org"][0].body
    assert ": due today, M28 · 2026-06-30\n" in mails["pm@example.org"][0].body


def test_no_reminder_on_the_other_days(users, demo, mailoutbox):
    run(at(2026, 6, 15))
    run(at(2026, 6, 29))

    assert mailoutbox == []
    assert ReminderSent.objects.count() == 0


def test_a_user_with_seven_days_gets_only_the_seven_day_reminder(users, demo, mailoutbox):
    users["partner_contact"].reminder_days = [7]
    users["partner_contact"].save(update_fields=["reminder_days"])

    run(at(2026, 6, 16))
    run(at(2026, 6, 30))
    assert "pc@example.org" not in by_recipient(mailoutbox)

    run(at(2026, 6, 23))

    mails = by_recipient(mailoutbox)
    assert len(mails["pc@example.org"]) == 1
    assert ": due in 7 days, M28 · 2026-06-30\n" in mails["pc@example.org"][0].body
    assert "You receive reminders 7 days before a due date" in mails["pc@example.org"][0].body
    assert len(mails["pm@example.org"]) == 2  # the manager keeps the default 14 and 0


def test_nobody_is_reminded_of_a_submitted_deliverable(users, demo, mailoutbox):
    Deliverable.objects.filter(project=demo, code="D5.4").update(
        status="submitted", delivered_on=datetime.date(2026, 6, 10)
    )

    run(at(2026, 6, 16))
    run(at(2026, 6, 30))

    assert mailoutbox == []


def test_a_milestone_and_a_deliverable_of_the_same_lead_come_in_one_e_mail(users, demo, mailoutbox):
    # D7.3 and MS8, both led by LVTDA, are due in M27: 2026-05-31.
    run(at(2026, 5, 17))

    mails = by_recipient(mailoutbox)
    assert sorted(mails) == ["pc-other@example.org", "pm@example.org"]
    message = mails["pc-other@example.org"][0]
    assert message.subject == "Grantwatch reminder: 2 deadlines coming up"
    d73 = Deliverable.objects.get(project=demo, code="D7.3")
    ms8 = Milestone.objects.get(project=demo, code="MS8")
    assert (
        f'- Deliverable D7.3 "{d73.title}": due in 14 days, M27 · 2026-05-31\n'
        f'- Milestone MS8 "{ms8.title}": due in 14 days, M27 · 2026-05-31\n'
    ) in message.body


def test_an_achieved_milestone_is_not_reminded(users, demo, mailoutbox):
    Milestone.objects.filter(project=demo, code="MS8").update(
        achieved_on=datetime.date(2026, 5, 10), achievement_evidence="Report of the event."
    )
    Deliverable.objects.filter(project=demo, code="D7.3").update(
        status="submitted", delivered_on=datetime.date(2026, 5, 10)
    )

    run(at(2026, 5, 17))

    assert mailoutbox == []


def test_a_periodic_report_is_reminded_to_the_managers_only(users, demo, mailoutbox):
    # RP1 ends 2025-08-31; its report is due 2025-10-30.
    run(at(2025, 10, 16))

    assert [message.to for message in mailoutbox] == [["pm@example.org"]]
    assert "- Periodic report RP1 (M1-M18): due in 14 days, 2025-10-30\n" in mailoutbox[0].body
    period = demo.reporting_periods.get(number=1)
    assert list(ReminderSent.objects.values_list("item_kind", "item_id")) == [("report", period.pk)]


def test_a_submitted_report_is_not_reminded(users, demo, mailoutbox):
    received = at(2025, 10, 10, 12)
    PeriodicReport.objects.create(
        project=demo,
        reporting_period=demo.reporting_periods.get(number=1),
        status="submitted",
        submitted_at=received,
        first_submitted_at=received,
    )

    run(at(2025, 10, 16))
    run(at(2025, 10, 30))

    assert mailoutbox == []


def test_the_final_report_is_reminded_after_the_project_ended(users, demo, mailoutbox):
    # The project ends 2028-02-29; RP3's report is due 60 days later, on 2028-04-29.
    run(at(2028, 4, 29))

    assert [message.to for message in mailoutbox] == [["pm@example.org"]]
    assert "- Periodic report RP3 (M37-M48): due today, 2028-04-29\n" in mailoutbox[0].body


def test_officers_inactive_users_and_users_without_e_mail_are_not_reminded(users, demo, mailoutbox):
    users["partner_contact"].is_active = False
    users["partner_contact"].save(update_fields=["is_active"])
    users["manager"].email = ""
    users["manager"].save(update_fields=["email"])

    run(at(2026, 6, 16))

    assert mailoutbox == []


def test_a_run_twice_on_the_same_day_sends_each_reminder_once(users, demo, mailoutbox):
    first = run(at(2026, 6, 16, 7))
    second = run(at(2026, 6, 16, 9))

    assert len(mailoutbox) == 2
    assert ReminderSent.objects.count() == 2
    assert (first.users, second.users, second.reminders, second.skipped) == (2, 0, 0, 2)


def test_the_task_run_twice_sends_once(users, demo, mailoutbox):
    with time_machine.travel(at(2026, 6, 16), tick=False):
        first = send_reminders_task.delay().get()
        second = send_reminders_task.delay().get()

    assert first == {"users": 2, "reminders": 2, "skipped": 0}
    assert second == {"users": 0, "reminders": 0, "skipped": 2}
    assert len(mailoutbox) == 2


def test_a_failed_e_mail_leaves_no_row_so_the_next_run_sends_it(
    users, demo, mailoutbox, monkeypatch
):
    def refuse(self, messages):
        raise ConnectionRefusedError("the mail server is down")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    failed = run(at(2026, 6, 16, 7))

    assert sorted(failed.failed) == sorted([users["manager"].pk, users["partner_contact"].pk])
    assert (failed.users, failed.reminders) == (0, 0)
    assert ReminderSent.objects.count() == 0
    assert mailoutbox == []

    monkeypatch.undo()
    retried = run(at(2026, 6, 16, 7, 5))

    assert (retried.users, retried.reminders) == (2, 2)
    assert sorted(by_recipient(mailoutbox)) == ["pc@example.org", "pm@example.org"]
    assert ReminderSent.objects.count() == 2


def test_the_task_fails_to_be_retried_when_an_e_mail_failed_and_the_retry_sends_it(
    users, demo, mailoutbox, monkeypatch
):
    original = EmailBackend.send_messages
    attempts = []

    def fail_once(self, messages):
        attempts.append(messages[0].to)
        if len(attempts) == 1:
            raise ConnectionRefusedError("the mail server is down")
        return original(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", fail_once)
    assert DeliveryFailed in send_reminders_task.autoretry_for
    with time_machine.travel(at(2026, 6, 16), tick=False):
        # Eagerly run, Celery raises the retry it would schedule on a worker.
        with pytest.raises(Retry):
            send_reminders_task.delay()
        # The other e-mail went out; the failed one left no row.
        assert len(mailoutbox) == 1
        assert ReminderSent.objects.count() == 1

        retried = send_reminders_task.delay().get()

    assert retried == {"users": 1, "reminders": 1, "skipped": 1}
    assert len(attempts) == 3
    assert sorted(by_recipient(mailoutbox)) == ["pc@example.org", "pm@example.org"]
    assert ReminderSent.objects.count() == 2


def test_the_e_mail_is_written_in_the_users_language(users, demo, mailoutbox, monkeypatch):
    """The catalogue may not have these sentences in Latvian yet: the test checks that the
    e-mail of a Latvian-speaking user is written under Latvian, whatever the thread's
    language."""
    users["partner_contact"].language = "lv"
    users["partner_contact"].save(update_fields=["language"])

    def tagged(singular, plural, number):
        return f"[{translation.get_language()}] " + (singular if number == 1 else plural)

    monkeypatch.setattr(reminders, "ngettext", tagged)
    run(at(2026, 6, 16))

    mails = by_recipient(mailoutbox)
    assert mails["pc@example.org"][0].subject == "[lv] Grantwatch reminder: 1 deadline coming up"
    assert mails["pm@example.org"][0].subject == "[en] Grantwatch reminder: 1 deadline coming up"
    assert translation.get_language() == "en"


@pytest.mark.parametrize("many", [False, True])
def test_a_run_takes_the_same_queries_whatever_the_number_of_items(
    users, demo, mailoutbox, many, django_assert_max_num_queries
):
    due = datetime.date(2026, 6, 30)
    if many:
        # Revised deadlines: the 18 deliverables due from M28 on, now all due on one day and
        # led by ZILEMED.
        Deliverable.objects.filter(project=demo, status="pending").exclude(
            due_on__lt=datetime.date(2026, 6, 1)
        ).update(due_on=due, lead=demo.participations.get(short_name="ZILEMED"))

    with django_assert_max_num_queries(6 + 3 * 2):
        result = run(at(2026, 6, 16))

    assert result.users == 2
    count = ReminderSent.objects.filter(user=users["manager"]).count()
    assert count == (18 if many else 1)
    assert ReminderSent.objects.filter(user=users["partner_contact"]).count() == count


def test_the_reminders_and_the_digest_are_in_the_beat_schedule():
    reminders_task = PeriodicTask.objects.select_related("crontab").get(
        name="Daily deadline reminders"
    )
    digest_task = PeriodicTask.objects.select_related("crontab").get(
        name="Weekly flag digest for officers"
    )

    assert reminders_task.task == "monitoring.send_reminders"
    assert reminders_task.enabled
    crontab = reminders_task.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_week, str(crontab.timezone)) == (
        "0",
        "7",
        "*",
        "Europe/Brussels",
    )
    assert digest_task.task == "monitoring.send_digests"
    crontab = digest_task.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_week, str(crontab.timezone)) == (
        "30",
        "7",
        "1",
        "Europe/Brussels",
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_runs_at_the_same_moment_send_each_reminder_once(users, demo, mailoutbox):
    """Two workers run the task at once, each in its own transaction on PostgreSQL: the unique
    (user, item, day) row lets only one of them claim each reminder."""
    import threading

    from django.db import connection

    start = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            start.wait(timeout=10)
            results.append(reminders_send(now=at(2026, 6, 16)))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(address for message in mailoutbox for address in message.to) == [
        "pc@example.org",
        "pm@example.org",
    ]
    assert ReminderSent.objects.count() == 2
    assert sum(result.reminders for result in results) == 2
