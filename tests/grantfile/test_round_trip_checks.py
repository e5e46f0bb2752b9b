"""The checks of the grant file's optional keys for the record as amended (issue 16, point 5):
an amended duration, the grant's termination, suspensions, accession, participants' dated
history and third parties. Each error names the path of the offending value, every error is
reported at once, and a file with any error writes nothing."""

import datetime
import json

import pytest

from backend.grantfile.errors import GrantFileInvalid
from backend.grantfile.services import grant_file_import
from backend.grants.models import (
    Organisation,
    OrganisationType,
    OrganisationUpdate,
    ParticipationRoleChange,
    ThirdParty,
)
from tests.grants.helpers import dump, row_counts, variant

pytestmark = pytest.mark.django_db

# The specification's example: UNIWA (GR, coordinator), ACME (PT, beneficiary, participants[1]),
# ACME-LAB (PT, affiliated to ACME, participants[2]); from 2022-06-15 for 48 months, the call's
# maximum; signed on 2022-05-20.


def _extended(data, months=54, signed=48):
    data["duration_months"] = months
    if signed is not None:
        data["signed_duration_months"] = signed
    data["payment_schedule"]["reporting_periods"][-1]["end_month"] = months


def _acme(**keys):
    return lambda data: data["participants"][1].update(keys)


def _history(*entries):
    return _acme(history=list(entries))


def _third_party(**keys):
    entry = {
        "pic": "999999010",
        "legal_name": "Lisbon Audit Lda",
        "country": "PT",
        "types": ["enterprise"],
        "kind": "subcontractor",
        "from": "2023-01-01",
    } | keys
    return lambda data: data.update(third_parties=[entry])


def _errors(change) -> list[tuple[str, str]]:
    before = row_counts()
    with pytest.raises(GrantFileInvalid) as refused:
        grant_file_import(content=dump(variant(change)))
    assert row_counts() == before
    return [(error.path, str(error.message)) for error in refused.value.errors]


def _suspensions(*entries):
    return lambda data: data.update(suspensions=list(entries))


