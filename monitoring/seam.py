"""The one way the grant record tells the watchers it changed.

Services call ``projects_changed`` inside their transaction; the check is queued only once the
transaction commits, so a worker never looks at a change that was rolled back or is not yet
visible."""

from collections.abc import Iterable

from django.db import transaction


def projects_changed(project_ids: Iterable[int], *, reason: str) -> None:
    ids = sorted({int(project_id) for project_id in project_ids})
    if not ids:
        return

    def queue() -> None:
        from monitoring.tasks import check_projects_task

        check_projects_task.delay(ids, reason=reason)

    transaction.on_commit(queue)


def all_projects_changed(*, reason: str) -> None:
    """Reference data that many projects read changed (a country's status): sweep them all."""

    def queue() -> None:
        from monitoring.tasks import sweep_task

        sweep_task.delay()

    transaction.on_commit(queue)
