"""The flag store: the one way watchers write their findings, and the officers' triage.

A watcher (a check run on change or by the sweep) computes its findings for a set of projects
and hands them to ``flags_sync`` with the scope it covered (those projects, its kinds). The
store turns them into flags: it raises the new ones, refreshes the ones still true, resolves
the ones gone, and leaves everything outside the scope alone. Officers then acknowledge and
resolve flags with ``flag_acknowledge`` and ``flag_resolve``.
"""

import dataclasses
import datetime
import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from typing import NamedTuple

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.audit.services import event_record, snapshot
from backend.common.errors import Conflict, InvalidInput
from backend.grants.eligibility.messages import explanation_text, jsonable
from backend.grants.selectors import AnyOf
from monitoring.models import Flag, FlagKind, Resolution, Severity
from monitoring.permissions import can_triage_flag
from monitoring.summaries import summaries_flags_refresh, summaries_missing

logger = logging.getLogger("monitoring.flags")

FINGERPRINT_MAX_LENGTH = Flag._meta.get_field("fingerprint").max_length
NOTE_MAX_LENGTH = 2000


@dataclass(frozen=True)
class Finding:
    """What a check found about one project. ``fingerprint`` identifies the finding within the
    project across runs and starts with its kind, e.g. "eligibility_breach:min_full_partners";
    ``explanation`` is {"message": msgid, "params": {...}, "details": {...}}, rendered in the
    reader's language when shown (``stored_message``; the older {"en": "...", "lv": "...",
    "details": {...}} is accepted too)."""

    project_id: int
    kind: str
    severity: str
    fingerprint: str
    explanation: dict

    def message(self, language: str) -> str:
        """The explanation in ``language``, as ``Flag.message`` renders it."""
        return explanation_text(self.explanation, language)


@dataclass(frozen=True)
class FlagRef:
    """A flag a sync touched. ``id`` is None for a raised flag: the insert that raises flags
    skips conflicts and so does not learn their ids."""

    id: int | None
    project_id: int
    kind: str
    fingerprint: str


@dataclass(frozen=True)
class SyncResult:
    raised: tuple[FlagRef, ...] = ()
    refreshed: tuple[FlagRef, ...] = ()
    resolved: tuple[FlagRef, ...] = ()
    # Findings not raised because an officer resolved their flag by hand while they held.
    held_down: tuple[FlagRef, ...] = ()
    # Manual resolutions whose finding is gone: the finding will be raised if it comes back.
    released: tuple[FlagRef, ...] = ()


class FlagAlreadyResolved(Conflict):
    """The flag is resolved: it can be neither acknowledged nor resolved again (a conflict:
    the API answers 409)."""


def flags_sync(
    *,
    project_ids: Collection[int],
    kinds: Collection[str],
    findings: Iterable[Finding],
    now: datetime.datetime,
) -> SyncResult:
    """Make the flags of the scope (``project_ids`` x ``kinds``) match ``findings``.

    - A finding with no open flag raises a new flag (first_seen_at = last_seen_at = now).
    - A finding with an open flag whose severity or explanation changed rewords it: severity
      and explanation as found now, last_seen_at = now. A finding found again as it was writes
      nothing: last_seen_at is when the finding was last raised or changed, and the project's
      summary row (``ProjectSummary.checked_at``) says when it was last checked.
    - An open flag of the scope whose fingerprint is not among the findings is resolved
      (resolved_at = now, resolution "auto").
    - Flags of other projects or other kinds are not touched.

    A flag an officer resolved by hand (``flag_resolve``) is marked ``suppressed``: while its
    finding lasts, the finding is not raised again (it is reported in ``held_down``). The
    first sync that sees the finding gone clears ``suppressed`` (``released``), so that a
    later return of the finding raises a new flag.

    Queries: one select (locking the open and suppressed flags of the scope), then at most
    one insert (raised), one update of the flags whose severity or explanation changed, one
    update (resolved) and one update (released), each skipped when it has nothing to do, all
    in one transaction; then the summaries of the projects whose open flags were raised,
    resolved or changed severity (a change of wording alone leaves their counts as they were).
    On SQLite Django splits a bulk insert or bulk update that exceeds 999 parameters into
    batches (66 raised or 199 reworded flags per statement); PostgreSQL always takes one
    statement.

    Safe to run twice, or twice at once: the same findings leave the same flags, untouched.
    Two syncs racing to raise the same finding both insert it; the database keeps one open
    flag per (project, fingerprint) and the second insert skips the conflict. Both then
    report the finding in ``raised`` (and log it).

    One log line (logger "monitoring.flags") is written per flag raised or resolved once the
    sync's transaction block is left: after the commit when the caller (a Celery task) holds
    no transaction of its own. Raises ValueError for a finding outside the scope, of an unknown kind
    or severity, with a malformed fingerprint or explanation, or found twice.
    """
    project_ids = frozenset(project_ids)
    kinds = frozenset(kinds)
    findings = list(findings)
    _check_scope(project_ids, kinds, findings, now)
    if not project_ids or not kinds:
        return SyncResult()

    # As the database gives the explanations back, so that a finding found again as it was
    # compares equal to its flag and writes nothing (``stored_message`` made them so already).
    found = {
        (finding.project_id, finding.fingerprint): finding
        if "message" in finding.explanation
        else replace(finding, explanation=jsonable(finding.explanation))
        for finding in findings
    }
    with transaction.atomic():
        plan = _plan(_lock_scope(project_ids, kinds), found, now)
        _apply(plan, now)
        # Only the summaries whose open flags changed, and those not written yet: a sync that
        # finds everything as it was writes no summary either.
        summaries_flags_refresh(plan.changed_projects() | summaries_missing(project_ids))

    result = plan.result()
    for flag in plan.to_raise:
        _log("flag_raised", _ref(flag, with_id=False), severity=flag.severity)
    for ref in result.resolved:
        _log("flag_resolved", ref, resolution=Resolution.AUTO)
    return result


