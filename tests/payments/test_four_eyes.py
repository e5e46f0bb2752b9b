"""Four eyes on money: whoever approved an instalment does not record its payment
(``GRANTWATCH_FOUR_EYES_PAYMENTS``, on by default). The refusal is a 403 that says why, and
writes nothing; with the setting off, one officer may do both."""

import pytest
from django.core.exceptions import PermissionDenied

from backend.common.dates import brussels_today
from backend.payments.services import payment_record
from tests import factories
from tests.helpers import row_counts
from tests.payments.test_services import approve_prefinancing, pay

pytestmark = pytest.mark.django_db

REFUSED = (
    "You approved Pre-financing, so another of the project's agency officers records its "
    "payment: two people see every payment."
)


def _approved_by(project, user):
    """The project's pre-financing, approved by ``user`` today."""
    return factories.InstalmentFactory(project=project, approved_by=user)


def _record(project, user, instalment):
    return payment_record(
        project=project,
        key="prefinancing",
        user=user,
        amount=instalment.amount_eur,
        paid_on=brussels_today(),
        reference="EACEA/PF",
    )


def _written() -> dict:
    return row_counts()


@pytest.mark.parametrize("who", ["officer", "admin"])
def test_the_approver_does_not_record_the_payment(grant, grant_users, who):
    user = grant_users[who]
    instalment = _approved_by(grant, user)
    before = _written()

    with pytest.raises(PermissionDenied) as refused:
        _record(grant, user, instalment)

    assert str(refused.value) == REFUSED
    assert _written() == before


def test_another_officer_records_the_payment(grant, grant_users):
    instalment = _approved_by(grant, grant_users["officer"])
    payer = factories.officer_of(grant)

    payment = _record(grant, payer, instalment)

    assert (payment.recorded_by, payment.instalment.approved_by) == (
        payer,
        grant_users["officer"],
    )


def test_with_four_eyes_off_the_approver_records_the_payment(settings, grant, grant_users):
    settings.GRANTWATCH_FOUR_EYES_PAYMENTS = False
    officer = grant_users["officer"]
    instalment = _approved_by(grant, officer)

    payment = _record(grant, officer, instalment)

    assert payment.recorded_by == payment.instalment.approved_by == officer


def _post_payment(api_client, project, user, instalment):
    api_client.force_authenticate(user)
    return api_client.post(
        f"/api/v1/projects/{project.pk}/instalments/prefinancing/payment",
        {
            "amount": str(instalment.amount_eur),
            "paid_on": brussels_today().isoformat(),
            "reference": "EACEA/PF",
        },
        format="json",
    )


def test_the_api_answers_403_saying_why(api_client, grant, grant_users):
    officer = grant_users["officer"]
    instalment = _approved_by(grant, officer)
    before = _written()

    response = _post_payment(api_client, grant, officer, instalment)

    assert response.status_code == 403
    assert response.json() == {"detail": REFUSED}
    assert _written() == before


def test_the_api_tells_the_approver_why_before_it_reads_the_input(api_client, grant, grant_users):
    """Bad input from the approver is not worth correcting: the refusal comes first."""
    officer = grant_users["officer"]
    _approved_by(grant, officer)
    api_client.force_authenticate(officer)
    before = _written()

    response = api_client.post(
        f"/api/v1/projects/{grant.pk}/instalments/prefinancing/payment",
        {"amount": "not money", "paid_on": "someday"},
        format="json",
    )

    assert response.status_code == 403
    assert response.json() == {"detail": REFUSED}
    assert _written() == before


def test_with_four_eyes_off_the_api_records_the_approvers_payment(
    settings, api_client, grant, grant_users
):
    settings.GRANTWATCH_FOUR_EYES_PAYMENTS = False
    officer = grant_users["officer"]
    instalment = _approved_by(grant, officer)

    response = _post_payment(api_client, grant, officer, instalment)

    assert response.status_code == 201, response.content
    assert response.json()["payment"]["recorded_by"] == officer.username


def test_approved_through_the_service_then_paid_by_the_same_officer(demo, users):
    """The whole path on the demo: the officer approves the pre-financing, then cannot record
    its payment; the second officer can."""
    approve_prefinancing(demo, users)
    before = _written()
    with pytest.raises(PermissionDenied) as refused:
        pay(demo, users, payer="officer")
    assert str(refused.value) == REFUSED
    assert _written() == before
    assert pay(demo, users).recorded_by == users["payer"]
