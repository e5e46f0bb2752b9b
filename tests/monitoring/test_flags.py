"""The flag store: how findings become flags (raise, refresh, resolve, hold down a manual
resolution), what the database guarantees, constant query counts, concurrent syncs, and the
officers' triage services and permissions."""

import datetime
import logging
import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from backend.accounts.models import ProjectRole, User
from backend.api.flags import FlagSerializer
from backend.common.errors import InvalidInput
from backend.grantfile.services import grant_file_import
from backend.grants.eligibility.messages import (
    explanation_languages,
    messages_param,
    stored_message,
)
from backend.grants.models import Project
from monitoring.flags import (
    Finding,
    FlagAlreadyResolved,
    FlagRef,
    flag_acknowledge,
    flag_resolve,
    flags_sync,
)
from monitoring.models import Flag, ProjectSummary
from monitoring.permissions import can_triage_flag, can_view_flag
from monitoring.selectors import flag_list
from tests.factories import UserFactory
from tests.grants.helpers import dump, variant

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NOW = datetime.datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
LATER = NOW + datetime.timedelta(hours=6)
LATEST = NOW + datetime.timedelta(days=1)
BREACH = "eligibility_breach"
REVIEW = "eligibility_review"

# A sync in a test: SAVEPOINT, the select of the scope's flags, one insert, three updates
# (reworded, resolved, released), the projects with no summary yet (a select), the changed
# projects' summaries of open flags (a select and an upsert) and RELEASE SAVEPOINT. A flag
# found again as it was is not written.
SYNC_QUERIES = 10


def _grant(number: str, **changes) -> Project:
    def change(data):
        data["grant_agreement_number"] = number
        data.update(changes)

    return grant_file_import(content=dump(variant(change)))


def _give_role(user, project, role):
    participation = None
    if role == "manager":
        participation = project.participations.get(role="coordinator")
    elif role == "partner_contact":
        participation = project.participations.get(role="beneficiary")
    return ProjectRole.objects.create(
        user=user, project=project, role=role, participation=participation
    )


def _finding(project, name, *, kind=BREACH, severity="high", en=None, lv=None) -> Finding:
    explanation = {"en": en or f"{name} in English", "details": {"rule": name}}
    if lv is not None:
        explanation["lv"] = lv
    return Finding(
        project_id=project.pk,
        kind=kind,
        severity=severity,
        fingerprint=f"{kind}:{name}",
        explanation=explanation,
    )


def _sync(projects, findings, *, kinds=(BREACH,), now=NOW):
    return flags_sync(
        project_ids=[project.pk for project in projects],
        kinds=kinds,
        findings=findings,
        now=now,
    )


def _state() -> list[dict]:
    """Every flag as a row of plain values, in a stable order."""
    return list(Flag.objects.order_by("id").values())


def _open(project=None) -> dict[str, Flag]:
    flags = Flag.objects.filter(resolved_at__isnull=True)
    if project is not None:
        flags = flags.filter(project=project)
    return {flag.fingerprint: flag for flag in flags}


@pytest.fixture
def project():
    return _grant("101000001", acronym="MINE")


@pytest.fixture
def other_project():
    return _grant("101000002", acronym="OTHER")


@pytest.fixture
def project_officer(project):
    user = UserFactory(username="portfolio-officer", is_agency_officer=True)
    _give_role(user, project, "officer")
    return user


# -- raise, refresh, resolve -------------------------------------------------------------------


def test_a_new_finding_raises_a_flag(project):
    finding = _finding(project, "min_full_partners", severity="critical")

    result = _sync([project], [finding])

    flag = Flag.objects.get()
    assert (flag.project, flag.kind, flag.severity, flag.fingerprint) == (
        project,
        BREACH,
        "critical",
        "eligibility_breach:min_full_partners",
    )
    assert flag.explanation == finding.explanation
    assert (flag.first_seen_at, flag.last_seen_at) == (NOW, NOW)
    assert (flag.resolved_at, flag.resolution, flag.suppressed) == (None, "", False)
    assert flag.status == "open"
    assert result.raised == (
        FlagRef(
            id=None,
            project_id=project.pk,
            kind=BREACH,
            fingerprint="eligibility_breach:min_full_partners",
        ),
    )
    assert (result.refreshed, result.resolved) == ((), ())


