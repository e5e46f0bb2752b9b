"""Per-project summaries: what the portfolio's pages and the progress API read instead of
recomputing every project on each request.

The checks write them (``monitoring.models.ProjectSummary``, ``ProjectTally``,
``ProgressSummary``):

- ``summaries_flags_refresh``: a project's open flags summed up (``monitoring.rag``), after
  every sync of its flags and every officer's resolution of one;
- ``summaries_refresh``: the rest, after every check of the project (on change and by the
  sweep): when it was checked, its next instalment, its schedule's instalments counted by
  status and what fell due month by month, and its progress in total and per activity cluster.

Each takes a fixed number of queries whatever the number of projects it is given. A project
never checked has no row: its readers treat it as green, with no flag and no next instalment.

The readers at the end sum these rows in the database (``portfolio_tallies``,
``portfolio_progress_summed``, ``progress_summaries``), so that a portfolio's figures cost the
same whatever its size.
"""

import datetime
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, FilteredRelation, Q, QuerySet, Sum

from backend.common.dates import brussels_today
from backend.grants.models import Project
from backend.grants.selectors import AnyOf, consortia, projects_visible_to
from backend.payments import rules as payment_rules
from backend.payments import statuses as instalment_statuses
from backend.payments.selectors import grant_facts
from backend.reporting.progress import (
    ClusterProgress,
    ClusterRow,
    DeliverableCounts,
    MilestoneCounts,
    PortfolioProgress,
    ProjectsNotVisible,
    Summary,
    WorkPackageCounts,
    progress_of_projects,
)
from backend.workplan.models import ActivityCluster
from monitoring.everything import kept_figures, portfolio_changed
from monitoring.models import ProgressSummary, ProjectSummary, ProjectTally
from monitoring.rag import STATUSES, Compliance, OpenFlag, SeverityCounts, compliance

ZERO = payment_rules.ZERO

# -- the pure rules: the next instalment, the status counts and the due months ------------------


@dataclass(frozen=True)
class NextInstalment:
    """The first instalment of the schedule not paid yet."""

    key: str
    kind: str
    period: int | None
    status: str  # one of backend.payments.statuses, never paid nor nothing due
    due_on: datetime.date | None  # pre-financing: when it is due; a period: its report's
    amount: Decimal


# What the next instalment skips: done, or nothing to pay (it asks nothing of anyone).
SETTLED = (instalment_statuses.PAID, instalment_statuses.NOTHING_DUE)


def next_instalment(instalments: Iterable[payment_rules.Instalment]) -> NextInstalment | None:
    """The first instalment still to pay or recover: not paid, and not one with nothing due."""
    for item in instalments:
        if item.status not in SETTLED:
            return NextInstalment(
                key=item.key,
                kind=item.kind,
                period=item.period,
                status=item.status,
                due_on=item.due_on,
                amount=item.amount,
            )
    return None


def status_counts(instalments: Iterable[payment_rules.Instalment]) -> dict[str, int]:
    """How many of the instalments have each status (the statuses none has are left out)."""
    counts: dict[str, int] = defaultdict(int)
    for item in instalments:
        counts[item.status] += 1
    return dict(counts)


def month_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def due_by_month(instalments: Iterable[payment_rules.Instalment]) -> dict[datetime.date, Decimal]:
    """What the schedule made due, by month (the first of the month): every instalment whose
    period has ended (any status but "scheduled"), at the amount the schedule counts for it
    now (the approved amount once approved; a recovery negative), in the month its payment
    falls due (its payment due date, else its due date)."""
    due: dict[datetime.date, Decimal] = defaultdict(lambda: ZERO)
    for item in instalments:
        day = item.payment_due_on or item.due_on
        if item.status == instalment_statuses.SCHEDULED or day is None:
            continue
        due[month_of(day)] += item.amount
    return dict(due)


# -- writing ------------------------------------------------------------------------------------

