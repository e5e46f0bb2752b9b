"""Twenty partners' saves of one contribution at the same moment, each in its own transaction on
PostgreSQL and each sending the version they all read: exactly one is saved, the other nineteen
are refused as stale and write nothing."""

import threading

import pytest
from django.db import connection

from backend.audit.models import Event
from backend.common.concurrency import StaleVersion
from backend.reporting import services
from backend.reporting.models import Contribution, ContributionEntry
from tests.reporting.helpers import entry, participation, period

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SAVES = 20


def test_twenty_saves_with_the_same_version_give_one_save_and_nineteen_refusals(grant, grant_users):
    rp1, zilemed = period(grant), participation(grant, "ZILEMED")
    user = grant_users["partner_contact"]
    services.contribution_save(
        period=rp1, participation=zilemed, user=user, entries=[entry(1, "Base")]
    )
    read = Contribution.objects.get().version
    start = threading.Barrier(SAVES)
    saved, refused, other = [], [], []

    def save(number: int):
        try:
            start.wait(timeout=20)
            services.contribution_save(
                period=rp1,
                participation=zilemed,
                user=user,
                entries=[entry(1, f"Save {number}")],
                expected_version=read,
            )
            saved.append(number)
        except StaleVersion as stale:
            refused.append(stale)
        except Exception as error:  # anything else fails the test below
            other.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(number,)) for number in range(SAVES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not any(thread.is_alive() for thread in threads)
    assert other == []
    assert (len(saved), len(refused)) == (1, SAVES - 1)
    assert {stale.current for stale in refused} == {read + 1}
    contribution = Contribution.objects.get()
    assert contribution.version == read + 1
    assert list(ContributionEntry.objects.values_list("activities", flat=True)) == [
        f"Save {saved[0]}"
    ]
    assert Event.objects.filter(verb="contribution.saved").count() == 2  # the base and the one
