"""``celery`` as if today were $GRANTWATCH_TEST_TODAY, for the workers tests start
(tests/workers.py ``running_worker``) while the suite runs at a fixed day:

    GRANTWATCH_TEST_TODAY=2027-02-28 python -m tests.worker_at_day --app backend.config worker ...

takes the same arguments as ``celery``. It starts the same time travel as the test process (that
day at 10:00 in Brussels, the clock ticking) before the worker starts, so that
django.utils.timezone.now(), datetime.date.today() and brussels_today() see that day. When the
test process passes its clock's offset from the real one (GRANTWATCH_TEST_CLOCK_OFFSET, set by
``running_worker``), the worker reads the very same clock as the test that started it instead
(the fixed day some minutes into the run, or the moment a test travelled to itself).
"""

import os
import sys
import time

import time_machine

from tests.workers import CLOCK_OFFSET_VARIABLE, TODAY_VARIABLE, fixed_today, travel_to_day


def main() -> None:
    try:
        day = fixed_today()
    except ValueError as error:
        sys.exit(str(error))
    if day is None:
        sys.exit(f"{TODAY_VARIABLE} is not set: tests.worker_at_day runs celery at a fixed day")
    offset = os.environ.get(CLOCK_OFFSET_VARIABLE)
    if offset:
        # Not travelling yet: time.time() is the real clock here.
        travel = time_machine.travel(time.time() + float(offset), tick=True)
    else:
        travel = travel_to_day(day)
    travel.start()
    # The worker's own arguments, as if `celery` had been called with them.
    sys.argv = ["celery", *sys.argv[1:]]
    from celery.__main__ import main as celery_main

    celery_main()


if __name__ == "__main__":
    main()