FLAG_FIELDS = (
    "status",
    "status_rank",
    "eligibility",
    "overdue",
    "flags_total",
    "flags_critical",
    "flags_high",
    "flags_medium",
    "flags_low",
)
CHECK_FIELDS = (
    "checked_at",
    "checked_on",
    "participants",
    "next_key",
    "next_kind",
    "next_period",
    "next_status",
    "next_due_on",
    "next_amount",
)
# What a check writes besides when it ran.
NEXT_FIELDS = tuple(name for name in CHECK_FIELDS if name not in ("checked_at", "checked_on"))
PROGRESS_FIELDS = (
    "deliverables_pending",
    "deliverables_draft",
    "deliverables_submitted",
    "deliverables_accepted",
    "deliverables_total",
    "deliverables_overdue",
    "milestones_achieved",
    "milestones_total",
    "milestones_overdue",
    "work_packages_total",
    "work_packages_completed_declared",
    "work_packages_completed_approved",
)


def _flag_values(found: Compliance) -> dict:
    return {
        "status": found.status,
        "status_rank": STATUSES.index(found.status),
        "eligibility": found.eligibility,
        "overdue": found.overdue,
        "flags_total": found.flags.total,
        "flags_critical": found.flags.critical,
        "flags_high": found.flags.high,
        "flags_medium": found.flags.medium,
        "flags_low": found.flags.low,
    }


def clusters_read() -> tuple[list[ClusterRow], dict[str, str]]:
    """The activity clusters in order, and the key of each code in ``ProgressSummary.cluster``
    (the cluster's number: a code may be longer than the column); one query."""
    rows, keys = [], {}
    for cluster in ActivityCluster.objects.order_by("number"):
        rows.append(ClusterRow(code=cluster.code, name=str(cluster)))
        keys[cluster.code] = str(cluster.number)
    return rows, keys


def _existing(project_ids: Collection[int]) -> list[int]:
    """The ids that are projects (a row of a project deleted meanwhile is not written)."""
    return sorted(Project.objects.filter(AnyOf(F("id"), project_ids)).values_list("pk", flat=True))


def summaries_missing(project_ids: Collection[int]) -> set[int]:
    """The ids among these that have no summary row yet; one query."""
    ids = set(project_ids)
    if not ids:
        return set()
    return ids - set(
        ProjectSummary.objects.filter(AnyOf(F("project_id"), ids)).values_list(
            "project_id", flat=True
        )
    )


def summaries_flags_refresh(project_ids: Collection[int]) -> None:
    """Sum up the open flags of these projects into their summaries (creating the rows
    missing), from the flag table, in two queries whatever their number: one reading the
    projects (those deleted meanwhile drop out) with their open flags grouped by kind and
    severity, and one upsert."""
    ids = set(project_ids)
    if not ids:
        return
    open_flags: dict[int, list[OpenFlag]] = {}
    for project_id, kind, severity, count in (
        Project.objects.filter(AnyOf(F("id"), ids))
        .annotate(open=FilteredRelation("flags", condition=Q(flags__resolved_at__isnull=True)))
        .values_list("pk", "open__kind", "open__severity")
        .annotate(count=Count("open__id"))
        .order_by()
    ):
        found = open_flags.setdefault(project_id, [])
        if kind is not None:
            found.append(OpenFlag(kind, severity, count))
    if not open_flags:
        return
    portfolio_changed()
    ProjectSummary.objects.bulk_create(
        [
            ProjectSummary(
                project_id=project_id, **_flag_values(compliance(open_flags[project_id]))
            )
            for project_id in sorted(open_flags)
        ],
        update_conflicts=True,
        unique_fields=["project"],
        update_fields=list(FLAG_FIELDS),
    )


def _check_values(
    *, now: datetime.datetime, today: datetime.date, participants: int, schedule: list
) -> dict:
    following = next_instalment(schedule)
    return {
        "checked_at": now,
        "checked_on": today,
        "participants": participants,
        "next_key": following.key if following else "",
        "next_kind": following.kind if following else "",
        "next_period": following.period if following else None,
        "next_status": following.status if following else "",
        "next_due_on": following.due_on if following else None,
        "next_amount": following.amount if following else None,
    }


TALLY_FIELDS = ("figure", "key", "count", "amount")
PROGRESS_ROW_FIELDS = ("cluster", *PROGRESS_FIELDS)


