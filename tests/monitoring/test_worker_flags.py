"""With a real Celery worker on Redis and PostgreSQL: terminating a partner through the API
raises the breach flag within 10 seconds; approving an amendment that adds a replacement
resolves it."""

import datetime
from pathlib import Path

import pytest
import time_machine
from rest_framework.test import APIClient

from backend.accounts.models import ProjectRole
from backend.amendments.services import amendment_approve, amendment_create, amendment_submit
from backend.amendments.validation import ChangeInput
from backend.common.dates import brussels_today
from backend.config.celery import app as celery_app
from backend.grantfile.services import grant_file_import
from monitoring.models import Flag
from tests.conftest import redis_url
from tests.factories import UserFactory
from tests.workers import BRUSSELS, TODAY_VARIABLE, database_url, running_worker, wait_for

pytestmark = [
    pytest.mark.worker,
    pytest.mark.redis,
    pytest.mark.postgres,
    # The worker reads what the test commits; the reference data the migrations loaded is
    # put back for the tests after this one.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DEMO = Path(__file__).resolve().parents[2] / "backend" / "demo" / "data" / "cove-demo.yaml"
# After these five leave, the demo has exactly 8 countable full partners; one more is a breach.
FIRST_LEAVERS = ["LVTDA", "PUAS", "HOIVA", "ZSTW", "FJORDVIK"]
LAST_LEAVER = "NORDLYS"
BREACH = "eligibility_breach:min_full_partners"
DEADLINE_SECONDS = 10
# The test and its worker run on this day (the clock ticking): after LINDENAU left the demo on
# 2025-06-30 (13 countable full partners, 8 once the first five leave) and well inside the
# project (2024-03-01 to 2028-02-29), where terminations effective yesterday and a partner who
# joins today are allowed.
TODAY = datetime.date(2026, 6, 15)


def _open(project) -> bool:
    return Flag.objects.filter(
        project=project, fingerprint=BREACH, resolved_at__isnull=True
    ).exists()


@pytest.fixture
def worker(tmp_path, monkeypatch):
    """A worker on Redis reading the test database, consuming the queue the code under test
    sends its tasks to (emptied first)."""
    url = redis_url()
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    monkeypatch.setenv("CELERY_RESULT_BACKEND", url)
    celery_app.close()  # no connection left over from before the broker was set
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    environment = {
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": url,
        "CELERY_RESULT_BACKEND": url,
        "GRANTWATCH_VAR_DIR": str(tmp_path / "var"),
    }
    queue = celery_app.conf.task_default_queue
    # The worker reads the same clock as the test: running_worker starts it at the fixed day.
    environment[TODAY_VARIABLE] = TODAY.isoformat()
    try:
        with (
            time_machine.travel(datetime.datetime.combine(TODAY, datetime.time(10), BRUSSELS)),
            running_worker(environment, tmp_path / "worker.log", queue=queue) as running,
        ):
            yield running
    finally:
        celery_app.close()
        print((tmp_path / "worker.log").read_text(errors="replace")[-5000:])


def test_a_termination_raises_the_breach_flag_and_a_replacement_resolves_it(worker):
    project = grant_file_import(content=DEMO.read_bytes())
    today = brussels_today()
    assert today == TODAY
    yesterday = today - datetime.timedelta(days=1)
    manager = UserFactory(username="pm")
    officer = UserFactory(username="po", is_agency_officer=True)
    ProjectRole.objects.create(
        user=manager,
        project=project,
        role="manager",
        participation=project.participations.get(role="coordinator"),
    )
    ProjectRole.objects.create(user=officer, project=project, role="officer")
    # Down to the minimum of 8, with no breach yet.
    setup = amendment_create(
        project=project,
        user=manager,
        justification="Five partners leave the consortium.",
        changes=[
            ChangeInput(kind="terminate_participation", participant=key, effective_on=yesterday)
            for key in FIRST_LEAVERS
        ],
    )
    amendment_submit(request=setup, user=manager)
    amendment_approve(request=setup, user=officer, note="Accepted.")
    manager_api, officer_api = APIClient(), APIClient()
    manager_api.force_authenticate(manager)
    officer_api.force_authenticate(officer)
    base = f"/api/v1/projects/{project.pk}/amendments/"

    # One more partner leaves: the consortium falls to 7 full partners.
    created = manager_api.post(
        base,
        {
            "justification": "The Norwegian hospital withdraws.",
            "changes": [
                {
                    "kind": "terminate_participation",
                    "participant": LAST_LEAVER,
                    "effective_on": yesterday,
                }
            ],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    termination = created.json()["id"]
    assert manager_api.post(f"{base}{termination}/submit").status_code == 200
    approved = officer_api.post(
        f"{base}{termination}/approve",
        {"note": "Accepted.", "override_justification": "A replacement is being recruited."},
        format="json",
    )
    assert approved.status_code == 200, approved.content

    raised_after = wait_for(lambda: _open(project), DEADLINE_SECONDS)

    assert raised_after is not None, f"no breach flag {DEADLINE_SECONDS} s after the approval"
    print(f"breach flag raised {raised_after:.2f} s after the approval")

    # A replacement joins today: 8 full partners again.
    created = manager_api.post(
        base,
        {
            "justification": "A Latvian employer replaces the Norwegian hospital.",
            "changes": [
                {
                    "kind": "add_beneficiary",
                    "effective_on": today.isoformat(),
                    "short_name": "DAUGMED",
                    "pic": "992199001",
                    "legal_name": "SIA Daugavas Medicīnas Iekārtas",
                    "country": "LV",
                    "types": ["enterprise"],
                }
            ],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    replacement = created.json()["id"]
    assert manager_api.post(f"{base}{replacement}/submit").status_code == 200
    approved = officer_api.post(f"{base}{replacement}/approve", {"note": "Welcome."}, format="json")
    assert approved.status_code == 200, approved.content
    # It counts once it accedes to the grant agreement: pending until then.
    newcomer = project.participations.get(short_name="DAUGMED")
    assert newcomer.accession == "pending"
    acceded = officer_api.post(
        f"/api/v1/projects/{project.pk}/participants/{newcomer.pk}/accession",
        {"acceded_on": today.isoformat()},
        format="json",
    )
    assert acceded.status_code == 200, acceded.content

    resolved_after = wait_for(lambda: not _open(project), DEADLINE_SECONDS)

    assert resolved_after is not None, f"the breach flag is still open {DEADLINE_SECONDS} s later"
    print(f"breach flag resolved {resolved_after:.2f} s after the accession")
    flag = Flag.objects.get(project=project, fingerprint=BREACH)
    assert flag.resolution == "auto"
