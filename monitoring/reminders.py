"""Reminder e-mails: a few days before a due date, and on the day.

Each day (Brussels), for each user and each number of days d in the user's ``reminder_days``
(default 14 and 0; 0 = on the day), every item due in exactly d days is reminded:

- a deliverable not submitted: to the project's managers and to the partner contacts of the
  participant leading it;
- a milestone not achieved: to the managers and to the partner contacts of its lead;
- a periodic report not received: to the managers.

Only active users with an e-mail address are reminded, and only about projects still running
or whose final report is still to come. A deadline falling in a suspension of the project is
not reminded while the suspension lasts, and is reminded as it falls once work resumed (the
suspended days later); nothing planned after a terminated grant's last day is reminded
(``monitoring.deadlines``). A user gets one e-mail a day listing all their items,
in their language.

``ReminderSent`` is the guard: its unique constraint (user, item, day) lets each reminder go out
once, however often the task runs, even twice at once. For each user, in one transaction, the
run claims the items not yet reminded today (inserting their rows), sends the e-mail for those
items only, and commits; if sending fails the transaction rolls back, the rows are gone, and
the next run (the task's retry) sends them. An e-mail handed over whose commit then fails is
sent again by the retry: a reminder twice rather than none.
"""

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backend.accounts.models import (
    DEFAULT_REMINDER_DAYS,
    MAX_REMINDER_DAYS,
    ProjectRole,
    ProjectRoleKind,
)
from backend.common.dates import brussels_today
from backend.grants.selectors import active_project_ids
from backend.reporting.models import REPORT_DUE_DAYS
from monitoring.deadlines import (
    deliverables_not_submitted,
    milestones_not_achieved,
    reports_not_received,
)
from monitoring.models import ReminderKind, ReminderSent

logger = logging.getLogger("monitoring.reminders")

# Attempts to claim a user's items when a run racing this one claimed some of them first.
CLAIM_ATTEMPTS = 2


class DeliveryFailed(Exception):
    """Some e-mails could not be handed to the mail server; their rows were rolled back and a
    retry of the task sends them."""


@dataclass(frozen=True)
class Item:
    """Something due that a reminder names."""

    kind: str  # a ReminderKind
    id: int  # the deliverable's, the milestone's or the reporting period's id
    project_id: int
    due_on: datetime.date
    code: str
    title: str
    due_month: int | None = None  # month-based items are shown as "M14 · 2025-04-30"
    lead_id: int | None = None  # None: the managers only

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind, self.id)


@dataclass(frozen=True)
class ProjectLabel:
    acronym: str
    grant_agreement_number: str

    def __str__(self) -> str:
        return f"{self.acronym} ({self.grant_agreement_number})"


@dataclass
class RunResult:
    users: int = 0  # e-mails sent
    reminders: int = 0  # items reminded (ReminderSent rows written)
    skipped: int = 0  # items already reminded today
    failed: list[int] = field(default_factory=list)  # ids of the users whose e-mail failed


def user_reminder_days(user) -> list[int]:
    """The user's reminder days; a malformed value falls back to the default."""
    days = user.reminder_days
    if not isinstance(days, list) or any(
        isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= MAX_REMINDER_DAYS
        for d in days
    ):
        return list(DEFAULT_REMINDER_DAYS)
    return sorted(set(days), reverse=True)


def reminders_send(*, now: datetime.datetime | None = None) -> RunResult:
    """Send today's reminders. Queries: six reads whatever the number of projects, items and
    users, then for each user with something to remind a transaction with one insert (three
    statements with its savepoint); a user's e-mail that fails is logged and counted in
    ``failed``, and the other users' e-mails still go."""
    now = now or timezone.now()
    today = brussels_today(now)
    result = RunResult()

    # A project still running, or ended with its final report still to come.
    project_ids = active_project_ids(today, days_after_end=REPORT_DUE_DAYS)
    if not project_ids:
        return result
    recipients = _recipients(project_ids)
    all_days = {d for days in recipients.days_of.values() for d in days}
    if not all_days:
        return result
    items = _items_due(project_ids, {today + datetime.timedelta(days=d) for d in all_days})
    wanted = recipients.wanted(items, today)
    if not wanted:
        return result

    already = set(
        ReminderSent.objects.filter(user_id__in=list(wanted), sent_on=today).values_list(
            "user_id", "item_kind", "item_id"
        )
    )
    connection = get_connection(fail_silently=False)
    for user_id in sorted(wanted):
        pending = [item for item in wanted[user_id] if (user_id, *item.key) not in already]
        result.skipped += len(wanted[user_id]) - len(pending)
        _remind(
            recipients.users[user_id],
            pending,
            recipients.projects,
            now=now,
            today=today,
            connection=connection,
            result=result,
        )
    return result