def _tallies(schedule: list) -> set[tuple]:
    """The schedule's tallies as ``TALLY_FIELDS`` tuples."""
    rows = {
        (ProjectTally.INSTALMENT_STATUS, status, count, ZERO)
        for status, count in status_counts(schedule).items()
    }
    rows |= {
        (ProjectTally.DUE_MONTH, month.strftime("%Y-%m"), 1, amount)
        for month, amount in due_by_month(schedule).items()
    }
    return rows


def _progress_values(summary: Summary) -> tuple:
    """A progress summary as the ``PROGRESS_FIELDS`` values, in their order."""
    deliverables, milestones, work_packages = (
        summary.deliverables,
        summary.milestones,
        summary.work_packages,
    )
    return (
        deliverables.pending,
        deliverables.draft,
        deliverables.submitted,
        deliverables.accepted,
        deliverables.total,
        deliverables.overdue,
        milestones.achieved,
        milestones.total,
        milestones.overdue,
        work_packages.total,
        work_packages.completed_declared,
        work_packages.completed_approved,
    )


def summaries_refresh(
    project_ids: Collection[int],
    *,
    now: datetime.datetime,
    today: datetime.date,
    schedules: dict[int, list[payment_rules.Instalment]],
    participants: dict[int, int],
) -> None:
    """Write what a check of these projects found besides their flags: when they were
    checked, their next instalment, their schedule's tallies (``schedules``: each project's
    payment schedule as computed by the check) and their progress on ``today``. The
    summaries' flag part is left as it is (a row created here starts green until its flags
    are summed). A fixed number of queries whatever the number of projects."""
    ids = _existing(set(project_ids))
    if not ids:
        return
    clusters, keys = clusters_read()
    progress = progress_of_projects(ids, today, clusters, with_work_packages=False)
    values = {
        project_id: _check_values(
            now=now,
            today=today,
            participants=participants.get(project_id, 0),
            schedule=schedules.get(project_id, []),
        )
        for project_id in ids
    }
    # Every row gets the check's time in one update; only the rows whose other values changed
    # (or that do not exist yet) are written whole.
    stored = {
        row[0]: row[1:]
        for row in ProjectSummary.objects.filter(AnyOf(F("project_id"), ids)).values_list(
            "project_id", *NEXT_FIELDS
        )
    }
    summaries = [
        ProjectSummary(project_id=project_id, **found)
        for project_id, found in values.items()
        if stored.get(project_id) != tuple(found[name] for name in NEXT_FIELDS)
    ]
    tallies = {project_id: _tallies(schedules.get(project_id, [])) for project_id in ids}
    progress_rows = {}
    for project_id in ids:
        found = progress[project_id]
        progress_rows[project_id] = {("", *_progress_values(found.totals))} | {
            (keys[cluster.code], *_progress_values(cluster.summary)) for cluster in found.clusters
        }
    with transaction.atomic():
        ProjectSummary.objects.filter(AnyOf(F("project_id"), stored)).update(
            checked_at=now, checked_on=today
        )
        if summaries:
            ProjectSummary.objects.bulk_create(
                summaries,
                update_conflicts=True,
                unique_fields=["project"],
                update_fields=list(CHECK_FIELDS),
            )
        _replace_changed(ProjectTally, tallies, TALLY_FIELDS)
        _replace_changed(ProgressSummary, progress_rows, PROGRESS_ROW_FIELDS)


def _replace_changed(model, rows: dict[int, set[tuple]], fields: tuple[str, ...]) -> None:
    """Replace the rows of the projects whose rows differ from ``rows`` (each project's rows
    as tuples of ``fields``); a project whose rows are as they were is not written (a sweep
    that finds nothing new writes none of them). One read, then at most one delete and one
    insert; only the changed projects' rows become model instances."""
    before: dict[int, set[tuple]] = defaultdict(set)
    for values in model.objects.filter(AnyOf(F("project_id"), rows)).values_list(
        "project_id", *fields
    ):
        before[values[0]].add(values[1:])
    changed = sorted(pid for pid, after in rows.items() if before[pid] != after)
    if not changed:
        return
    portfolio_changed()
    model.objects.filter(AnyOf(F("project_id"), changed)).delete()
    model.objects.bulk_create(
        model(project_id=project_id, **dict(zip(fields, values, strict=True)))
        for project_id in changed
        for values in sorted(rows[project_id])
    )


