"""Updates of an organisation's own data over the API (``/api/v1/organisations/{pic}``): who may
record one, what a refusal says (and that it writes nothing), the dated history as periods, and
the check of every project the organisation takes part in. Then a project's third parties
(``/api/v1/projects/{id}/third-parties``).

The demo's organisations: ZILEMED (PIC 992100102, LV, an enterprise) has a partner contact,
``users["partner_contact"]``, who works for it; ZSTW (992100601) is the only Polish partner."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from backend.audit.models import Event
from backend.grantfile.services import grant_file_import
from backend.grants.models import Organisation, OrganisationUpdate, ThirdParty
from monitoring.checks import check_projects
from monitoring.models import Flag
from tests.conftest import DEMO
from tests.helpers import row_counts

pytestmark = pytest.mark.django_db

ZILEMED = "992100102"
ZSTW = "992100601"
MOVE = {
    "effective_on": "2026-09-01",
    "country": "EE",
    "source": "Participant register, validated 2026-08-20",
}


def _updates(pic: str) -> str:
    return f"/api/v1/organisations/{pic}/updates"


# -- who may record an update ------------------------------------------------------------------


def test_the_organisations_own_contact_records_an_update(api_client, users):
    contact = users["partner_contact"]
    api_client.force_authenticate(contact)

    response = api_client.post(_updates(ZILEMED), MOVE, format="json")

    assert response.status_code == 201
    body = response.json()
    assert {key: body[key] for key in body if key not in ("id", "recorded_at")} == {
        "effective_on": "2026-09-01",
        "previous_country": "LV",
        "country": "EE",
        "previous_types": None,
        "types": None,
        "previous_legal_name": "",
        "legal_name": "",
        "source": "Participant register, validated 2026-08-20",
        "recorded_by": contact.username,
    }
    organisation = Organisation.objects.get(pic=ZILEMED)
    assert organisation.country_id == "EE"  # the newest value
    assert OrganisationUpdate.objects.get(pk=body["id"]).recorded_by == contact


def test_an_administrator_records_an_update_of_types_and_name(api_client, users):
    api_client.force_authenticate(users["admin"])

    response = api_client.post(
        _updates(ZSTW),
        {
            "effective_on": "2026-01-01",
            "types": ["vet_provider_secondary", "enterprise"],
            "legal_name": "ZSTW Technical School and Workshop",
            "source": "Merger with a local workshop, register entry 2025-12-15",
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["previous_types"], body["types"]) == (
        ["vet_provider_secondary"],
        ["enterprise", "vet_provider_secondary"],
    )
    assert body["previous_legal_name"].startswith("Zespół Szkół Technicznych")
    assert body["legal_name"] == "ZSTW Technical School and Workshop"
    assert (body["previous_country"], body["country"]) == (None, None)


@pytest.mark.parametrize(
    ("who", "reason"),
    [
        ("other_partner", "Only administrators and the organisation's own contacts"),
        ("manager", "Only administrators and the organisation's own contacts"),
        ("officer", "Only administrators and the organisation's own contacts"),
    ],
)
def test_others_may_not_record_an_update(api_client, users, who, reason):
    api_client.force_authenticate(users[who])
    before = row_counts()

    response = api_client.post(_updates(ZILEMED), MOVE, format="json")

    assert response.status_code == 403
    assert response.json()["detail"].startswith(reason)
    assert row_counts() == before


def test_an_organisation_out_of_sight_is_not_found(api_client, users):
    """The stranger works on no project; the other project's manager does not work with
    ZILEMED."""
    for who in ("stranger", "other_manager"):
        api_client.force_authenticate(users[who])
        assert api_client.get(f"/api/v1/organisations/{ZILEMED}").status_code == 404
        assert api_client.post(_updates(ZILEMED), MOVE, format="json").status_code == 404
    assert not OrganisationUpdate.objects.exists()


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {**MOVE, "country": "XX"},
            [
                {
                    "path": "country",
                    "message": 'Unknown country code "XX"; give an ISO 3166-1 alpha-2 code, '
                    "e.g. PT.",
                }
            ],
        ),
        (
            {"effective_on": "2026-09-01", "types": ["enterprise", "bakery"], "source": "x"},
            [
                {
                    "path": "types[1]",
                    "message": '"bakery" is not allowed; use one of: enterprise, '
                    "sector_representative, vet_provider_secondary, vet_provider_tertiary, hei, "
                    "research, public_authority, ngo, social_partner, other.",
                }
            ],
        ),
        (
            {**MOVE, "country": "LV"},
            [
                {
                    "path": "country",
                    "message": "The organisation already has this value on 2026-09-01.",
                }
            ],
        ),
        (
            {"effective_on": "2026-09-01", "source": "Register"},
            [{"path": "", "message": "Give a new country, new types or a new legal name."}],
        ),
        (
            {"country": "EE", "source": "  "},
            [
                {
                    "path": "effective_on",
                    "message": "Give the first day of the new values (YYYY-MM-DD).",
                },
            ],
        ),
        (
            {"effective_on": "2026-09-01", "country": "EE", "source": "  "},
            [
                {
                    "path": "source",
                    "message": "Say where the change comes from, e.g. the participant "
                    "register's validation.",
                }
            ],
        ),
        (
            {"effective_on": "2026-09-01", "types": [], "source": "Register"},
            [{"path": "types", "message": "Give at least one type."}],
        ),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(api_client, users, body, errors):
    api_client.force_authenticate(users["admin"])
    before = row_counts()

    response = api_client.post(_updates(ZILEMED), body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == errors
    assert response.json()["detail"] in (
        "The organisation was not updated.",
        "Nothing was saved: the input has errors.",
    )
    assert row_counts() == before
    assert Organisation.objects.get(pic=ZILEMED).country_id == "LV"


def test_an_update_before_a_later_update_of_the_same_value_is_refused(api_client, users):
    """Each value's history stays in order: the move to Estonia from 2026-09-01 is recorded;
    a move to Lithuania from 2026-06-01 would come before it and is refused. A change of another
    value from that earlier date is fine."""
    api_client.force_authenticate(users["admin"])
    assert api_client.post(_updates(ZILEMED), MOVE, format="json").status_code == 201
    before = row_counts()

    refused = api_client.post(
        _updates(ZILEMED),
        {"effective_on": "2026-06-01", "country": "LT", "source": "Register"},
        format="json",
    )

    assert refused.status_code == 400
    assert refused.json()["errors"] == [
        {
            "path": "country",
            "message": "An update from 2026-09-01 already changes this value; record a change "
            "from a later date, or correct that update first.",
        }
    ]
    assert row_counts() == before
    renamed = api_client.post(
        _updates(ZILEMED),
        {"effective_on": "2026-06-01", "legal_name": "Zilemed SIA", "source": "Register"},
        format="json",
    )
    assert renamed.status_code == 201


# -- the history as periods --------------------------------------------------------------------


def test_the_history_reads_as_periods(api_client, users):
    api_client.force_authenticate(users["admin"])
    api_client.post(_updates(ZILEMED), MOVE, format="json")
    api_client.post(
        _updates(ZILEMED),
        {"effective_on": "2027-01-01", "types": ["enterprise", "research"], "source": "Register"},
        format="json",
    )
    api_client.force_authenticate(users["partner_contact"])

    detail = api_client.get(f"/api/v1/organisations/{ZILEMED}")
    listed = api_client.get(_updates(ZILEMED))

    assert detail.status_code == 200
    body = detail.json()
    assert (body["pic"], body["country"], body["types"]) == (
        ZILEMED,
        "EE",
        ["enterprise", "research"],
    )
    name = body["legal_name"]
    assert body["history"] == [
        {
            "valid_from": None,
            "valid_to": "2026-08-31",
            "country": "LV",
            "types": ["enterprise"],
            "legal_name": name,
            "source": "",
        },
        {
            "valid_from": "2026-09-01",
            "valid_to": "2026-12-31",
            "country": "EE",
            "types": ["enterprise"],
            "legal_name": name,
            "source": "Participant register, validated 2026-08-20",
        },
        {
            "valid_from": "2027-01-01",
            "valid_to": None,
            "country": "EE",
            "types": ["enterprise", "research"],
            "legal_name": name,
            "source": "Register",
        },
    ]
    assert [u["effective_on"] for u in body["updates"]] == ["2026-09-01", "2027-01-01"]
    assert [u["effective_on"] for u in listed.json()] == ["2026-09-01", "2027-01-01"]


# -- every project is checked again ------------------------------------------------------------

TODAY = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.UTC)


def _open(project, fingerprint) -> bool:
    return Flag.objects.filter(
        project=project, fingerprint=fingerprint, resolved_at__isnull=True
    ).exists()


@time_machine.travel(TODAY, tick=False)
def test_an_update_checks_every_project_the_organisation_is_in(
    api_client, users, demo, django_capture_on_commit_callbacks
):
    """A second copy of the demo shares its organisations. ZSTW, the only Polish partner of
    both, moves to Ukraine: Poland, represented without an employer, stops being reviewed in
    both projects, and both activity feeds show the update."""
    copy = grant_file_import(content=DEMO.read_bytes().replace(b'"101143210"', b'"101143299"'))
    check_projects([demo.pk, copy.pk], now=timezone.now())
    review = "eligibility_review:countries_without_both_types"
    assert _open(demo, review)
    assert _open(copy, review)
    api_client.force_authenticate(users["admin"])

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            _updates(ZSTW),
            {"effective_on": "2026-11-01", "country": "UA", "source": "Register"},
            format="json",
        )

    assert response.status_code == 201
    assert not _open(demo, review)
    assert not _open(copy, review)
    events = Event.objects.filter(verb="organisation.updated")
    assert sorted(events.values_list("project_id", flat=True)) == sorted([demo.pk, copy.pk])
    event = events.get(project=copy)
    assert (event.before, event.after) == (
        {"country": "PL"},
        {"effective_on": "2026-11-01", "country": "UA", "source": "Register"},
    )


# -- third parties -----------------------------------------------------------------------------

SUBCONTRACT = {
    "pic": "999999002",  # ACME, known from the other project
    "kind": "subcontractor",
    "started_on": "2026-01-01",
    "ended_on": "2026-06-30",
    "description": "Simulation lab equipment maintenance",
}


def _third_parties(project) -> str:
    return f"/api/v1/projects/{project.pk}/third-parties"


@pytest.mark.parametrize("who", ["manager", "officer", "admin"])
def test_managers_officers_and_administrators_record_a_third_party(api_client, users, demo, who):
    api_client.force_authenticate(users[who])

    response = api_client.post(_third_parties(demo), SUBCONTRACT, format="json")

    assert response.status_code == 201
    body = response.json()
    assert {key: body[key] for key in body if key != "id"} == {
        "pic": "999999002",
        "legal_name": Organisation.objects.get(pic="999999002").legal_name,
        "kind": "subcontractor",
        "started_on": "2026-01-01",
        "ended_on": "2026-06-30",
        "description": "Simulation lab equipment maintenance",
    }
    assert Event.objects.filter(verb="third_party.added", project=demo).count() == 1


def test_everyone_on_the_project_reads_its_third_parties(api_client, users, demo):
    api_client.force_authenticate(users["officer"])
    api_client.post(_third_parties(demo), SUBCONTRACT, format="json")
    api_client.force_authenticate(users["partner_contact"])

    response = api_client.get(_third_parties(demo))

    assert response.status_code == 200
    assert [(t["pic"], t["kind"]) for t in response.json()] == [("999999002", "subcontractor")]


def test_a_partner_contact_may_not_record_a_third_party(api_client, users, demo):
    api_client.force_authenticate(users["partner_contact"])

    response = api_client.post(_third_parties(demo), SUBCONTRACT, format="json")

    assert response.status_code == 403
    assert response.json()["detail"] == (
        "Only the project's managers, its agency officers and administrators record third parties."
    )
    assert not ThirdParty.objects.exists()


def test_third_parties_of_a_project_out_of_sight_are_not_found(api_client, users, demo):
    api_client.force_authenticate(users["other_officer"])

    assert api_client.get(_third_parties(demo)).status_code == 404
    assert api_client.post(_third_parties(demo), SUBCONTRACT, format="json").status_code == 404
    assert not ThirdParty.objects.exists()


def test_a_bad_third_party_is_refused_naming_each_field(api_client, users, demo):
    api_client.force_authenticate(users["manager"])
    before = row_counts()

    response = api_client.post(
        _third_parties(demo),
        {
            "pic": "123456789",
            "kind": "supplier",
            "started_on": "2030-01-01",
            "ended_on": "2025-01-01",
        },
        format="json",
    )
    unknown = api_client.post(
        _third_parties(demo), {**SUBCONTRACT, "pic": "123456789"}, format="json"
    )
    early = api_client.post(
        _third_parties(demo),
        {**SUBCONTRACT, "started_on": "2023-01-01", "ended_on": None},
        format="json",
    )
    backwards = api_client.post(
        _third_parties(demo), {**SUBCONTRACT, "ended_on": "2025-12-31"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "path": "kind",
            "message": '"supplier" is not allowed; use one of: subcontractor, financial_support.',
        }
    ]
    assert unknown.json()["errors"] == [
        {"path": "pic", "message": "The system does not know the organisation with PIC 123456789."}
    ]
    assert early.json()["errors"] == [
        {
            "path": "started_on",
            "message": "Give a day within the project, from 2024-03-01 to 2028-02-29.",
        }
    ]
    assert backwards.json()["errors"] == [
        {"path": "ended_on", "message": "The last day cannot be before the first."}
    ]
    assert row_counts() == before