def test_a_finding_that_lasts_refreshes_its_flag(project):
    _sync([project], [_finding(project, "min_full_partners", severity="high", en="7 of 8")])

    result = _sync(
        [project],
        [_finding(project, "min_full_partners", severity="critical", en="6 of 8")],
        now=LATER,
    )

    flag = Flag.objects.get()
    assert (flag.first_seen_at, flag.last_seen_at) == (NOW, LATER)
    assert flag.severity == "critical"
    assert flag.explanation["en"] == "6 of 8"
    assert flag.resolved_at is None
    assert [ref.id for ref in result.refreshed] == [flag.pk]
    assert (result.raised, result.resolved) == ((), ())


def test_a_finding_gone_resolves_its_flag_automatically(project):
    _sync([project], [_finding(project, "min_full_partners"), _finding(project, "min_countries")])

    result = _sync([project], [_finding(project, "min_countries")], now=LATER)

    gone = Flag.objects.get(fingerprint="eligibility_breach:min_full_partners")
    assert (gone.resolved_at, gone.resolution, gone.resolved_by) == (LATER, "auto", None)
    assert gone.last_seen_at == NOW
    assert gone.status == "resolved"
    assert [ref.id for ref in result.resolved] == [gone.pk]
    assert set(_open()) == {"eligibility_breach:min_countries"}


def test_flags_outside_the_scope_are_untouched(project, other_project):
    _sync(
        [project, other_project],
        [_finding(p, "min_full_partners") for p in (project, other_project)],
    )
    _sync([project], [_finding(project, "secondary_vet", kind=REVIEW)], kinds=[REVIEW])
    before = {row["id"]: row for row in _state()}

    # The breach check of the first project finds nothing any more.
    result = _sync([project], [], now=LATER)

    after = {row["id"]: row for row in _state()}
    resolved = [flag_id for flag_id in after if after[flag_id] != before[flag_id]]
    assert [Flag.objects.get(pk=flag_id).fingerprint for flag_id in resolved] == [
        "eligibility_breach:min_full_partners"
    ]
    assert Flag.objects.get(pk=resolved[0]).project == project
    assert [ref.id for ref in result.resolved] == resolved
    # The other project's breach and this project's review stay open, as they were.
    assert set(_open(other_project)) == {"eligibility_breach:min_full_partners"}
    assert set(_open(project)) == {"eligibility_review:secondary_vet"}


def test_the_same_sync_twice_leaves_the_same_flags(project, other_project):
    findings = [
        _finding(project, "min_full_partners"),
        _finding(project, "min_countries", severity="medium"),
        _finding(other_project, "min_member_states", severity="low"),
    ]
    _sync([project, other_project], [_finding(project, "stale")])
    _sync([project, other_project], findings)
    first = _state()

    with CaptureQueriesContext(connection) as queries:
        result = _sync([project, other_project], findings, now=LATER)

    second = _state()
    # Found again as they were: nothing is written, not even last_seen_at (when the finding
    # was last raised or changed), though the sync reports them refreshed.
    assert second == first
    assert {row["last_seen_at"] for row in second if row["resolved_at"] is None} == {NOW}
    assert len(second) == 4
    assert len(result.refreshed) == 3
    writes = ('UPDATE "monitoring_flag"', 'INSERT INTO "monitoring_flag"')
    assert not [q["sql"] for q in queries if q["sql"].startswith(writes)]


def test_a_finding_that_returns_after_it_was_resolved_is_a_new_flag(project):
    _sync([project], [_finding(project, "min_full_partners")])
    _sync([project], [], now=LATER)

    _sync([project], [_finding(project, "min_full_partners")], now=LATEST)

    first, second = Flag.objects.order_by("id")
    assert (first.resolved_at, first.resolution) == (LATER, "auto")
    assert (second.first_seen_at, second.resolved_at) == (LATEST, None)


# -- a manual resolution -----------------------------------------------------------------------


