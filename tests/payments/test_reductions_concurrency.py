"""Officers deciding one reduction at the same moment, each in a real transaction on
PostgreSQL: it is decided once, and the other decision is refused saying it was taken."""

from decimal import Decimal

import pytest

from backend.audit.models import Event
from backend.common.errors import Conflict
from backend.payments.models import Reduction
from backend.payments.reductions import (
    reduction_confirm,
    reduction_create,
    reduction_letter_sent,
    reduction_observations,
    reduction_withdraw,
)
from tests.payments.test_concurrency import at_once
from tests.payments.test_services import TODAY, travel

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_confirmation_and_a_withdrawal_at_once_decide_the_reduction_once(demo, users):
    with travel():
        reduction = reduction_create(
            project=demo, user=users["officer"], percent=Decimal(5), reason="Breach."
        )
        reduction = reduction_letter_sent(
            reduction=reduction, user=users["officer"], sent_on=TODAY, today=TODAY
        )
        reduction = reduction_observations(
            reduction=reduction,
            user=users["officer"],
            received_on=TODAY,
            observations="No.",
            today=TODAY,
        )
    decisions = iter([reduction_confirm, reduction_withdraw])

    def decide():
        service = next(decisions)
        return service(
            reduction=reduction,
            user=users["officer"],
            decided_on=TODAY,
            note=service.__name__,
            today=TODAY,
        )

    results, errors = at_once(decide)
    assert len(results) == 1
    assert [type(error) for error in errors] == [Conflict]
    row = Reduction.objects.get()
    assert (
        errors[0].message
        == f'This reduction is already "{row.get_status_display()}" since 2026-11-27.'
    )
    assert row.status in ("confirmed", "withdrawn")
    assert (
        Event.objects.filter(verb__in=["reduction.confirmed", "reduction.withdrawn"]).count() == 1
    )