@dataclass
class _Plan:
    """What a sync does to the flags of its scope."""

    to_raise: list[Flag]
    to_refresh: list["_Known"]
    reworded: list[Flag]  # refreshed flags whose severity or explanation changed
    held_down: list["_Known"]
    to_resolve: list["_Known"]
    to_release: list["_Known"]
    # The projects of the reworded flags whose severity changed (not only their wording).
    regraded: set[int] = dataclasses.field(default_factory=set)

    def changed_projects(self) -> set[int]:
        """The projects whose open flags this plan changes in what their summaries count: a
        flag raised or resolved, or one whose severity changed."""
        return {flag.project_id for flag in (*self.to_raise, *self.to_resolve)} | self.regraded

    def result(self) -> SyncResult:
        return SyncResult(
            raised=tuple(_ref(flag, with_id=False) for flag in self.to_raise),
            refreshed=tuple(_ref(flag) for flag in self.to_refresh),
            resolved=tuple(_ref(flag) for flag in sorted(self.to_resolve, key=_pk)),
            held_down=tuple(_ref(flag) for flag in self.held_down),
            released=tuple(_ref(flag) for flag in sorted(self.to_release, key=_pk)),
        )


def _pk(flag) -> int:
    return flag.pk


class _Known(NamedTuple):
    """A flag of the scope as the sync reads it: what the plan compares, not a model
    instance (most flags are found again as they were and need nothing more)."""

    pk: int
    project_id: int
    kind: str
    fingerprint: str
    severity: str
    explanation: dict
    resolved_at: datetime.datetime | None
    suppressed: bool


def _lock_scope(project_ids: frozenset[int], kinds: frozenset[str]) -> list[_Known]:
    """The open and suppressed flags of the scope, locked (one select). Locked in id order so
    that overlapping syncs (and officers resolving a flag) queue up instead of overwriting each
    other's resolutions or deadlocking."""
    return [
        _Known(*values)
        for values in Flag.objects.select_for_update()
        .filter(AnyOf(F("project_id"), project_ids), kind__in=kinds)
        .filter(Q(resolved_at__isnull=True) | Q(suppressed=True))
        .order_by("id")
        .values_list(*_Known._fields)
    ]


def _plan(
    known: list[_Known], found: dict[tuple[int, str], Finding], now: datetime.datetime
) -> _Plan:
    """Match the findings against the flags of the scope; no query. A reworded flag becomes
    an instance holding what its update writes (severity and explanation as found, last seen
    now)."""
    open_flags = {(f.project_id, f.fingerprint): f for f in known if f.resolved_at is None}
    suppressed = {(f.project_id, f.fingerprint): f for f in known if f.resolved_at is not None}
    plan = _Plan(
        to_raise=[],
        to_refresh=[],
        reworded=[],
        held_down=[],
        to_resolve=[flag for key, flag in open_flags.items() if key not in found],
        to_release=[flag for key, flag in suppressed.items() if key not in found],
    )
    for key, finding in sorted(found.items()):
        flag = open_flags.get(key)
        if flag is not None:
            if flag.severity != finding.severity:
                plan.regraded.add(flag.project_id)
            if (flag.severity, flag.explanation) != (finding.severity, finding.explanation):
                plan.reworded.append(
                    Flag(
                        pk=flag.pk,
                        project_id=flag.project_id,
                        kind=flag.kind,
                        fingerprint=flag.fingerprint,
                        severity=finding.severity,
                        explanation=finding.explanation,
                        last_seen_at=now,
                    )
                )
            plan.to_refresh.append(flag)
        elif key in suppressed:
            plan.held_down.append(suppressed[key])
        else:
            plan.to_raise.append(_new_flag(finding, now))
    return plan