def test_a_manual_resolution_holds_while_the_finding_lasts_and_not_after_it_went_away(
    project, project_officer
):
    finding = _finding(project, "min_full_partners")
    _sync([project], [finding])
    flag_resolve(flag=Flag.objects.get(), user=project_officer, note="Waiver agreed by phone.")

    # The finding lasts: the officer's resolution holds, nothing is raised.
    held = _sync([project], [finding], now=LATER)

    resolved = Flag.objects.get()
    assert held.raised == ()
    assert [ref.id for ref in held.held_down] == [resolved.pk]
    assert (resolved.resolution, resolved.suppressed) == ("manual", True)

    # The finding goes away: the hold ends, still nothing is raised.
    released = _sync([project], [], now=LATEST)

    resolved.refresh_from_db()
    assert [ref.id for ref in released.released] == [resolved.pk]
    assert released.resolved == ()
    assert (resolved.resolution, resolved.suppressed) == ("manual", False)
    assert Flag.objects.count() == 1

    # The finding comes back: a new flag.
    back = _sync([project], [finding], now=LATEST + datetime.timedelta(days=1))

    assert len(back.raised) == 1
    assert Flag.objects.count() == 2
    assert _open()["eligibility_breach:min_full_partners"].pk != resolved.pk


def test_a_manual_resolution_holds_only_its_own_fingerprint(project, project_officer):
    _sync([project], [_finding(project, "min_full_partners")])
    flag_resolve(flag=Flag.objects.get(), user=project_officer, note="Known.")

    result = _sync(
        [project], [_finding(project, "min_full_partners"), _finding(project, "min_countries")]
    )

    assert [ref.fingerprint for ref in result.raised] == ["eligibility_breach:min_countries"]
    assert set(_open()) == {"eligibility_breach:min_countries"}


# -- what the database guarantees --------------------------------------------------------------


def _row(project, **fields) -> Flag:
    values = {
        "project": project,
        "kind": BREACH,
        "severity": "high",
        "fingerprint": "eligibility_breach:min_full_partners",
        "explanation": {"en": "x"},
        "first_seen_at": NOW,
        "last_seen_at": NOW,
    } | fields
    return Flag.objects.create(**values)


def test_the_database_refuses_a_second_open_flag_for_a_fingerprint(project, other_project):
    _row(project)
    _row(project, resolved_at=NOW, resolution="auto")  # history: any number of resolved ones
    _row(other_project)  # another project's flag of the same fingerprint

    with pytest.raises(IntegrityError), transaction.atomic():
        _row(project)

    assert Flag.objects.filter(project=project, resolved_at__isnull=True).count() == 1