REFUSED = [
    pytest.param(
        lambda data: _extended(data, signed=None),
        "duration_months",
        "between 1 and 48 months (the call's maximum)",
        id="a duration above the maximum without the signed one",
    ),
    pytest.param(
        lambda data: _extended(data, signed=54),
        "signed_duration_months",
        "between 1 and 48 months (the call's maximum)",
        id="a signed duration above the maximum",
    ),
    pytest.param(
        lambda data: _extended(data, months=601),
        "duration_months",
        "An amended duration must be between 1 and 600 months.",
        id="an amended duration beyond any extension",
    ),
    pytest.param(
        lambda data: data.update(terminated_on="2022-05-19"),
        "terminated_on",
        "cannot end before it was signed (signed_on 2022-05-20)",
        id="terminated before the signature",
    ),
    pytest.param(
        lambda data: data.update(terminated_on="2026-07-01"),
        "terminated_on",
        "is after the project's end (2026-06-14)",
        id="terminated after the end",
    ),
    pytest.param(
        lambda data: data.update(terminated_on="31.12.2024"),
        "terminated_on",
        "is not a date written as YYYY-MM-DD",
        id="termination not a date",
    ),
    pytest.param(
        _suspensions({"from": "2023-03-01", "until": "2023-03-01"}),
        "suspensions[0].until",
        "after the day its suspension started (2023-03-01)",
        id="a suspension resumed the day it started",
    ),
    pytest.param(
        _suspensions({"from": "2023-03-01", "until": "2023-05-01"}, {"from": "2023-04-01"}),
        "suspensions[1].from",
        "starts before the previous one ended (the project resumed on 2023-05-01)",
        id="overlapping suspensions",
    ),
    pytest.param(
        _suspensions({"from": "2023-03-01"}, {"from": "2023-06-01", "until": "2023-07-01"}),
        "suspensions[0].until",
        "Only the last suspension may still be open",
        id="an open suspension before another",
    ),
    pytest.param(
        _suspensions({"from": "2022-06-01"}),
        "suspensions[0].from",
        "within the project's dates (2022-06-15 to 2026-06-14)",
        id="a suspension before the start",
    ),
    pytest.param(
        _suspensions({"until": "2023-06-01"}),
        "suspensions[0].from",
        "This key is required.",
        id="a suspension without its start",
    ),
    pytest.param(
        _acme(accession="pending"),
        "participants[1].accession_due_on",
        "A pending accession has the day it is due by",
        id="pending without its due date",
    ),
    pytest.param(
        _acme(accession="not_acceded", accession_due_on="2023-01-01", acceded_on="2023-02-01"),
        "participants[1].acceded_on",
        "this one's accession is not_acceded",
        id="an accession date without an accession",
    ),
    pytest.param(
        _acme(accession="acceded"),
        "participants[1].accession",
        '"acceded" is not one of: pending, not_acceded.',
        id="an accession the file does not write",
    ),
    pytest.param(
        _acme(acceded_on="2023-02-30"),
        "participants[1].acceded_on",
        "2023-02-30 is not a valid calendar date.",
        id="an accession date that does not exist",
    ),
    pytest.param(
        _history(
            {"until": "2024-01-01", "country": "ES"}, {"until": "2023-01-01", "types": ["hei"]}
        ),
        "participants[1].history[1].until",
        "in date order: this entry's until (2023-01-01) comes before the previous entry's "
        "(2024-01-01)",
        id="history out of order",
    ),
    pytest.param(
        _history({"until": "2023-01-01", "country": "XX"}),
        "participants[1].history[0].country",
        'Unknown country code "XX"',
        id="history with an unknown country",
    ),
    pytest.param(
        _history({"until": "2023-01-01", "types": ["factory"]}),
        "participants[1].history[0].types[0]",
        '"factory" is not one of: enterprise,',
        id="history with an unknown type",
    ),
    pytest.param(
        _history({"until": "2023-01-01", "role": "affiliated_entity"}),
        "participants[1].history[0].role",
        '"affiliated_entity" is not one of: coordinator, beneficiary, associated_partner.',
        id="history with the role of an affiliated entity",
    ),
    pytest.param(
        lambda data: data["participants"][2].update(
            history=[{"until": "2023-01-01", "role": "beneficiary"}]
        ),
        "participants[2].history[0].role",
        "An affiliated entity's role is not dated",
        id="an affiliated entity's earlier role",
    ),
    pytest.param(
        _history({"until": "2023-01-01", "country": "PT"}),
        "participants[1].history[0].country",
        "The same country holds after 2023-01-01",
        id="history giving the participant's own country",
    ),
    pytest.param(
        _history(
            {"until": "2023-01-01", "types": ["enterprise"]},
            {"until": "2024-01-01", "country": "ES"},
        ),
        "participants[1].history[0].types",
        "The same types holds after 2023-01-01",
        id="history giving the participant's own types, another value between",
    ),
    pytest.param(
        _history(
            {"until": "2023-01-01", "country": "ES"}, {"until": "2024-01-01", "country": "ES"}
        ),
        "participants[1].history[0].country",
        "The same country holds after 2023-01-01",
        id="history giving one country twice in a row",
    ),
    pytest.param(
        _history({"until": "2023-01-01", "role": "beneficiary"}),
        "participants[1].history[0].role",
        "The same role holds after 2023-01-01",
        id="history giving the participant's own role",
    ),
    pytest.param(
        _history({"until": "2023-01-01", "source": "register"}),
        "participants[1].history[0]",
        "A history entry gives at least one earlier value",
        id="a history entry without a value",
    ),
    pytest.param(
        _history(
            {"until": "2023-01-01", "country": "ES"}, {"until": "2023-01-01", "types": ["hei"]}
        ),
        "participants[1].history[1].until",
        "The organisation's data already changes after 2023-01-01 in an earlier entry.",
        id="two changes of the organisation on one day",
    ),
    pytest.param(
        _history({"country": "ES"}),
        "participants[1].history[0].until",
        "This key is required.",
        id="a history entry without its day",
    ),
    pytest.param(
        _history({"until": "2023-01-01", "country": "ES", "region": "north"}),
        "participants[1].history[0].region",
        "Unknown key.",
        id="a history entry with an unknown key",
    ),
    pytest.param(
        _third_party(**{"until": "2022-12-31"}),
        "third_parties[0].until",
        "until (2022-12-31) is before from (2023-01-01).",
        id="a third party leaving before it starts",
    ),
    pytest.param(
        _third_party(country="XX"),
        "third_parties[0].country",
        'Unknown country code "XX"',
        id="a third party in an unknown country",
    ),
    pytest.param(
        _third_party(kind="consultant"),
        "third_parties[0].kind",
        '"consultant" is not one of: subcontractor, financial_support.',
        id="a third party of an unknown kind",
    ),
    pytest.param(
        _third_party(pic="999999002", legal_name="Acme Solar Lda"),
        "third_parties[0].legal_name",
        'participants[1] describes the organisation with PIC 999999002 with legal_name "Acme '
        'Solar SA"; an organisation has one description.',
        id="a participant's organisation described otherwise as a third party",
    ),
    pytest.param(
        _third_party(pic="99999901"),
        "third_parties[0].pic",
        "A PIC is exactly 9 digits",
        id="a third party's PIC",
    ),
]