def _new_flag(finding: Finding, now: datetime.datetime) -> Flag:
    return Flag(
        project_id=finding.project_id,
        kind=finding.kind,
        severity=finding.severity,
        fingerprint=finding.fingerprint,
        explanation=finding.explanation,
        first_seen_at=now,
        last_seen_at=now,
    )


def _apply(plan: _Plan, now: datetime.datetime) -> None:
    """Write the plan: at most one statement per kind of change, each skipped when it has
    nothing to do."""
    if plan.to_raise:
        # Sorted by (project, fingerprint) so that racing inserts meet in the same order.
        Flag.objects.bulk_create(plan.to_raise, ignore_conflicts=True)
    if plan.reworded:
        # Most findings are found again as they were and write nothing; only those whose
        # wording or severity changed need a row each (a late payment's days and interest
        # change every day).
        _reword(plan.reworded, now)
    if plan.to_resolve:
        Flag.objects.filter(pk__in=[flag.pk for flag in plan.to_resolve]).update(
            resolved_at=now, resolution=Resolution.AUTO
        )
    if plan.to_release:
        Flag.objects.filter(pk__in=[flag.pk for flag in plan.to_release]).update(suppressed=False)


def _reword(flags: list[Flag], now: datetime.datetime) -> None:
    """Write the new severity and explanation of these flags, last seen ``now``. On
    PostgreSQL one UPDATE joined to the rows' new values (a VALUES list): Django's
    ``bulk_update`` says the same with a CASE per column listing every row, which costs time
    growing with the square of the rows (a sweep batch on a new day rewords hundreds of
    late payments)."""
    if connection.vendor != "postgresql":
        Flag.objects.bulk_update(flags, ["severity", "explanation", "last_seen_at"])
        return
    quote = connection.ops.quote_name
    explanation = Flag._meta.get_field("explanation")
    params: list[object] = [now]
    for flag in flags:
        params += [
            flag.pk,
            flag.severity,
            explanation.get_db_prep_value(flag.explanation, connection),
        ]
    rows = ", ".join(["(%s::bigint, %s, %s::jsonb)"] * len(flags))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(Flag._meta.db_table)} AS flag SET {quote('severity')} = "
            f"found.severity, {quote('explanation')} = found.explanation, "
            f"{quote('last_seen_at')} = %s FROM (VALUES {rows}) AS found (id, severity, "
            f"explanation) WHERE flag.{quote('id')} = found.id",
            params,
        )


def _check_scope(
    project_ids: frozenset[int],
    kinds: frozenset[str],
    findings: list[Finding],
    now: datetime.datetime,
) -> None:
    """A watcher's mistake must fail loudly: the database would refuse some of these only in
    the middle of the sync, and SQLite's INSERT OR IGNORE would drop the row silently."""
    if timezone.is_naive(now):
        raise ValueError("now must be timezone-aware")
    unknown = sorted(kinds - set(FlagKind.values))
    if unknown:
        raise ValueError(f"unknown flag kinds: {', '.join(unknown)}")
    seen = set()
    severities = frozenset(Severity.values)  # built on each read: once, not once a finding
    for finding in findings:
        if finding.project_id not in project_ids or finding.kind not in kinds:
            raise ValueError(f"finding outside the scope of the sync: {finding}")
        if finding.severity not in severities:
            raise ValueError(f"unknown severity {finding.severity!r}: {finding}")
        if not (
            finding.fingerprint.startswith(f"{finding.kind}:")
            and len(finding.fingerprint) <= FINGERPRINT_MAX_LENGTH
        ):
            raise ValueError(
                f"a fingerprint starts with '<kind>:' and has at most {FINGERPRINT_MAX_LENGTH} "
                f"characters: {finding}"
            )
        if not isinstance(finding.explanation, dict) or not (
            isinstance(finding.explanation.get("message"), str)
            or isinstance(finding.explanation.get("en"), str)
        ):
            raise ValueError(
                f'an explanation is a dict with a message id at "message" (or an English text '
                f'at "en"): {finding}'
            )
        key = (finding.project_id, finding.fingerprint)
        if key in seen:
            raise ValueError(f"the same finding twice: {finding}")
        seen.add(key)