@pytest.mark.parametrize(
    ("_case", "fields"),
    [
        ("unknown kind", {"kind": "gossip"}),
        ("unknown severity", {"severity": "urgent"}),
        ("resolution without resolved_at", {"resolution": "auto"}),
        ("resolved_at without resolution", {"resolved_at": NOW}),
        ("unknown resolution", {"resolved_at": NOW, "resolution": "magic"}),
        (
            "suppressed but resolved automatically",
            {"resolved_at": NOW, "resolution": "auto", "suppressed": True},
        ),
        ("suppressed but open", {"suppressed": True}),
        ("empty fingerprint", {"fingerprint": ""}),
    ],
)
def test_the_database_refuses_an_inconsistent_flag(project, _case, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(project, **fields)


@pytest.mark.parametrize(
    ("_case", "finding", "kinds", "error"),
    [
        ("outside the projects", {"project_id": 0}, [BREACH], "finding outside the scope"),
        (
            "outside the kinds",
            {"kind": REVIEW, "fingerprint": "eligibility_review:x"},
            [BREACH],
            "finding outside the scope",
        ),
        (
            "unknown kind",
            {"kind": "gossip", "fingerprint": "gossip:x"},
            ["gossip"],
            "unknown flag kinds: gossip",
        ),
        ("unknown severity", {"severity": "urgent"}, [BREACH], "unknown severity 'urgent'"),
        (
            "fingerprint of another kind",
            {"fingerprint": "eligibility_review:x"},
            [BREACH],
            "a fingerprint starts with '<kind>:'",
        ),
        (
            "fingerprint too long",
            {"fingerprint": "eligibility_breach:" + "x" * 200},
            [BREACH],
            "at most 200 characters",
        ),
        ("no English", {"explanation": {"lv": "tikai latviski"}}, [BREACH], "an English text"),
    ],
)
def test_a_malformed_finding_is_refused_and_nothing_is_written(
    project, _case, finding, kinds, error
):
    _sync([project], [_finding(project, "min_full_partners")])
    before = _state()
    fields = {
        "project_id": project.pk,
        "kind": BREACH,
        "severity": "high",
        "fingerprint": "eligibility_breach:x",
        "explanation": {"en": "x"},
    } | finding

    with pytest.raises(ValueError, match=error):
        flags_sync(project_ids=[project.pk], kinds=kinds, findings=[Finding(**fields)], now=LATER)

    assert _state() == before


def test_the_same_finding_twice_in_one_sync_is_refused(project):
    with pytest.raises(ValueError, match="the same finding twice"):
        _sync([project], [_finding(project, "x"), _finding(project, "x", severity="low")])

    assert Flag.objects.count() == 0


def test_a_naive_time_is_refused(project):
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        _sync([project], [], now=datetime.datetime(2025, 3, 1, 9, 0))


def test_an_empty_scope_does_nothing(project, django_assert_num_queries):
    with django_assert_num_queries(0):
        result = flags_sync(project_ids=[], kinds=[BREACH], findings=[], now=NOW)

    assert result.raised == result.resolved == ()


# -- logging, query count, concurrency ---------------------------------------------------------


def test_one_log_line_per_flag_raised_or_resolved(project, caplog):
    _sync([project], [_finding(project, "min_full_partners"), _finding(project, "min_countries")])
    stays = Flag.objects.get(fingerprint="eligibility_breach:min_countries")
    goes = Flag.objects.get(fingerprint="eligibility_breach:min_full_partners")
    caplog.set_level(logging.INFO, logger="monitoring.flags")
    caplog.clear()

    _sync(
        [project],
        [_finding(project, "min_countries"), _finding(project, "new_rule", severity="low")],
        now=LATER,
    )

    records = [record for record in caplog.records if record.name == "monitoring.flags"]
    assert [record.getMessage() for record in records] == [
        f"event=flag_raised flag_id=None project_id={project.pk} kind=eligibility_breach "
        "fingerprint=eligibility_breach:new_rule severity=low",
        f"event=flag_resolved flag_id={goes.pk} project_id={project.pk} kind=eligibility_breach "
        "fingerprint=eligibility_breach:min_full_partners resolution=auto",
    ]
    assert [(record.event, record.fingerprint) for record in records] == [
        ("flag_raised", "eligibility_breach:new_rule"),
        ("flag_resolved", "eligibility_breach:min_full_partners"),
    ]
    assert stays.pk not in [record.flag_id for record in records]


def _sync_with_every_kind_of_write(projects, officer):
    """Each project has a flag that stays (reworded), one that goes, a manual resolution whose
    finding is gone, and a new finding: the sync raises, rewords, resolves and releases for
    each."""
    findings = []
    for project in projects:
        findings += [
            _finding(project, "stays"),
            _finding(project, "goes"),
            _finding(project, "manual"),
        ]
    _sync(projects, findings)
    for flag in Flag.objects.filter(project__in=projects, fingerprint="eligibility_breach:manual"):
        flag_resolve(flag=flag, user=officer, note="Handled.")
    return [
        finding
        for project in projects
        for finding in (_finding(project, "stays", en="stays, reworded"), _finding(project, "new"))
    ]


def test_a_sync_takes_the_same_queries_for_2_and_for_30_projects(
    admin_user, django_assert_max_num_queries
):
    few = [_grant(f"1040000{n:02d}") for n in range(2)]
    many = [_grant(f"1050000{n:02d}") for n in range(30)]
    few_findings = _sync_with_every_kind_of_write(few, admin_user)
    many_findings = _sync_with_every_kind_of_write(many, admin_user)

    with django_assert_max_num_queries(SYNC_QUERIES):
        small = _sync(few, few_findings, now=LATER)
    with django_assert_max_num_queries(SYNC_QUERIES):
        big = _sync(many, many_findings, now=LATER)

    for result, size in ((small, 2), (big, 30)):
        assert [
            len(result.raised),
            len(result.refreshed),
            len(result.resolved),
            len(result.released),
        ] == [size] * 4
    assert Flag.objects.filter(resolved_at__isnull=True).count() == 2 * 32


def test_a_sync_that_finds_everything_as_it_was_writes_neither_flags_nor_summaries(
    django_assert_num_queries,
):
    projects = [_grant(f"1060000{n:02d}") for n in range(3)]
    findings = [_finding(project, "stays") for project in projects]
    _sync(projects, findings)
    summaries = list(ProjectSummary.objects.filter(project__in=projects).order_by("pk").values())
    assert [row["flags_high"] for row in summaries] == [1, 1, 1]

    # SAVEPOINT, the scope's flags, the projects with no summary yet, RELEASE SAVEPOINT.
    with django_assert_num_queries(4):
        result = _sync(projects, findings, now=LATER)

    assert len(result.refreshed) == 3
    assert list(ProjectSummary.objects.filter(project__in=projects).order_by("pk").values()) == (
        summaries
    )


def test_many_flags_reworded_at_once_take_one_update_and_each_gets_its_own_values(
    other_project,
):
    """A sweep batch on a new day rewords hundreds of flags (a late payment's days and
    interest): one statement writes them all, each row its own severity and explanation."""
    projects = [_grant(f"1080000{n:02d}") for n in range(3)]
    names = [f"rule{n}" for n in range(20)]
    _sync(projects, [_finding(p, name) for p in projects for name in names])
    _sync([other_project], [_finding(other_project, "rule0")])
    untouched = _state()

    def found(project, n):
        if n % 3 == 0:  # found again as it was
            return _finding(project, names[n])
        severity = "critical" if n % 3 == 1 else "high"
        return _finding(project, names[n], severity=severity, en=f"{project.pk} {n} now")

    findings = [found(p, n) for p in projects for n in range(len(names))]
    with CaptureQueriesContext(connection) as captured:
        result = _sync(projects, findings, now=LATER)

    updates = [q["sql"] for q in captured if q["sql"].startswith('UPDATE "monitoring_flag"')]
    assert len(updates) == 1
    assert len(result.refreshed) == 60
    for project in projects:
        flags = _open(project)
        for n, name in enumerate(names):
            flag = flags[f"{BREACH}:{name}"]
            expected = found(project, n)
            assert (flag.severity, flag.explanation) == (expected.severity, expected.explanation)
            assert flag.last_seen_at == (NOW if n % 3 == 0 else LATER)
    assert [row for row in _state() if row["project_id"] == other_project.pk] == [
        row for row in untouched if row["project_id"] == other_project.pk
    ]


def test_a_change_of_wording_alone_leaves_the_summaries_as_they_were(
    django_assert_num_queries,
):
    projects = [_grant(f"1090000{n:02d}") for n in range(2)]
    _sync(projects, [_finding(p, "late") for p in projects])
    summaries = list(ProjectSummary.objects.filter(project__in=projects).order_by("pk").values())

    # SAVEPOINT, the scope's flags, the update of the reworded flags, the projects with no
    # summary yet, RELEASE SAVEPOINT: the summaries count flags by severity, not by wording.
    with django_assert_num_queries(5):
        _sync(projects, [_finding(p, "late", en="one day later") for p in projects], now=LATER)

    assert _open(projects[0])[f"{BREACH}:late"].explanation["en"] == "one day later"
    assert list(ProjectSummary.objects.filter(project__in=projects).order_by("pk").values()) == (
        summaries
    )

    _sync(
        projects,
        [
            _finding(projects[0], "late", severity="critical", en="escalated"),
            _finding(projects[1], "late", en="one day later"),
        ],
        now=LATEST,
    )
    first, second = ProjectSummary.objects.filter(project__in=projects).order_by("project_id")
    assert (first.flags_critical, first.flags_high, first.status) == (1, 0, "red")
    assert (second.flags_critical, second.flags_high) == (0, 1)


def test_a_sync_writes_the_summary_a_project_lacks_even_when_its_flags_are_unchanged():
    project = _grant("107000001")
    _sync([project], [_finding(project, "stays", severity="critical")])
    ProjectSummary.objects.filter(project=project).delete()

    _sync([project], [_finding(project, "stays", severity="critical")], now=LATER)

    summary = ProjectSummary.objects.get(project=project)
    assert (summary.status, summary.flags_critical, summary.flags_total) == ("red", 1, 1)


# Importing a grant runs the eligibility checks once the import commits, and in a transactional
# test it does commit: the race tests use a kind those checks do not write. They restore the
# reference data (calls, countries) the flush after a transactional test deletes.
RACE = "amendment_decision_overdue"


def _in_thread(target, *args) -> threading.Thread:
    """A thread with its own database connection, closed when it ends."""

    def run():
        try:
            target(*args)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_syncs_at_the_same_time_raise_one_flag():
    """Each round, two threads start the same sync of a new finding at the same moment; the
    database keeps exactly one open flag and neither sync fails."""
    projects = [_grant(f"1060000{n:02d}") for n in range(6)]
    errors: list[BaseException] = []

    def sync_at_the_barrier(barrier, project):
        try:
            barrier.wait(timeout=30)
            _sync([project], [_finding(project, "race", kind=RACE)], kinds=[RACE])
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    for project in projects:
        barrier = threading.Barrier(2)
        threads = [_in_thread(sync_at_the_barrier, barrier, project) for _ in range(2)]
        for thread in threads:
            thread.join(timeout=60)

    assert errors == []
    for project in projects:
        assert list(project.flags.filter(kind=RACE).values_list("fingerprint", "resolved_at")) == [
            ("amendment_decision_overdue:race", None)
        ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_sync_that_loses_the_race_to_raise_a_flag_does_not_fail():
    """The first sync has inserted the flag but not committed when the second one looks: the
    second sees no open flag, its insert waits for the first to commit, then skips the
    conflict instead of failing."""
    project = _grant("107000001")
    finding = _finding(project, "race", kind=RACE)
    inserted = threading.Barrier(2)
    results: dict[str, object] = {}

    def first():
        with transaction.atomic():
            results["first"] = _sync([project], [finding], kinds=[RACE])
            inserted.wait(timeout=30)
            time.sleep(0.5)  # the second sync selects, then waits on the insert meanwhile

    def second():
        inserted.wait(timeout=30)
        try:
            results["second"] = _sync([project], [finding], kinds=[RACE], now=LATER)
        except BaseException as error:  # reported by the main thread
            results["second"] = error

    threads = [_in_thread(first), _in_thread(second)]
    for thread in threads:
        thread.join(timeout=60)

    assert len(results["first"].raised) == 1
    # It did try to raise the flag (it saw none open), and did not fail.
    assert len(results["second"].raised) == 1
    assert list(project.flags.filter(kind=RACE).values_list("first_seen_at", "resolved_at")) == [
        (NOW, None)
    ]


# -- triage services ---------------------------------------------------------------------------


@pytest.fixture
def flag(project):
    _sync([project], [_finding(project, "min_full_partners")])
    return Flag.objects.select_related("project").get()


def test_acknowledging_records_who_when_and_the_note(flag, project_officer, time_machine):
    time_machine.move_to(LATER, tick=False)

    flag_acknowledge(flag=flag, user=project_officer, note="  Calling the coordinator.  ")

    flag.refresh_from_db()
    assert (flag.acknowledged_at, flag.acknowledged_by, flag.acknowledgement_note) == (
        LATER,
        project_officer,
        "Calling the coordinator.",
    )
    assert flag.resolved_at is None


def test_acknowledging_again_replaces_the_note_and_the_time(flag, project_officer, time_machine):
    time_machine.move_to(LATER, tick=False)
    flag_acknowledge(flag=flag, user=project_officer, note="First look.")
    time_machine.move_to(LATEST, tick=False)

    returned = flag_acknowledge(flag=flag, user=project_officer)

    flag.refresh_from_db()
    assert (flag.acknowledged_at, flag.acknowledgement_note) == (LATEST, "")
    assert returned.acknowledged_at == LATEST


def test_resolving_records_who_when_and_the_note(flag, project_officer, time_machine):
    time_machine.move_to(LATER, tick=False)

    returned = flag_resolve(flag=flag, user=project_officer, note="Partner replaced.")

    flag.refresh_from_db()
    assert (flag.resolved_at, flag.resolution, flag.resolved_by, flag.resolution_note) == (
        LATER,
        "manual",
        project_officer,
        "Partner replaced.",
    )
    assert flag.suppressed is True
    assert (returned.status, returned.resolved_by) == ("resolved", project_officer)


def test_resolving_a_resolved_flag_is_refused(flag, project_officer):
    flag_resolve(flag=flag, user=project_officer, note="Done.")
    before = _state()

    with pytest.raises(FlagAlreadyResolved, match=r"^This flag is already resolved\.$"):
        flag_resolve(flag=Flag.objects.get(), user=project_officer, note="Again.")

    assert _state() == before


def test_acknowledging_a_resolved_flag_is_refused(flag, project_officer):
    flag_resolve(flag=flag, user=project_officer, note="Done.")
    before = _state()

    with pytest.raises(FlagAlreadyResolved, match="nothing left to acknowledge"):
        flag_acknowledge(flag=Flag.objects.get(), user=project_officer, note="Seen.")

    assert _state() == before


def test_a_stale_copy_of_a_flag_resolved_meanwhile_is_refused(flag, project_officer):
    stale = Flag.objects.get(pk=flag.pk)
    _sync([flag.project], [], now=LATER)  # the finding went away

    with pytest.raises(FlagAlreadyResolved):
        flag_resolve(flag=stale, user=project_officer, note="Done.")

    assert Flag.objects.get().resolution == "auto"


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("", "Say why the flag is resolved."),
        ("   ", "Say why the flag is resolved."),
        ("x" * 2001, "A note has at most 2000 characters."),
    ],
)
def test_resolving_needs_a_note_of_sensible_length(flag, project_officer, note, message):
    before = _state()

    with pytest.raises(InvalidInput) as refused:
        flag_resolve(flag=flag, user=project_officer, note=note)

    assert [error.as_dict() for error in refused.value.errors] == [
        {"path": "note", "message": message}
    ]
    assert _state() == before


