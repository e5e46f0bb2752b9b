"""Reads of the flag store, scoped to the requesting user."""

from django.db.models import QuerySet

from backend.grants.selectors import projects_visible_to
from monitoring.models import Flag, FlagStatus, Severity

STATUS_FILTERS = (FlagStatus.OPEN, FlagStatus.RESOLVED, "all")

# A severity's stored rank (Flag.severity_rank, SEVERITY_RANK's numbering: most urgent first).
SEVERITY_RANKS = {severity: rank for rank, severity in enumerate(Severity.values)}


def _visible_flags(user) -> QuerySet[Flag]:
    """The flags of the projects ``projects_visible_to`` gives the user. An administrator sees
    every project, so their flags are not filtered at all: a filter through every project
    would only cost a join (or a semi-join) that the lists' indexes cannot use."""
    flags = Flag.objects.select_related("project", "resolved_by", "acknowledged_by")
    if user.is_superuser:
        return flags
    return flags.filter(project__in=projects_visible_to(user))


def flag_list(
    *,
    user,
    project_id: int | None = None,
    kind: str | None = None,
    severity: str | None = None,
    status: str | None = None,
) -> QuerySet[Flag]:
    """The flags of the projects the user can see, most severe first, then the most recently
    seen. Each filter left at None does not filter; ``status`` is "open", "resolved" or "all"
    (the same as None)."""
    if status is not None and status not in STATUS_FILTERS:
        raise ValueError(f"unknown status filter {status!r}")
    flags = _visible_flags(user)
    if project_id is not None:
        flags = flags.filter(project_id=project_id)
    if kind is not None:
        flags = flags.filter(kind=kind)
    if severity is not None:
        # The stored rank stands for the severity one to one, and it leads the lists' indexes:
        # one severity's flags are a range of them, already in the lists' order.
        if severity in SEVERITY_RANKS:
            flags = flags.filter(severity_rank=SEVERITY_RANKS[severity])
        else:
            flags = flags.filter(severity=severity)
    if status == FlagStatus.OPEN:
        flags = flags.filter(resolved_at__isnull=True)
    elif status == FlagStatus.RESOLVED:
        flags = flags.filter(resolved_at__isnull=False)
    return flags.order_by("severity_rank", "-last_seen_at", "-id")


def flag_get(*, user, flag_id: int) -> Flag | None:
    """One flag, or None if it does not exist or the user may not see its project (the two
    are not told apart)."""
    return _visible_flags(user).filter(pk=flag_id).first()
