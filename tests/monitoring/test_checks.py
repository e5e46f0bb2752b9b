"""The eligibility watchers: a check turns the record into flags, after a change and in the
sweep, idempotently and in a fixed number of queries."""

import datetime
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from backend.common.dates import BRUSSELS
from backend.grantfile.services import grant_file_import
from backend.grants.models import Participation, Project
from monitoring.checks import INSTALMENT_KINDS, OVERDUE_KINDS, check_projects
from monitoring.models import Flag
from monitoring.tasks import sweep_task
from tests.factories import UserFactory
from tests.grants.helpers import dump, variant

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[2] / "backend" / "demo" / "data" / "cove-demo.yaml"
TODAY = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.UTC)

# The queries of one check of a batch, whatever its size. At most 39 for the check and its
# flags: the consortia in ten (their organisations read by id, not joined, their dated history
# and third parties; two more for the third parties' organisations when there are any); the
# overdue items in four (the projects' suspensions read once for the three); the watchers of
# the grant's life in three or four; the payment facts in at most seventeen (each table by
# the batch's ids or the ids of rows read before: the projects and their suspensions, the
# reports apart from their periods); the sync at most an insert and three updates (reworded,
# resolved, released: a flag found as it was is not written). Then 18 for the projects'
# summary rows: 3 for their open flags (in the sync: those with no summary yet, then a read and
# an upsert for those whose flags changed) and 15 for the rest (``summaries_refresh``: the
# progress by cluster, each table read by ids; the check's time in one update and the rows
# whose values changed in one upsert; the schedules' tallies and the progress rows, each read,
# then replaced for the projects whose rows changed).
CHECK_QUERIES = 39 + 18
# Without these five the demo keeps fewer than four countries with both types.
EMPLOYERS = ["ZILEMED", "LVTDA", "SESUPE", "POHJATAHT", "NORDLYS"]


def _open_fingerprints(project) -> set[str]:
    """The open eligibility and amendment flags (the work record's overdue flags are tested in
    test_record_checks.py, the instalments' in test_instalment_checks.py)."""
    return set(
        Flag.objects.filter(project=project, resolved_at__isnull=True)
        .exclude(kind__in=(*OVERDUE_KINDS, *INSTALMENT_KINDS))
        .values_list("fingerprint", flat=True)
    )


def _demo(number="101143210") -> Project:
    content = DEMO.read_bytes().replace(b'"101143210"', f'"{number}"'.encode())
    # Organisations are shared between copies of the demo: the import reuses them.
    return grant_file_import(content=content)