@pytest.mark.parametrize("role", ["manager", "partner_contact"])
def test_managers_and_partners_may_not_triage(flag, project, role):
    user = UserFactory(username=f"a-{role}")
    _give_role(user, project, role)
    before = _state()
    reason = (
        "Only the project's agency officers and administrators acknowledge or resolve its flags."
    )

    with pytest.raises(PermissionDenied, match=reason):
        flag_resolve(flag=flag, user=user, note="Fixed it ourselves.")
    with pytest.raises(PermissionDenied, match=reason):
        flag_acknowledge(flag=flag, user=user)

    assert _state() == before


# -- permissions and the selector --------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "view", "triage"),
    [
        ("admin", True, True),
        ("officer of the project", True, True),
        ("officer of another project", False, False),
        ("officer role without being an agency officer", True, False),
        ("manager", True, False),
        ("partner_contact", True, False),
        ("nobody", False, False),
    ],
)
def test_who_may_view_and_who_may_triage_a_flag(flag, project, other_project, who, view, triage):
    user = UserFactory(
        username="someone",
        is_superuser=who == "admin",
        is_agency_officer=who.startswith("officer"),
    )
    if who == "officer of the project":
        _give_role(user, project, "officer")
    elif who.startswith("officer role"):
        # Given while agency staff, the flag taken away afterwards (the database refuses the
        # role to anyone else).
        _give_role(user, project, "officer")
        User.objects.filter(pk=user.pk).update(is_agency_officer=False)
        user.is_agency_officer = False
    elif who == "officer of another project":
        _give_role(user, other_project, "officer")
    elif who in ("manager", "partner_contact"):
        _give_role(user, project, who)

    assert can_view_flag(user, flag)[0] is view
    assert can_triage_flag(user, flag)[0] is triage
    if not view:
        assert can_view_flag(user, flag)[1] == "This flag belongs to a project you cannot see."