@dataclass(frozen=True)
class _Recipients:
    """Who may be reminded about the items of some projects, and when."""

    users: dict[int, object]  # id -> an active user with an e-mail address
    days_of: dict[int, list[int]]  # user -> reminder days
    managers: dict[int, set[int]]  # project -> users
    contacts: dict[int, set[int]]  # participation -> users
    projects: dict[int, ProjectLabel]  # the projects of the users' roles

    def wanted(self, items: Iterable[Item], today: datetime.date) -> dict[int, list[Item]]:
        """For each user, the items to remind today: those the user is told about, due in
        one of the user's reminder days."""
        wanted: dict[int, list[Item]] = defaultdict(list)
        for item in items:
            recipients = set(self.managers.get(item.project_id, ()))
            if item.lead_id is not None:
                recipients |= self.contacts.get(item.lead_id, set())
            for user_id in recipients:
                if (item.due_on - today).days in self.days_of[user_id]:
                    wanted[user_id].append(item)
        return wanted


def _recipients(project_ids: list[int]) -> _Recipients:
    """The managers and partner contacts of these projects who can be reminded (active, with
    an e-mail address), with the projects' names: one query."""
    roles = list(
        ProjectRole.objects.filter(
            project_id__in=project_ids,
            role__in=[ProjectRoleKind.MANAGER, ProjectRoleKind.PARTNER_CONTACT],
            user__is_active=True,
        )
        .exclude(Q(user__email="") | Q(user__email__isnull=True))
        .select_related("user")
        .annotate(
            project_acronym=F("project__acronym"),
            project_number=F("project__grant_agreement_number"),
        )
        .order_by("user_id", "project_id", "id")
    )
    users = {role.user_id: role.user for role in roles}
    managers: dict[int, set[int]] = defaultdict(set)
    contacts: dict[int, set[int]] = defaultdict(set)
    for role in roles:
        if role.role == ProjectRoleKind.MANAGER:
            managers[role.project_id].add(role.user_id)
        elif role.participation_id is not None:
            contacts[role.participation_id].add(role.user_id)
    return _Recipients(
        users=users,
        days_of={user_id: user_reminder_days(user) for user_id, user in users.items()},
        managers=dict(managers),
        contacts=dict(contacts),
        projects={
            role.project_id: ProjectLabel(role.project_acronym, role.project_number)
            for role in roles
        },
    )


def _remind(
    user,
    pending: list[Item],
    projects: dict[int, ProjectLabel],
    *,
    now: datetime.datetime,
    today: datetime.date,
    connection,
    result: RunResult,
) -> None:
    """Claim the user's pending items and send their e-mail, in one transaction; counted in
    ``result``. Items a racing run claimed first are left to it; a failed e-mail is logged and
    leaves no row."""
    for _attempt in range(CLAIM_ATTEMPTS):
        if not pending:
            return
        try:
            with transaction.atomic():
                ReminderSent.objects.bulk_create(
                    [_claim(user.pk, item, now=now, today=today) for item in pending]
                )
                message = reminder_message(user, pending, projects, today)
                message.connection = connection
                message.send()
        except IntegrityError:
            # A run racing this one claimed some of these items first: claim the rest.
            taken = set(
                ReminderSent.objects.filter(user_id=user.pk, sent_on=today).values_list(
                    "item_kind", "item_id"
                )
            )
            before = len(pending)
            pending = [item for item in pending if item.key not in taken]
            result.skipped += before - len(pending)
            continue
        except Exception:
            logger.exception("event=reminder_failed user_id=%s items=%s", user.pk, len(pending))
            result.failed.append(user.pk)
            return
        result.users += 1
        result.reminders += len(pending)
        logger.info("event=reminder_sent user_id=%s items=%s", user.pk, len(pending))
        return