@time_machine.travel(TODAY, tick=False)
def test_importing_a_grant_that_breaks_the_rules_flags_it_at_once(
    spec_example_bytes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        project = grant_file_import(content=spec_example_bytes)

    assert _open_fingerprints(project) == {
        "eligibility_breach:min_full_partners",
        "eligibility_breach:min_eligible_countries",
        "eligibility_breach:type_rule",
        "eligibility_review:countries_without_both_types",
        "eligibility_review:secondary_vet_provider",
    }
    flag = Flag.objects.get(project=project, fingerprint="eligibility_breach:min_full_partners")
    assert flag.severity == "critical"
    assert flag.message("en").startswith("2 full partners established in EU Member States")
    assert flag.explanation["details"]["found"] == 2
    assert flag.message("lv")
    assert flag.message("lv") != flag.message("en")
    # Stored as the rule's message id and parameters, rendered only when shown.
    assert flag.explanation["message"].startswith("%(found)s full partners")
    assert flag.explanation["params"]["found"] == 2
    assert not {"en", "lv"} & set(flag.explanation)


def test_a_compliant_consortium_raises_only_what_needs_review():
    project = _demo()

    check_projects([project.pk], now=TODAY)

    # LINDENAU left holding shares of work packages not yet paid: reallocating them is due.
    assert _open_fingerprints(project) == {
        "eligibility_review:countries_without_both_types",
        f"unallocated_shares:{project.pk}",
    }


def test_a_check_run_twice_leaves_the_same_flags(spec_example_bytes):
    project = grant_file_import(content=spec_example_bytes)
    check_projects([project.pk], now=TODAY)
    fields = ("id", "fingerprint", "severity", "explanation", "resolved_at", "last_seen_at")
    first = list(Flag.objects.order_by("id").values(*fields))

    later = TODAY + datetime.timedelta(hours=1)
    result = check_projects([project.pk], now=later)

    # Found again as they were: the flags are not written at all. last_seen_at says when a
    # finding was last raised or changed; the project's summary when it was last checked.
    assert list(Flag.objects.order_by("id").values(*fields)) == first
    assert set(Flag.objects.values_list("last_seen_at", flat=True)) == {TODAY}
    assert (result.raised, result.resolved) == ((), ())
    assert len(result.refreshed) == len(first) > 0


def test_a_flag_resolves_itself_when_the_breach_goes_away():
    project = _demo()
    departed = project.participations.filter(short_name__in=EMPLOYERS)
    departed.update(left_on=datetime.date(2026, 1, 31))
    check_projects([project.pk], now=TODAY)
    assert "eligibility_breach:type_rule" in _open_fingerprints(project)

    project.participations.filter(short_name__in=EMPLOYERS).update(left_on=None)
    check_projects([project.pk], now=TODAY + datetime.timedelta(minutes=5))

    assert not any(f.startswith("eligibility_breach") for f in _open_fingerprints(project))
    resolved = Flag.objects.get(project=project, fingerprint="eligibility_breach:type_rule")
    assert resolved.resolution == "auto"
    assert resolved.resolved_at == TODAY + datetime.timedelta(minutes=5)


def test_a_recorded_departure_within_90_days_is_flagged_as_a_coming_breach():
    project = _demo()
    project.participations.filter(short_name__in=EMPLOYERS).update(
        left_on=datetime.date(2027, 1, 15)
    )

    check_projects([project.pk], now=TODAY)

    flag = Flag.objects.get(project=project, kind="breach_scheduled", resolved_at__isnull=True)
    assert flag.severity == "high"
    assert flag.explanation["details"]["date"] == "2027-01-16"
    assert "type_rule" in flag.explanation["details"]["rules"]
    assert flag.message("en").startswith(
        "Changes already recorded break the composition on 2027-01-16:"
    )
    assert not Flag.objects.filter(project=project, kind="eligibility_breach").exists()


def test_a_departure_beyond_the_horizon_is_not_flagged_yet():
    project = _demo()
    project.participations.filter(short_name__in=EMPLOYERS).update(
        left_on=datetime.date(2027, 6, 30)
    )

    check_projects([project.pk], now=TODAY)

    assert not Flag.objects.filter(project=project, kind="breach_scheduled").exists()


@pytest.mark.parametrize("batch", [3, 12])
def test_a_batch_takes_the_same_queries_whatever_its_size(batch, django_assert_max_num_queries):
    projects = [
        grant_file_import(
            content=dump(variant(lambda data, n=n: data.update(grant_agreement_number=f"7{n:08d}")))
        )
        for n in range(batch)
    ]
    check_projects([p.pk for p in projects], now=TODAY)
    # Some consortia change, so that the next check raises, refreshes and resolves at once.
    Participation.objects.filter(project__in=projects[::2], short_name="ACME").update(
        left_on=datetime.date(2022, 7, 1)
    )

    with django_assert_max_num_queries(CHECK_QUERIES):
        check_projects([p.pk for p in projects], now=TODAY + datetime.timedelta(hours=1))

    assert Flag.objects.filter(resolved_at__isnull=True).count() >= batch * 4


@time_machine.travel(TODAY, tick=False)
def test_the_sweep_checks_every_active_project_and_skips_ended_ones(settings):
    settings.GRANTWATCH_SWEEP_BATCH_SIZE = 2
    running = [_demo(number) for number in ("101143210", "101143211", "101143212")]
    ended = grant_file_import(content=dump(variant(lambda data: None)))  # ended 2026-06-14

    outcome = sweep_task.delay().get()

    assert (outcome["projects"], outcome["batches"]) == (3, 2)
    for project in running:
        # LINDENAU left holding shares of work packages not yet paid.
        assert _open_fingerprints(project) == {
            "eligibility_review:countries_without_both_types",
            f"unallocated_shares:{project.pk}",
        }
    assert _open_fingerprints(ended) == set()


def test_an_ended_project_is_swept_until_its_final_report_is_overdue():
    """SECOVE ended on 2026-06-14; its final report was due 60 days later, on 2026-08-13."""
    ended = grant_file_import(content=dump(variant(lambda data: None)))

    with time_machine.travel(datetime.datetime(2026, 8, 14, 9, 0, tzinfo=BRUSSELS), tick=False):
        on_the_day_after = sweep_task.delay().get()
    with time_machine.travel(datetime.datetime(2026, 8, 15, 9, 0, tzinfo=BRUSSELS), tick=False):
        a_day_later = sweep_task.delay().get()

    assert (on_the_day_after["projects"], a_day_later["projects"]) == (1, 0)
    assert Flag.objects.filter(
        project=ended, fingerprint="report_overdue:2", resolved_at__isnull=True
    ).exists()


@time_machine.travel(TODAY, tick=False)
def test_the_sweep_twice_leaves_the_same_flags():
    _demo()
    sweep_task.delay().get()
    first = list(Flag.objects.order_by("id").values_list("id", "fingerprint", "resolved_at"))

    sweep_task.delay().get()

    assert (
        list(Flag.objects.order_by("id").values_list("id", "fingerprint", "resolved_at")) == first
    )


# While the demo runs (M33): before its start (2024-03-01) no partner takes part yet, so the
# check finds the consortium empty rather than a country without both types.
@time_machine.travel(TODAY, tick=False)
def test_an_organisation_edited_in_the_admin_rechecks_its_projects(
    client, django_capture_on_commit_callbacks
):
    project = _demo()
    check_projects([project.pk], now=timezone.now())
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    norwegian = project.participations.get(short_name="NORDLYS").organisation

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/grants/organisation/{norwegian.pk}/change/",
            {
                "pic": norwegian.pic,
                "legal_name": norwegian.legal_name,
                "short_name": norwegian.short_name,
                "country": "UA",
                "type_entries-TOTAL_FORMS": "0",
                "type_entries-INITIAL_FORMS": "0",
                "restrictions-TOTAL_FORMS": "0",
                "restrictions-INITIAL_FORMS": "0",
            },
        )

    assert response.status_code == 302
    flag = Flag.objects.get(
        project=project,
        fingerprint="eligibility_review:countries_without_both_types",
        resolved_at__isnull=True,
    )
    assert "NO" in flag.message("en")