def test_the_list_is_most_severe_first_then_most_recently_seen(project, admin_user):
    _sync(
        [project], [_finding(project, "a", severity="low"), _finding(project, "b", severity="high")]
    )
    _sync(
        [project],
        [
            _finding(project, "a", severity="low"),
            _finding(project, "b", severity="high"),
            _finding(project, "c", severity="critical"),
            _finding(project, "d", severity="high"),
        ],
        kinds=[BREACH],
        now=LATER,
    )
    Flag.objects.filter(fingerprint="eligibility_breach:b").update(last_seen_at=NOW)

    listed = [flag.fingerprint.split(":")[1] for flag in flag_list(user=admin_user)]

    assert listed == ["c", "d", "b", "a"]


def test_the_selector_refuses_an_unknown_status(admin_user):
    with pytest.raises(ValueError, match="unknown status filter 'closed'"):
        flag_list(user=admin_user, status="closed")


# -- the admin ---------------------------------------------------------------------------------


def test_the_admin_lists_and_shows_flags_but_does_not_edit_them(client, flag, admin_user):
    client.force_login(admin_user)

    changelist = client.get("/admin/monitoring/flag/?kind__exact=eligibility_breach&q=MINE")
    change = client.get(f"/admin/monitoring/flag/{flag.pk}/change/")
    add = client.get("/admin/monitoring/flag/add/")
    edit = client.post(f"/admin/monitoring/flag/{flag.pk}/change/", {"severity": "low"})

    assert (changelist.status_code, change.status_code, add.status_code) == (200, 200, 403)
    assert b"eligibility_breach:min_full_partners" in changelist.content
    assert edit.status_code == 403
    assert Flag.objects.get().severity == "high"


