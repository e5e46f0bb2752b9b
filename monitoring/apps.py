from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self) -> None:
        # The record tells the watchers about its changes through the seam; plug the outbox in
        # (it also registers beat's relay task).
        from backend.common.seam import Watchers, watchers_connect
        from monitoring.outbox import outbox_record, outbox_record_everything, outbox_relay_now

        watchers_connect(
            Watchers(
                projects=outbox_record,
                everything=outbox_record_everything,
                relay=outbox_relay_now,
            )
        )