def test_an_amendment_left_without_a_decision_for_45_days_is_flagged(officer):
    """Scenario 20: silence is rejection, and the request is flagged."""
    from backend.accounts.models import ProjectRole
    from backend.amendments.services import amendment_create, amendment_submit
    from backend.amendments.validation import ChangeInput

    project = _demo()
    manager = UserFactory(username="pm")
    ProjectRole.objects.create(
        user=manager,
        project=project,
        role="manager",
        participation=project.participations.get(role="coordinator"),
    )
    submitted_at = datetime.datetime(2026, 9, 1, 10, 0, tzinfo=datetime.UTC)
    with time_machine.travel(submitted_at, tick=False):
        request = amendment_create(
            project=project,
            user=manager,
            justification="The Estonian company is closing down.",
            changes=[
                ChangeInput(
                    kind="terminate_participation",
                    participant="POHJATAHT",
                    effective_on=datetime.date(2026, 12, 31),
                )
            ],
        )
        amendment_submit(request=request, user=manager)

    check_projects([project.pk], now=datetime.datetime(2026, 10, 16, 12, 0, tzinfo=datetime.UTC))
    assert not Flag.objects.filter(kind="amendment_decision_overdue").exists()  # day 45

    check_projects([project.pk], now=datetime.datetime(2026, 10, 17, 12, 0, tzinfo=datetime.UTC))

    flag = Flag.objects.get(kind="amendment_decision_overdue", resolved_at__isnull=True)
    assert flag.fingerprint == f"amendment_decision_overdue:{request.pk}"
    assert flag.message("en") == (
        "The amendment request submitted on 2026-09-01 has had no decision by 2026-10-16: it "
        "counts as rejected. Launch it again, or ask the project officer."
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_sweeps_at_once_leave_the_flags_one_sweep_leaves(spec_example_bytes):
    import threading

    from django.db import connection

    projects = [_demo(f"1011432{n:02d}") for n in range(3)] + [
        grant_file_import(
            content=dump(variant(lambda data, n=n: data.update(grant_agreement_number=f"8{n:08d}")))
        )
        for n in range(3)
    ]
    ids = [project.pk for project in projects]
    Flag.objects.all().delete()  # the imports' own checks ran; start from nothing
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def sweep_batch():
        try:
            barrier.wait(timeout=30)
            check_projects(ids, now=TODAY)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep_batch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    together = {
        (f.project_id, f.fingerprint) for f in Flag.objects.filter(resolved_at__isnull=True)
    }

    Flag.objects.all().delete()
    check_projects(ids, now=TODAY)
    alone = {(f.project_id, f.fingerprint) for f in Flag.objects.filter(resolved_at__isnull=True)}

    assert errors == []
    assert together == alone
    assert len(alone) > len(ids)