# -- explanations: message ids with parameters, rendered when shown ----------------------------

BLOCKED = "The pre-financing of EUR %(amount)s is blocked: %(reasons)s"
NOT_SIGNED = "The grant agreement enters into force on %(date)s."


def _blocked_finding(project) -> Finding:
    return Finding(
        project_id=project.pk,
        kind="instalment_blocked",
        severity="medium",
        fingerprint="instalment_blocked:prefinancing",
        explanation=stored_message(
            BLOCKED,
            {
                "amount": Decimal("1599500.00"),
                "reasons": messages_param([(NOT_SIGNED, {"date": datetime.date(2026, 3, 1)})]),
            },
            {"key": "prefinancing", "reasons": ["grant_signed"]},
        ),
    )


def test_a_flag_stores_its_message_id_and_renders_it_in_the_readers_language(project):
    _sync([project], [_blocked_finding(project)], kinds=["instalment_blocked"])

    flag = Flag.objects.get()
    # Stored as written by the check, not rendered: JSON values (the amount, the date as text).
    assert flag.explanation == {
        "message": BLOCKED,
        "params": {
            "amount": "1599500.00",
            "reasons": {"messages": [[NOT_SIGNED, {"date": "2026-03-01"}]]},
        },
        "details": {"key": "prefinancing", "reasons": ["grant_signed"]},
    }
    assert flag.message("en") == (
        "The pre-financing of EUR 1599500.00 is blocked: The grant agreement enters into force "
        "on 2026-03-01."
    )
    assert flag.message("lv") == (
        "Priekšfinansējums EUR 1599500.00 apmērā ir bloķēts: Dotācijas nolīgums stāsies spēkā "
        "2026-03-01."
    )
    assert flag.message("lv-LV") == flag.message("lv")


