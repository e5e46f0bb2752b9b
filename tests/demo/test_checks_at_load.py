"""The demo's flags are there when the first page opens: loading the demo checks what it wrote
with the watchers' own code, and queues no check for a worker to catch up on."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from backend.common.dates import BRUSSELS
from backend.demo.loading import demo_load
from backend.grants.models import Project
from monitoring.checks import check_projects
from monitoring.everything import portfolio_version_renew
from monitoring.models import Flag

pytestmark = pytest.mark.django_db


def test_loading_the_demo_leaves_every_project_checked_and_nothing_queued(
    settings, django_capture_on_commit_callbacks
):
    settings.DEBUG = True
    loaded = datetime.datetime(2027, 4, 30, 9, 0, tzinfo=BRUSSELS)
    with (
        time_machine.travel(loaded, tick=False),
        django_capture_on_commit_callbacks(execute=False) as queued,
    ):
        result = demo_load()

    # No check task waits for a worker: once committed, the load only starts a new version of
    # the administrator's portfolio figures (its checks wrote the summaries).
    assert queued
    assert set(queued) == {portfolio_version_renew}
    projects = set(Project.objects.values_list("pk", flat=True))
    assert result.projects_checked == len(projects) > 1
    flagged = set(Flag.objects.filter(resolved_at__isnull=True).values_list("project", flat=True))
    assert result.project.pk in flagged
    # What the worker would find now is what the load found: nothing to raise or resolve.
    with time_machine.travel(loaded, tick=False):
        again = check_projects(sorted(projects), now=timezone.now())
    assert (again.raised, again.resolved) == ((), ())
    assert len(again.refreshed) == Flag.objects.filter(resolved_at__isnull=True).count()
