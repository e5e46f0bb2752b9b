"""The partial-completion option, a setting of the call (not confirmed for CoVE grants by the
programme guide): where the project's call pays partial completion, a
work package declared NOT completed in the FINAL reporting period may carry the percentage done,
which the balance pays. Everywhere else a completion percentage is refused with 400 at
``completion_percent`` saying why, and nothing is written."""

from decimal import Decimal

import pytest

from backend.audit.models import Event
from backend.common.errors import InvalidInput
from backend.grants.models import Call
from backend.reporting import services
from backend.reporting.models import WorkPackageDeclaration
from backend.reporting.rules import completion_percent_error
from tests.helpers import row_counts
from tests.reporting.helpers import period, url, work_package

OFF = (
    "The call of this project does not pay partial completion: a work package that is not "
    "completed is not paid, and no completion percentage can be declared."
)
NOT_FINAL = (
    "A completion percentage can be declared only in the final reporting period (RP3), not in "
    "RP{number}."
)
COMPLETED = (
    "A completed work package is paid in full; a completion percentage is declared only for a "
    "work package that is not completed."
)
RANGE = "Give a completion percentage above 0 and below 100."
DECIMALS = "Give the completion percentage with at most 2 decimals."


def _pays_partial(project, on: bool = True) -> None:
    Call.objects.filter(pk=project.call_id).update(pays_partial_completion=on)


def _declare(api_client, project, number, body, rp=3):
    return api_client.put(url(project, f"{rp}/work-packages/{number}"), body, format="json")


def _refused(response, message):
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == [{"path": "completion_percent", "message": message}]


# -- allowed ---------------------------------------------------------------------------------------


def test_final_period_with_the_option_on_declares_the_percentage_done(
    api_client, grant, grant_users
):
    _pays_partial(grant)
    api_client.force_authenticate(grant_users["manager"])

    response = _declare(api_client, grant, 4, {"completed": False, "completion_percent": "62.50"})

    assert response.status_code == 200, response.content
    assert response.json()["completion_percent"] == "62.50"
    assert response.json()["completed"] is False
    declaration = WorkPackageDeclaration.objects.get()
    assert (declaration.reporting_period.number, declaration.completion_percent) == (
        3,
        Decimal("62.50"),
    )
    event = Event.objects.get(verb="work_package.declared")
    assert event.before is None
    assert event.after["completion_percent"] == "62.50"


def test_a_json_number_and_two_decimals_are_taken(api_client, grant, grant_users):
    _pays_partial(grant)
    api_client.force_authenticate(grant_users["manager"])

    response = _declare(api_client, grant, 4, {"completed": False, "completion_percent": 33.33})

    assert response.status_code == 200, response.content
    assert WorkPackageDeclaration.objects.get().completion_percent == Decimal("33.33")


def test_the_report_shows_the_declared_percentage(api_client, grant, grant_users):
    _pays_partial(grant)
    services.declaration_save(
        period=period(grant, 3),
        work_package=work_package(grant, 4),
        user=grant_users["manager"],
        completed=False,
        completion_percent=Decimal("80"),
    )
    api_client.force_authenticate(grant_users["officer"])

    response = api_client.get(url(grant, "3"))

    assert response.status_code == 200
    wp4 = next(wp for wp in response.json()["work_packages"] if wp["number"] == 4)
    assert wp4["declaration"]["completion_percent"] == "80.00"
    wp5 = next(wp for wp in response.json()["work_packages"] if wp["number"] == 5)
    assert wp5["declaration"] is None


def test_declaring_again_without_a_percentage_clears_it(api_client, grant, grant_users):
    _pays_partial(grant)
    api_client.force_authenticate(grant_users["manager"])
    assert _declare(
        api_client, grant, 4, {"completed": False, "completion_percent": "50"}
    ).status_code == (200)

    response = _declare(api_client, grant, 4, {"completed": False})

    assert response.status_code == 200
    assert response.json()["completion_percent"] is None
    assert WorkPackageDeclaration.objects.get().completion_percent is None
    event = Event.objects.filter(verb="work_package.declared").latest("id")
    assert (event.before["completion_percent"], event.after["completion_percent"]) == (
        "50.00",
        None,
    )


def test_without_a_percentage_the_option_off_changes_nothing(api_client, grant, grant_users):
    api_client.force_authenticate(grant_users["manager"])

    response = _declare(api_client, grant, 4, {"completed": False, "completion_percent": None})

    assert response.status_code == 200
    assert response.json()["completion_percent"] is None