def _ref(flag, *, with_id: bool = True) -> FlagRef:
    return FlagRef(
        id=flag.pk if with_id else None,
        project_id=flag.project_id,
        kind=flag.kind,
        fingerprint=flag.fingerprint,
    )


def _log(event: str, ref: FlagRef, **fields) -> None:
    data = {
        "event": event,
        "flag_id": ref.id,
        "project_id": ref.project_id,
        "kind": ref.kind,
        "fingerprint": ref.fingerprint,
        **fields,
    }
    logger.info(" ".join(f"{name}={value}" for name, value in data.items()), extra=data)


# -- officers' triage --------------------------------------------------------------------------

# What a triage step changes, as its audit event shows it before and after. The watchers' own
# raising and resolving (flags_sync) is bookkeeping of findings, not an audit event.
ACKNOWLEDGEMENT_FIELDS = ["acknowledged_at", "acknowledged_by", "acknowledgement_note"]
RESOLUTION_FIELDS = ["resolved_at", "resolution", "resolved_by", "resolution_note", "suppressed"]


def flag_acknowledge(*, flag: Flag, user, note: str = "") -> Flag:
    """Record that the user has seen the flag and is dealing with it. Acknowledging again
    replaces the note and the time. Raises PermissionDenied (with the reason) unless the user
    may triage the flag, InvalidInput for a note too long, FlagAlreadyResolved for a
    resolved flag. Updates and returns ``flag``."""
    allowed, reason = can_triage_flag(user, flag)
    if not allowed:
        raise PermissionDenied(reason)
    note = _clean_note(note, required=False)
    with transaction.atomic():
        current = Flag.objects.select_for_update().get(pk=flag.pk)
        if current.resolved_at is not None:
            raise FlagAlreadyResolved(
                _("This flag is already resolved: there is nothing left to acknowledge.")
            )
        before = snapshot(current, ACKNOWLEDGEMENT_FIELDS)
        current.acknowledged_at = timezone.now()
        current.acknowledged_by = user
        current.acknowledgement_note = note
        current.save(update_fields=ACKNOWLEDGEMENT_FIELDS)
        event_record(
            actor=user,
            verb="flag.acknowledged",
            obj=current,
            before=before,
            after=snapshot(current, ACKNOWLEDGEMENT_FIELDS),
            note=note,
        )
    _copy_triage(current, flag)
    flag.acknowledged_by = user
    return flag


def flag_resolve(*, flag: Flag, user, note: str) -> Flag:
    """Resolve the flag by hand, with a note saying why. While the finding lasts, the
    watchers do not raise it again (see ``flags_sync``). Raises PermissionDenied (with the
    reason) unless the user may triage the flag, InvalidInput for a missing or too long
    note, FlagAlreadyResolved for a flag already resolved. Updates and returns ``flag``."""
    allowed, reason = can_triage_flag(user, flag)
    if not allowed:
        raise PermissionDenied(reason)
    note = _clean_note(note, required=True)
    with transaction.atomic():
        current = Flag.objects.select_for_update().get(pk=flag.pk)
        if current.resolved_at is not None:
            raise FlagAlreadyResolved(_("This flag is already resolved."))
        before = snapshot(current, RESOLUTION_FIELDS)
        current.resolved_at = timezone.now()
        current.resolution = Resolution.MANUAL
        current.resolved_by = user
        current.resolution_note = note
        current.suppressed = True
        current.save(update_fields=RESOLUTION_FIELDS)
        event_record(
            actor=user,
            verb="flag.resolved",
            obj=current,
            before=before,
            after=snapshot(current, RESOLUTION_FIELDS),
            note=note,
        )
        summaries_flags_refresh([current.project_id])
    _copy_triage(current, flag)
    flag.resolved_by = user
    return flag


def _clean_note(note: str, *, required: bool) -> str:
    note = (note or "").strip()
    if required and not note:
        raise InvalidInput.at("note", _("Say why the flag is resolved."))
    if len(note) > NOTE_MAX_LENGTH:
        raise InvalidInput.at(
            "note", _("A note has at most %(limit)d characters.") % {"limit": NOTE_MAX_LENGTH}
        )
    return note


def _copy_triage(source: Flag, target: Flag) -> None:
    """Carry the row as it is now (a sync may have refreshed it meanwhile) over to the
    caller's instance, which keeps its loaded project."""
    for field in Flag._meta.concrete_fields:
        if field.name != "project":
            setattr(target, field.attname, getattr(source, field.attname))
