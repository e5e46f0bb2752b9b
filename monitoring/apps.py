from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self) -> None:
        # The record tells the watchers about its changes through the seam; plug the tasks in.
        from backend.common.seam import Watchers, watchers_connect
        from monitoring.tasks import check_projects_task, sweep_task

        watchers_connect(
            Watchers(
                projects=lambda ids, reason: check_projects_task.delay(ids, reason=reason),
                everything=lambda: sweep_task.delay(),
            )
        )
