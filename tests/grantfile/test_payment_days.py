"""A grant's own payment terms (issue 15, point 8): the grant file's optional
``payment_schedule.payment_days`` sets the agency's deadlines per kind of payment. The import
stores them on the project (a kind left out keeps the call's value: the column stays empty),
the export writes back only the ones the grant sets, the round trip is identical, and a bad
value is an error at its path with nothing written."""

import json

import pytest
import yaml

from backend.grantfile.errors import GrantFileInvalid
from backend.grantfile.export import dump_grant_file, grant_file_data
from backend.grantfile.selectors import projects_with_record
from backend.grantfile.services import grant_file_import
from backend.grantfile.validation import grant_file_schema
from backend.payments.selectors import schedule_state
from tests.grants.helpers import dump, row_counts, spec_example, variant

pytestmark = pytest.mark.django_db

IMPORT_URL = "/api/v1/grants/import"
ALL_DAYS = {"prefinancing": 30, "additional_prefinancing": 60, "interim": 90, "balance": 75}
COLUMNS = {
    "prefinancing": "prefinancing_payment_days",
    "additional_prefinancing": "additional_prefinancing_payment_days",
    "interim": "interim_payment_days",
    "balance": "balance_payment_days",
}


def _with_days(days) -> dict:
    return variant(lambda data: data["payment_schedule"].update(payment_days=days))


def _stored_days(project) -> dict:
    project.refresh_from_db()
    return {kind: getattr(project, column) for kind, column in COLUMNS.items()}


def _export(project_id: int, file_format: str = "yaml") -> str:
    return dump_grant_file(grant_file_data(projects_with_record().get(pk=project_id)), file_format)


def _errors(data) -> list[tuple[str, str]]:
    with pytest.raises(GrantFileInvalid) as refused:
        grant_file_import(content=dump(data))
    return [(error.path, error.message) for error in refused.value.errors]


def test_the_import_stores_every_kind_of_payment_days():
    project = grant_file_import(content=dump(_with_days(ALL_DAYS)))

    assert _stored_days(project) == ALL_DAYS


def test_a_kind_left_out_keeps_the_calls_value():
    project = grant_file_import(content=dump(_with_days({"interim": 45})))

    assert _stored_days(project) == {
        "prefinancing": None,
        "additional_prefinancing": None,
        "interim": 45,
        "balance": None,
    }


def test_a_file_without_payment_days_leaves_every_column_empty():
    project = grant_file_import(content=dump(spec_example()))

    assert set(_stored_days(project).values()) == {None}


def test_the_export_writes_the_grants_own_days_between_the_cap_and_the_periods():
    project = grant_file_import(content=dump(_with_days({"balance": 120, "prefinancing": 20})))

    schedule = yaml.safe_load(_export(project.pk))["payment_schedule"]

    # In the specification's order of the kinds, whatever the file's order.
    assert schedule["payment_days"] == {"prefinancing": 20, "balance": 120}
    assert list(schedule) == [
        "prefinancing_percent",
        "payments_cap_percent",
        "payment_days",
        "reporting_periods",
    ]


def test_the_export_leaves_payment_days_out_when_the_grant_sets_none():
    project = grant_file_import(content=dump(spec_example()))

    assert "payment_days" not in yaml.safe_load(_export(project.pk))["payment_schedule"]
    assert "payment_days" not in json.loads(_export(project.pk, "json"))["payment_schedule"]


@pytest.mark.parametrize("file_format", ["yaml", "json"])
@pytest.mark.parametrize("days", [ALL_DAYS, {"additional_prefinancing": 1}], ids=["all", "one"])
def test_the_round_trip_gives_the_same_file_and_the_same_terms(file_format, days):
    first = grant_file_import(content=dump(_with_days(days)))
    exported = _export(first.pk, file_format)
    first.delete()  # the number is unique: make room for the second import

    second = grant_file_import(content=exported.encode())

    assert _stored_days(second) == {kind: days.get(kind) for kind in COLUMNS}
    assert _export(second.pk, file_format) == exported


@pytest.mark.parametrize(
    ("days", "path", "message"),
    [
        ({"interim": 0}, "payment_schedule.payment_days.interim", "at least 1"),
        ({"balance": -5}, "payment_schedule.payment_days.balance", "at least 1"),
        ({"interim": 40000}, "payment_schedule.payment_days.interim", "at most 3650"),
        ({"interim": "90"}, "payment_schedule.payment_days.interim", "whole number"),
        ({"interim": 90.5}, "payment_schedule.payment_days.interim", "whole number"),
        ({"prefinancing": True}, "payment_schedule.payment_days.prefinancing", "whole number"),
        ({"prefinancing": None}, "payment_schedule.payment_days.prefinancing", "whole number"),
        ({"final": 30}, "payment_schedule.payment_days.final", "Unknown key."),
        (90, "payment_schedule.payment_days", "mapping of keys to values"),
    ],
)
def test_a_bad_value_is_an_error_naming_its_key_and_nothing_is_written(days, path, message):
    before = row_counts()

    errors = _errors(_with_days(days))

    assert [error_path for error_path, _message in errors] == [path]
    assert message in errors[0][1]
    assert row_counts() == before


def test_every_bad_kind_is_reported_at_once():
    errors = _errors(_with_days({"interim": 0, "balance": "x", "other": 1, "prefinancing": 10}))

    assert sorted(path for path, _message in errors) == [
        "payment_schedule.payment_days.balance",
        "payment_schedule.payment_days.interim",
        "payment_schedule.payment_days.other",
    ]


def test_an_api_import_with_a_bad_value_is_a_400_naming_the_key(api_client, officer):
    api_client.force_authenticate(officer)
    before = row_counts()

    response = api_client.post(
        IMPORT_URL, json.dumps(_with_days({"interim": 0})), content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "The grant file was not imported."
    assert [error["path"] for error in response.json()["errors"]] == [
        "payment_schedule.payment_days.interim"
    ]
    assert row_counts() == before


def test_the_json_schema_describes_payment_days():
    schedule = grant_file_schema()["properties"]["payment_schedule"]

    days = schedule["properties"]["payment_days"]
    assert days["additionalProperties"] is False
    assert set(days["properties"]) == set(COLUMNS)
    assert "payment_days" not in schedule["required"]
    assert grant_file_schema()["$defs"]["days"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 3650,
    }


def test_the_payment_schedule_reads_the_grants_own_terms_and_the_calls_for_the_rest():
    """The spec example: RP1 interim, RP2 the balance. The file sets the interim days and the
    pre-financing days; the balance keeps the call's."""
    project = grant_file_import(content=dump(_with_days({"prefinancing": 20, "interim": 45})))
    call = project.call

    days = {item.key: item.payment_days for item in schedule_state(project).instalments}

    assert days == {"prefinancing": 20, "rp1": 45, "rp2": call.payment_days}
