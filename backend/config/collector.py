"""The garbage collector of a worker process (Celery's or gunicorn's), set once it has loaded
what it needs."""

import gc


def collector_for_worker() -> None:
    """Collect what loading left behind, leave everything still alive out of the collector's
    scans (``gc.freeze``), and scan the youngest objects every
    settings.GRANTWATCH_WORKER_GC_THRESHOLD allocations instead of Python's 700 (the older
    generations keep Python's pace). A sweep batch allocates hundreds of thousands of
    short-lived rows and facts, a page tens of thousands: with the defaults the collector
    walked what the process had loaded again and again for them."""
    from django.conf import settings

    gc.collect()
    gc.freeze()
    _gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(settings.GRANTWATCH_WORKER_GC_THRESHOLD, gen1, gen2)