@pytest.mark.parametrize(("change", "path", "message"), REFUSED)
def test_a_bad_value_is_an_error_at_its_path_and_nothing_is_written(change, path, message):
    errors = _errors(change)

    assert [error_path for error_path, _message in errors] == [path]
    assert message in errors[0][1]


def _rejoined(joined_on="2023-01-01", left_on="2022-12-31", **keys):
    """ACME leaves and takes part again as ACME-2 (a beneficiary added by amendment)."""

    def change(data):
        data["participants"][1]["left_on"] = left_on
        data["participants"].append(
            {
                "short_name": "ACME-2",
                "legal_name": "Acme Solar SA",
                "pic": "999999002",
                "country": "PT",
                "types": ["enterprise"],
                "role": "beneficiary",
                "joined_on": joined_on,
            }
            | keys
        )

    return change


def test_an_organisation_that_left_may_take_part_again_later():
    project = grant_file_import(content=dump(variant(_rejoined())))

    rejoined = project.participations.get(short_name="ACME-2")
    assert rejoined.organisation == project.participations.get(short_name="ACME").organisation
    assert Organisation.objects.filter(pic="999999002").count() == 1


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        pytest.param(
            _rejoined(joined_on="2022-12-31"),
            "participants[3].pic",
            '"999999002" is already used by participants[1].',
            id="the same organisation twice on one day",
        ),
        pytest.param(
            _rejoined(legal_name="Acme Solar Lda"),
            "participants[3].legal_name",
            'participants[1] describes the organisation with PIC 999999002 with legal_name "Acme '
            'Solar SA"',
            id="the same organisation described otherwise",
        ),
        pytest.param(
            _rejoined(history=[{"until": "2022-06-30", "country": "ES"}]),
            "participants[3].history",
            "participants[1] gives the organisation with PIC 999999002 another history of its "
            "own data",
            id="the same organisation with another history",
        ),
    ],
)
def test_an_organisation_takes_part_once_at_a_time(change, path, message):
    errors = _errors(change)

    assert [error_path for error_path, _message in errors] == [path]
    assert message in errors[0][1]


def test_every_error_is_reported_at_once():
    def change(data):
        _extended(data, signed=None)
        _history({"until": "2023-01-01", "country": "XX"})(data)
        _third_party(country="XX")(data)
        data["suspensions"] = [{"from": "2023-03-01", "until": "2023-02-01"}]

    assert sorted(path for path, _message in _errors(change)) == [
        "duration_months",
        "participants[1].history[0].country",
        "suspensions[0].until",
        "third_parties[0].country",
    ]


def test_an_amended_duration_above_the_maximum_is_imported_with_the_signed_one():
    project = grant_file_import(content=dump(variant(_extended)))

    project.refresh_from_db()
    assert (project.duration_months, project.signed_duration_months) == (54, 48)
    assert project.reporting_periods.get(number=2).end_month == 54


