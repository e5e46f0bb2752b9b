"""The Celery application. Its configuration lives in Django settings under CELERY_*."""

import os

from celery import Celery
from celery.signals import celeryd_after_setup, setup_logging, worker_process_init
from kombu.transport import filesystem

from backend.config.collector import collector_for_worker
from backend.config.embedded import celery_folders_make

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")


class EmbeddedTransport(filesystem.Transport):
    """kombu's filesystem transport (the embedded broker, settings.CELERY_BROKER_TRANSPORT),
    giving the worker's loop back at every poll.

    Without a transport of its own the worker waits for messages in a loop (Celery's
    ``synloop``) that acknowledges the tasks its processes finished only between two waits, and
    each wait lasts two seconds when every process is busy: a freed process sat idle for up to
    two seconds, and the worker ran about one task a second whatever the work. Here a wait
    lasts one poll (``polling_interval``)."""

    def drain_events(self, connection, timeout=None):
        poll = self.polling_interval
        if timeout and poll:
            timeout = min(timeout, poll)
        return super().drain_events(connection, timeout=timeout)


app = Celery("grantwatch")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect(weak=False)
def _make_folders(sender=None, source=None, **kwargs) -> None:
    """The embedded setup's broker and result folders (var/celery/), made once the
    configuration is read: by the worker and beat as they start, by the web process before it
    queues its first task."""
    celery_folders_make(source)


@setup_logging.connect(weak=False, dispatch_uid="grantwatch.setup_logging")
def _use_django_logging(**kwargs) -> None:
    """Worker and beat log as the web process does (settings.LOGGING: JSON lines with the task
    id), instead of Celery's own format: with a receiver here, Celery configures no logging."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


@celeryd_after_setup.connect(weak=False, dispatch_uid="grantwatch.checks_first")
def _checks_first(sender=None, instance=None, **kwargs) -> None:
    """A worker that serves the default queue (the sweep's) serves the checks queue too, and
    asks for it first: a change's check never waits behind the sweep's batches, and a worker
    started with ``--queues`` naming only the default queue still runs the checks."""
    from django.conf import settings

    queues = instance.app.amqp.queues
    consumed = list(queues.consume_from)
    checks, default = settings.GRANTWATCH_CHECKS_QUEUE, settings.CELERY_TASK_DEFAULT_QUEUE
    if default not in consumed:
        return
    queues.select([checks, *(name for name in consumed if name != checks)])


@worker_process_init.connect(weak=False, dispatch_uid="grantwatch.collector")
def _collector_for_batches(**kwargs) -> None:
    """Each worker process leaves what it loaded at start (modules, settings, the apps) out
    of the garbage collector's scans and scans its youngest objects less often: with the
    defaults the collector took about a tenth of a sweep batch's time."""
    collector_for_worker()