def _claim(
    user_id: int, item: Item, *, now: datetime.datetime, today: datetime.date
) -> ReminderSent:
    return ReminderSent(
        user_id=user_id,
        project_id=item.project_id,
        item_kind=item.kind,
        item_id=item.id,
        due_on=item.due_on,
        sent_on=today,
        sent_at=now,
    )


def _items_due(project_ids: list[int], due_days: Iterable[datetime.date]) -> list[Item]:
    """The items of these projects due on one of these days and not done yet, with their
    deadlines in force: three queries."""
    due_days = set(due_days)
    items = [
        Item(
            kind=ReminderKind.DELIVERABLE,
            id=d.id,
            project_id=d.project_id,
            due_on=d.due_on,
            code=d.code,
            title=d.title,
            due_month=d.due_month,
            lead_id=d.lead_id,
        )
        for d in deliverables_not_submitted(project_ids, due_on=due_days)
    ]
    items += [
        Item(
            kind=ReminderKind.MILESTONE,
            id=m.id,
            project_id=m.project_id,
            due_on=m.due_on,
            code=m.code,
            title=m.title,
            due_month=m.due_month,
            lead_id=m.lead_id,
        )
        for m in milestones_not_achieved(project_ids)
        if m.due_on in due_days
    ]
    items += [
        Item(
            kind=ReminderKind.REPORT,
            id=r.period_id,
            project_id=r.project_id,
            due_on=r.due_on,
            code=f"RP{r.number}",
            title=f"M{r.start_month}-M{r.end_month}",
        )
        for r in reports_not_received(project_ids)
        if r.due_on in due_days
    ]
    return items


def format_due(item: Item) -> str:
    """ "M14 · 2025-04-30" for month-based items, the date alone for the others."""
    if item.due_month is None:
        return item.due_on.isoformat()
    return f"M{item.due_month} · {item.due_on.isoformat()}"


def _when(days: int) -> str:
    if days == 0:
        return _("due today")
    return ngettext("due in %(days)d day", "due in %(days)d days", days) % {"days": days}


def _item_line(item: Item, today: datetime.date) -> str:
    params = {"code": item.code, "title": item.title}
    if item.kind == ReminderKind.DELIVERABLE:
        what = _('Deliverable %(code)s "%(title)s"') % params
    elif item.kind == ReminderKind.MILESTONE:
        what = _('Milestone %(code)s "%(title)s"') % params
    else:
        what = _("Periodic report %(code)s (%(title)s)") % params
    return f"- {what}: {_when((item.due_on - today).days)}, {format_due(item)}"


def reminder_message(
    user, items: list[Item], projects: dict[int, ProjectLabel], today: datetime.date
) -> EmailMessage:
    """The day's e-mail to one user, in the user's language: the items grouped by project,
    the nearest deadline first."""
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = ngettext(
            "Grantwatch reminder: %(count)d deadline coming up",
            "Grantwatch reminder: %(count)d deadlines coming up",
            len(items),
        ) % {"count": len(items)}
        lines = [
            _("Hello %(name)s,") % {"name": user.get_full_name() or user.username},
            "",
            _("These deadlines of your projects are coming up:"),
        ]
        by_project: dict[int, list[Item]] = defaultdict(list)
        for item in items:
            by_project[item.project_id].append(item)
        for project_id in sorted(by_project, key=lambda pk: str(projects[pk])):
            lines += ["", str(projects[project_id])]
            for item in sorted(by_project[project_id], key=lambda i: (i.due_on, i.kind, i.code)):
                lines.append(_item_line(item, today))
        days = ", ".join(str(d) for d in user_reminder_days(user))
        lines += [
            "",
            _(
                "You receive reminders %(days)s days before a due date (0 is the day itself). "
                "You can change this in your profile."
            )
            % {"days": days},
        ]
        body = "\n".join(lines) + "\n"
    return EmailMessage(subject=subject, body=body, to=[user.email])