def test_a_finding_found_again_as_it_was_is_not_written(project):
    _sync([project], [_blocked_finding(project)], kinds=["instalment_blocked"])
    before = Flag.objects.values().get()

    with CaptureQueriesContext(connection) as queries:
        result = _sync(
            [project], [_blocked_finding(project)], kinds=["instalment_blocked"], now=LATER
        )

    assert Flag.objects.values().get() == before
    assert len(result.refreshed) == 1
    assert not [q for q in queries if q["sql"].startswith('UPDATE "monitoring_flag"')]


def test_an_explanation_in_the_older_shape_still_renders(project):
    _sync([project], [_finding(project, "old", en="Old words.", lv="Vecie vārdi.")])

    flag = Flag.objects.get()
    assert (flag.message("en"), flag.message("lv"), flag.message("de")) == (
        "Old words.",
        "Vecie vārdi.",
        "Old words.",
    )
    assert explanation_languages(flag.explanation) == {
        "en": "Old words.",
        "lv": "Vecie vārdi.",
        "details": {"rule": "old"},
    }


def test_the_api_shows_the_explanation_in_both_languages_and_the_message_in_the_requests(
    project,
):
    _sync([project], [_blocked_finding(project)], kinds=["instalment_blocked"])
    flag = Flag.objects.select_related("project").get()

    with translation.override("lv"):
        data = FlagSerializer(flag).data

    assert data["explanation"] == {
        "en": "The pre-financing of EUR 1599500.00 is blocked: The grant agreement enters into "
        "force on 2026-03-01.",
        "lv": "Priekšfinansējums EUR 1599500.00 apmērā ir bloķēts: Dotācijas nolīgums stāsies "
        "spēkā 2026-03-01.",
        "details": {"key": "prefinancing", "reasons": ["grant_signed"]},
    }
    assert data["message"] == data["explanation"]["lv"]
