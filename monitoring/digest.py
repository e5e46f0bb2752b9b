"""The weekly digest: each agency officer gets, once per ISO week, the open flags of their
portfolio (the projects where they hold the officer role), grouped by project, the most
severe first, with the counts by severity.

``DigestSent`` (unique per user and week) is the guard, as ``ReminderSent`` is for reminders:
the row is inserted in the transaction that sends the e-mail, so a second run in the same week
sends nothing, and a failed e-mail leaves no row for the retry to trip over.
"""

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backend.accounts.models import ProjectRole, ProjectRoleKind
from backend.common.dates import brussels_today
from monitoring.models import DigestSent, Flag, Severity

logger = logging.getLogger("monitoring.digest")

_RANK = {value: rank for rank, value in enumerate(Severity.values)}  # most urgent first


@dataclass
class DigestResult:
    week: str
    sent: int = 0
    skipped: int = 0  # officers who already had this week's digest
    failed: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class PortfolioProject:
    id: int
    acronym: str
    grant_agreement_number: str

    def __str__(self) -> str:
        return f"{self.acronym} ({self.grant_agreement_number})"


def iso_week(day: datetime.date) -> str:
    """ "2026-W48": the ISO year and week of ``day``."""
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def digests_send(*, now: datetime.datetime | None = None) -> DigestResult:
    """Send this week's digest to every officer who has not had it. Queries: three reads
    whatever the number of officers, projects and flags, then for each officer a transaction
    with one insert (three statements with its savepoint). An officer's e-mail that fails is
    logged and counted in ``failed``; the others still go."""
    now = now or timezone.now()
    today = brussels_today(now)
    week = iso_week(today)
    result = DigestResult(week=week)

    roles = list(
        ProjectRole.objects.filter(
            role=ProjectRoleKind.OFFICER,
            user__is_agency_officer=True,
            user__is_active=True,
        )
        .exclude(Q(user__email="") | Q(user__email__isnull=True))
        .select_related("user", "project")
        .order_by("user_id", "project__acronym", "project_id")
    )
    if not roles:
        return result
    officers = {role.user_id: role.user for role in roles}
    portfolio: dict[int, list[PortfolioProject]] = defaultdict(list)
    for role in roles:
        portfolio[role.user_id].append(
            PortfolioProject(
                role.project_id, role.project.acronym, role.project.grant_agreement_number
            )
        )

    already = set(
        DigestSent.objects.filter(user_id__in=list(officers), week=week).values_list(
            "user_id", flat=True
        )
    )
    pending = [user_id for user_id in sorted(officers) if user_id not in already]
    result.skipped = len(officers) - len(pending)
    if not pending:
        return result

    project_ids = {project.id for user_id in pending for project in portfolio[user_id]}
    flags_of: dict[int, list[Flag]] = defaultdict(list)
    for flag in Flag.objects.filter(
        project_id__in=list(project_ids), resolved_at__isnull=True
    ).only("id", "project_id", "kind", "severity", "explanation", "first_seen_at"):
        flags_of[flag.project_id].append(flag)

    connection = get_connection(fail_silently=False)
    for user_id in pending:
        user = officers[user_id]
        projects = portfolio[user_id]
        count = sum(len(flags_of[project.id]) for project in projects)
        try:
            with transaction.atomic():
                DigestSent.objects.create(user=user, week=week, flags=count, sent_at=now)
                message = digest_message(user, week, today, projects, flags_of)
                message.connection = connection
                message.send()
        except IntegrityError:
            result.skipped += 1  # a run racing this one sent it
            continue
        except Exception:
            logger.exception("event=digest_failed user_id=%s week=%s", user_id, week)
            result.failed.append(user_id)
            continue
        result.sent += 1
        logger.info("event=digest_sent user_id=%s week=%s flags=%s", user_id, week, count)
    return result


def _severity_label(severity: str) -> str:
    return str(Severity(severity).label)


def digest_message(
    user,
    week: str,
    today: datetime.date,
    projects: list[PortfolioProject],
    flags_of: dict[int, list[Flag]],
) -> EmailMessage:
    """One officer's digest, in the officer's language."""
    language = user.language or settings.LANGUAGE_CODE
    with translation.override(language):
        flagged = [
            (project, sorted(flags_of[project.id], key=lambda f: (_RANK[f.severity], f.id)))
            for project in projects
            if flags_of[project.id]
        ]
        flagged.sort(key=lambda pair: (_RANK[pair[1][0].severity], pair[0].acronym))
        total = sum(len(flags) for _project, flags in flagged)
        if total:
            subject = ngettext(
                "Grantwatch weekly digest %(week)s: %(count)d open flag",
                "Grantwatch weekly digest %(week)s: %(count)d open flags",
                total,
            ) % {"week": week, "count": total}
        else:
            subject = _("Grantwatch weekly digest %(week)s: no open flags") % {"week": week}
        lines = [_("Hello %(name)s,") % {"name": user.get_full_name() or user.username}, ""]
        if total:
            counts = defaultdict(int)
            for _project, flags in flagged:
                for flag in flags:
                    counts[flag.severity] += 1
            lines.append(
                _("Open flags in your portfolio on %(date)s: %(counts)s.")
                % {
                    "date": today.isoformat(),
                    "counts": ", ".join(
                        f"{_severity_label(severity)} {counts[severity]}"
                        for severity in Severity.values
                    ),
                }
            )
            for project, flags in flagged:
                lines += ["", f"{project}: {len(flags)}"]
                for flag in flags:
                    lines.append(
                        f"- [{_severity_label(flag.severity)}] {flag.message(language)} "
                        + _("(since %(date)s)")
                        % {"date": timezone.localdate(flag.first_seen_at).isoformat()}
                    )
        else:
            # An officer with no open flags still gets the digest: it tells them the watchers
            # ran over their portfolio this week and found nothing, rather than leaving them to
            # wonder whether the e-mails stopped.
            lines.append(
                ngettext(
                    "There are no open flags on the %(count)d project of your portfolio: the "
                    "watchers checked it and found nothing to report.",
                    "There are no open flags on the %(count)d projects of your portfolio: the "
                    "watchers checked them and found nothing to report.",
                    len(projects),
                )
                % {"count": len(projects)}
            )
        body = "\n".join(lines) + "\n"
    return EmailMessage(subject=subject, body=body, to=[user.email])