def summaries_recompute(project_ids: Collection[int], *, now: datetime.datetime) -> None:
    """Write these projects' summaries from the record and the flags as they are now, without
    checking them (their flags stay as they are): for summaries missing or out of date, e.g.
    on a database written before the summaries, or flags written by hand. A check
    (``monitoring.checks.check_projects``) does the same besides its findings. A fixed number
    of queries whatever the number of projects."""
    today = brussels_today(now)
    snapshots = consortia(project_ids)
    facts = grant_facts(snapshots.keys(), today=today, snapshots=snapshots, with_shares=False)
    with transaction.atomic():
        summaries_flags_refresh(snapshots.keys())
        summaries_refresh(
            snapshots.keys(),
            now=now,
            today=today,
            schedules={pid: payment_rules.schedule(f, today) for pid, f in facts.items()},
            participants={pid: len(c.participants) for pid, (c, _rules) in snapshots.items()},
        )


def projects_without_summary(*, besides: Collection[int] = ()) -> list[int]:
    """The ids of the projects that have no summary yet, in id order, leaving out ``besides``
    (one query)."""
    left_out = set(besides)
    return [
        project_id
        for project_id in Project.objects.filter(summary__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
        if project_id not in left_out
    ]


def summaries_missing_fill(*, now: datetime.datetime, batch_size: int = 250) -> int:
    """Write the summaries of every project that has none (``summaries_recompute``), in
    batches of ``batch_size`` projects, each in its own transaction: for a database written
    before the summaries existed, or projects no check has reached yet (a project the sweep no
    longer checks keeps the summary of its last check). Returns how many projects it wrote;
    one query when none is missing."""
    written = 0
    while True:
        batch = list(
            Project.objects.filter(summary__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not batch:
            return written
        summaries_recompute(batch, now=now)
        written += len(batch)


# -- reading ------------------------------------------------------------------------------------


def summary_compliance(
    *,
    status: str | None,
    eligibility: str | None,
    overdue: int | None,
    critical: int | None,
    high: int | None,
    medium: int | None,
    low: int | None,
) -> Compliance:
    """A project's compliance from its summary's columns; a project with no summary (all
    None) is green, with no flag."""
    return Compliance(
        flags=SeverityCounts(
            critical=critical or 0, high=high or 0, medium=medium or 0, low=low or 0
        ),
        eligibility=eligibility or "pass",
        overdue=overdue or 0,
        status=status or "green",
    )


def summary_next_instalment(
    *,
    key: str | None,
    kind: str | None,
    period: int | None,
    status: str | None,
    due_on: datetime.date | None,
    amount: Decimal | None,
) -> NextInstalment | None:
    """A project's next instalment from its summary's columns; none when blank or missing."""
    if not key:
        return None
    return NextInstalment(
        key=key,
        kind=kind or "",
        period=period,
        status=status or "",
        due_on=due_on,
        amount=amount if amount is not None else ZERO,
    )


def visible_scope(user) -> QuerySet | None:
    """The projects the user sees, for the readers below to filter by; None for an
    administrator, who sees every project (``projects_visible_to``): their sums need no filter
    by project at all."""
    return None if user.is_superuser else projects_visible_to(user)


def _of(tallies: QuerySet, projects: QuerySet | None) -> QuerySet:
    """Rows of these projects; ``projects`` None: of every project (no filter at all)."""
    return tallies if projects is None else tallies.filter(project__in=projects)


def portfolio_status_counts(projects: QuerySet | None) -> dict[str, int]:
    """The instalments of these projects' schedules counted by status, as last checked; one
    query. ``projects`` None: every project."""
    return dict(
        _of(ProjectTally.objects.filter(figure=ProjectTally.INSTALMENT_STATUS), projects)
        .values_list("key")
        .annotate(total=Sum("count"))
        .order_by()
    )


def portfolio_due_by_month(projects: QuerySet | None) -> dict[datetime.date, Decimal]:
    """What these projects' schedules made due, by month (``due_by_month``), as last checked;
    one query. ``projects`` None: every project."""
    return {
        datetime.date.fromisoformat(f"{key}-01"): total
        for key, total in _of(ProjectTally.objects.filter(figure=ProjectTally.DUE_MONTH), projects)
        .values_list("key")
        .annotate(total=Sum("amount"))
        .order_by()
    }


def _summary(row: dict) -> Summary:
    return Summary(
        deliverables=DeliverableCounts(
            pending=row["deliverables_pending"] or 0,
            draft=row["deliverables_draft"] or 0,
            submitted=row["deliverables_submitted"] or 0,
            accepted=row["deliverables_accepted"] or 0,
            total=row["deliverables_total"] or 0,
            overdue=row["deliverables_overdue"] or 0,
        ),
        milestones=MilestoneCounts(
            achieved=row["milestones_achieved"] or 0,
            total=row["milestones_total"] or 0,
            overdue=row["milestones_overdue"] or 0,
        ),
        work_packages=WorkPackageCounts(
            total=row["work_packages_total"] or 0,
            completed_declared=row["work_packages_completed_declared"] or 0,
            completed_approved=row["work_packages_completed_approved"] or 0,
        ),
    )


def portfolio_progress_summed(projects: QuerySet | None) -> PortfolioProgress:
    """These projects' progress as last checked, summed in total and per activity cluster
    (every cluster listed, in order), by the database: two queries. ``projects`` None: every
    project, kept from one change of the summaries to the next (``monitoring.everything``)."""
    if projects is None:
        return kept_figures("progress", lambda: _progress_summed(None), today=brussels_today())
    return _progress_summed(projects)


def _progress_summed(projects: QuerySet | None) -> PortfolioProgress:
    clusters, keys = clusters_read()
    sums = {
        row["cluster"]: _summary(row)
        for row in _of(ProgressSummary.objects.all(), projects)
        .values("cluster")
        .annotate(**{name: Sum(name) for name in PROGRESS_FIELDS})
        .order_by()
    }
    return PortfolioProgress(
        totals=sums.get("", Summary()),
        clusters=tuple(
            ClusterProgress(
                code=cluster.code,
                name=cluster.name,
                summary=sums.get(keys[cluster.code], Summary()),
            )
            for cluster in clusters
        ),
    )


def progress_summaries(project_ids: Collection[int]) -> dict[int, Summary]:
    """Each of these projects' progress in total as last checked (a project never checked:
    nothing counted); one query."""
    found = {
        row["project_id"]: _summary(row)
        for row in ProgressSummary.objects.filter(project_id__in=project_ids, cluster="").values(
            "project_id", *PROGRESS_FIELDS
        )
    }
    return {project_id: found.get(project_id, Summary()) for project_id in project_ids}


@dataclass(frozen=True)
class PortfolioSummaries:
    projects: QuerySet  # the projects summed, by acronym, for paging
    summed: PortfolioProgress


def portfolio_progress_read(
    *, user, project_ids: Collection[int] | None = None
) -> PortfolioSummaries:
    """The progress of every project the user can see (or of those of ``project_ids``)
    summed, as the projects were last checked, with the projects to page through
    (``progress_summaries`` reads a page's own lines): a fixed number of queries whatever the
    number of projects. Raises ProjectsNotVisible for ids that are no project the user can
    see."""
    projects = projects_visible_to(user)
    scope = visible_scope(user)
    if project_ids is not None:
        wanted = sorted(set(project_ids))
        found = set(projects.filter(pk__in=wanted).values_list("pk", flat=True))
        missing = [project_id for project_id in wanted if project_id not in found]
        if missing:
            raise ProjectsNotVisible(missing)
        projects = scope = projects.filter(pk__in=wanted)
    return PortfolioSummaries(
        projects=projects.only("id", "acronym").order_by("acronym", "id"),
        summed=portfolio_progress_summed(scope),
    )
