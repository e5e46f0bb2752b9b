"""Officers at the same moment, each in a real transaction on PostgreSQL: one instalment is
approved once (of twenty approvals at once) and paid once, whatever the timing."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from backend.common.errors import Conflict
from backend.payments.models import Instalment, Payment, PaymentSuspension
from backend.payments.services import instalment_approve, payment_record, payment_suspend
from tests.payments.test_services import NOW, TODAY, travel

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def at_once(step, count: int = 2) -> tuple[list, list]:
    """Run ``step`` in ``count`` threads released together; their results and errors."""
    start = threading.Barrier(count)
    results, errors = [], []

    def worker():
        try:
            start.wait(timeout=10)
            results.append(step())
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    with travel():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results, errors


def test_twenty_approvals_at_once_approve_the_instalment_once(demo, users):
    results, errors = at_once(
        lambda: instalment_approve(
            project=demo, key="prefinancing", user=users["officer"], today=TODAY
        ),
        count=20,
    )
    assert len(results) == 1
    assert [type(error) for error in errors] == [Conflict] * 19
    assert {error.message for error in errors} == {
        "Pre-financing was already approved on 2026-11-27; it cannot be approved again."
    }
    assert Instalment.objects.filter(project=demo, key="prefinancing").count() == 1
    assert Instalment.objects.get().approved_at == NOW


def test_two_payments_at_once_pay_the_instalment_once(demo, users):
    with travel():
        instalment_approve(project=demo, key="prefinancing", user=users["officer"], today=TODAY)

    references = iter(["EACEA/2026/0001", "EACEA/2026/0002"])
    lock = threading.Lock()

    def pay():
        with lock:
            reference = next(references)
        return payment_record(
            project=demo,
            key="prefinancing",
            user=users["payer"],
            amount=Decimal("1599500.00"),
            paid_on=TODAY,
            reference=reference,
            today=TODAY,
        )

    results, errors = at_once(pay)
    assert len(results) == 1
    assert [type(error) for error in errors] == [Conflict]
    assert errors[0].message.startswith("Pre-financing was already paid on 2026-11-27")
    assert Payment.objects.count() == 1
    assert Payment.objects.get().reference == results[0].reference


def test_two_suspensions_at_once_suspend_the_payment_once(demo, users):
    results, errors = at_once(
        lambda: payment_suspend(
            project=demo,
            key="rp1",
            user=users["officer"],
            reason="Breach.",
            suspended_on=TODAY,
            today=TODAY,
        )
    )
    assert len(results) == 1
    assert [type(error) for error in errors] == [Conflict]
    assert errors[0].message == (
        "The payment of RP1 is already suspended since 2026-11-27; lift that suspension before "
        "suspending it again."
    )
    assert PaymentSuspension.objects.filter(project=demo, key="rp1").count() == 1