# -- refused -------------------------------------------------------------------------------------


def test_refused_when_the_call_does_not_pay_partial_completion(api_client, grant, grant_users):
    api_client.force_authenticate(grant_users["manager"])
    before = row_counts()

    response = _declare(api_client, grant, 4, {"completed": False, "completion_percent": "62.50"})

    _refused(response, OFF)
    assert row_counts() == before


@pytest.mark.parametrize("rp", [1, 2])
def test_refused_outside_the_final_period(api_client, grant, grant_users, rp):
    _pays_partial(grant)
    api_client.force_authenticate(grant_users["manager"])
    before = row_counts()

    response = _declare(
        api_client, grant, 4, {"completed": False, "completion_percent": "62.50"}, rp=rp
    )

    _refused(response, NOT_FINAL.format(number=rp))
    assert row_counts() == before


def test_refused_with_a_work_package_declared_completed(api_client, grant, grant_users):
    _pays_partial(grant)
    api_client.force_authenticate(grant_users["manager"])
    before = row_counts()

    response = _declare(
        api_client,
        grant,
        4,
        {"completed": True, "completed_on": "2027-12-31", "completion_percent": "62.50"},
    )

    _refused(response, COMPLETED)
    assert row_counts() == before


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", RANGE),
        ("0.00", RANGE),
        ("100", RANGE),
        ("-5", RANGE),
        ("100.5", RANGE),
        ("33.333", DECIMALS),
        ("99.999", DECIMALS),
        ("abc", "A valid number is required."),
    ],
)
def test_refused_percentages(api_client, grant, grant_users, value, message):
    _pays_partial(grant)
    api_client.force_authenticate(grant_users["manager"])
    before = row_counts()

    response = _declare(api_client, grant, 4, {"completed": False, "completion_percent": value})

    _refused(response, message)
    assert row_counts() == before


def test_a_partner_contact_may_not_declare_a_percentage(api_client, grant, grant_users):
    _pays_partial(grant)
    api_client.force_authenticate(grant_users["partner_contact"])
    before = row_counts()

    response = _declare(api_client, grant, 4, {"completed": False, "completion_percent": "62.50"})

    assert (response.status_code, response.json()) == (
        403,
        {
            "detail": "Only the project's managers and administrators compose and submit its "
            "periodic reports."
        },
    )
    assert row_counts() == before


def test_the_service_refuses_the_same_way(grant, grant_users):
    before = row_counts()

    with pytest.raises(InvalidInput) as refused:
        services.declaration_save(
            period=period(grant, 3),
            work_package=work_package(grant, 4),
            user=grant_users["manager"],
            completed=False,
            completion_percent=Decimal("62.50"),
        )

    assert [(e.path, e.message) for e in refused.value.errors] == [("completion_percent", OFF)]
    assert row_counts() == before


# -- the rule on its own -------------------------------------------------------------------------


def test_the_rule_checks_the_option_first_then_the_period_then_completed():
    def error(percent, *, completed=False, pays=True, period=3):
        return completion_percent_error(
            percent,
            completed=completed,
            pays_partial_completion=pays,
            final_period=3,
            period=period,
        )

    assert error(None, pays=False, period=1, completed=True) is None
    assert error(Decimal("62.5")) is None
    assert error(Decimal("0.01")) is None
    assert error(Decimal("99.99")) is None
    assert error(Decimal("62.5"), pays=False, period=1, completed=True) == OFF
    assert error(Decimal("62.5"), period=1, completed=True) == NOT_FINAL.format(number=1)
    assert error(Decimal("62.5"), completed=True) == COMPLETED
    assert error(Decimal("NaN")) == "Give the completion percentage as a number."
    assert error(62.5) == "Give the completion percentage as a number."
    assert error(Decimal("100.00")) == RANGE
    assert error(Decimal("0.001")) == DECIMALS


def test_the_frozen_content_keeps_the_declared_percentage(api_client, grant, grant_users):
    """What a submission freezes carries the percentage (the balance pays it)."""
    from backend.reporting.models import PeriodicReport
    from backend.reporting.selectors import report_content

    _pays_partial(grant)
    api_client.force_authenticate(grant_users["manager"])
    _declare(api_client, grant, 4, {"completed": False, "completion_percent": "62.50"})
    final = period(grant, 3)

    content = report_content(
        period=final, report=PeriodicReport.objects.get(reporting_period=final)
    )

    declared = {d["work_package"]: d for d in content["declarations"]}
    assert (declared[4]["completed"], declared[4]["completion_percent"]) == (False, "62.50")