def test_an_organisation_and_a_role_may_change_on_the_same_day():
    history = _history(
        {"until": "2023-01-01", "country": "ES", "source": "register"},
        {"until": "2023-01-01", "role": "associated_partner", "source": "AMD-1"},
    )

    project = grant_file_import(content=dump(variant(history)))

    acme = project.participations.get(short_name="ACME")
    update = OrganisationUpdate.objects.get(organisation=acme.organisation)
    assert (update.effective_on, update.previous_country_id, update.country_id) == (
        datetime.date(2023, 1, 2),
        "ES",
        "PT",
    )
    assert update.source == "register"
    change = ParticipationRoleChange.objects.get(participation=acme)
    assert (change.effective_on, change.previous_role, change.role, change.source) == (
        datetime.date(2023, 1, 2),
        "associated_partner",
        "beneficiary",
        "AMD-1",
    )


def test_a_third_party_that_is_also_a_participant_is_one_organisation():
    change = _third_party(pic="999999002", legal_name="Acme Solar SA", types=["enterprise"])

    project = grant_file_import(content=dump(variant(change)))

    third_party = ThirdParty.objects.get(project=project)
    acme = project.participations.get(short_name="ACME")
    assert third_party.organisation_id == acme.organisation_id
    assert Organisation.objects.filter(pic="999999002").count() == 1


def _known_acme(*updates) -> Organisation:
    acme = Organisation.objects.create(
        pic="999999002", legal_name="Acme Solar SA", short_name="ACME", country_id="PT"
    )
    OrganisationType.objects.create(organisation=acme, code="enterprise")
    for effective_on, previous in updates:
        OrganisationUpdate.objects.create(
            organisation=acme,
            effective_on=effective_on,
            previous_country_id=previous,
            country_id="PT",
            source="register",
        )
    return acme


def test_a_known_organisation_is_not_given_another_history():
    _known_acme((datetime.date(2023, 1, 1), "ES"))

    errors = _errors(_history({"until": "2023-06-30", "country": "ES"}))

    assert errors == [
        (
            "participants[1].history",
            "The organisation with PIC 999999002 is recorded with another history of its own "
            "data: until 2022-12-31, country ES. Correct the file, or leave the organisation's "
            "entries out (the record's are kept).",
        )
    ]


def test_a_known_organisation_without_recorded_history_is_not_given_one():
    _known_acme()

    errors = _errors(_history({"until": "2023-06-30", "country": "ES"}))

    assert [path for path, _message in errors] == ["participants[1].history"]
    assert "has no recorded history of its own data" in errors[0][1]


def test_a_known_organisation_keeps_its_record_and_the_file_gives_the_role_history():
    """The organisation's entries are the record's; the role's are the new participation's."""
    _known_acme((datetime.date(2023, 1, 1), "ES"))

    project = grant_file_import(
        content=dump(variant(_history({"until": "2023-03-31", "role": "associated_partner"})))
    )

    assert OrganisationUpdate.objects.count() == 1
    change = ParticipationRoleChange.objects.get(participation__project=project)
    assert (change.effective_on, change.previous_role) == (
        datetime.date(2023, 4, 1),
        "associated_partner",
    )


def test_a_third_party_known_to_the_system_is_described_as_recorded():
    _known_acme()

    errors = _errors(_third_party(pic="999999002", legal_name="Acme Solar SA", country="ES"))

    assert [path for path, _message in errors] == ["third_parties[0].country"]
    assert 'The organisation with PIC 999999002 is recorded with country "PT"' in errors[0][1]


def test_an_api_import_with_a_bad_history_is_a_400_naming_the_path(api_client, officer):
    api_client.force_authenticate(officer)
    before = row_counts()
    data = variant(
        _history(
            {"until": "2024-01-01", "country": "ES"}, {"until": "2023-01-01", "types": ["hei"]}
        )
    )

    response = api_client.post(
        "/api/v1/grants/import", json.dumps(data), content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "The grant file was not imported."
    assert [error["path"] for error in response.json()["errors"]] == [
        "participants[1].history[1].until"
    ]
    assert row_counts() == before
