"""The grant file of the record as amended (issue 16, point 5): a grant that went through
amendments of every kind is exported with its dated history, imported again (under a new
number beside it, or into a database without its organisations) and exported again into the
same file, and both projects get the same eligibility verdicts and timeline. A grant no
amendment touched is written as before, without the optional keys."""

import datetime
import json
from decimal import Decimal

import pytest
from jsonschema import Draft202012Validator

from backend.grantfile.export import dump_grant_file, grant_file_data
from backend.grantfile.loading import load_grant_file
from backend.grantfile.selectors import projects_with_record
from backend.grantfile.services import grant_file_import
from backend.grantfile.validation import grant_file_schema
from backend.grants.models import (
    Accession,
    Organisation,
    OrganisationType,
    OrganisationUpdate,
    Participation,
    ParticipationRoleChange,
    Project,
    ProjectSuspension,
    ThirdParty,
)
from backend.grants.selectors import consortia, eligibility_on
from backend.workplan.models import Deliverable, ReportingPeriod, WorkPackage, WorkPackageShare
from tests.grants.helpers import dump, spec_example

pytestmark = pytest.mark.django_db

D = datetime.date
NUMBER = "101143210"  # the demo grant's
NEW_NUMBER = "101999999"
NEW_KEYS = {"signed_duration_months", "terminated_on", "suspensions", "third_parties"}
PARTICIPANT_KEYS = {"accession", "accession_due_on", "acceded_on", "history"}
COORDINATOR_CHANGE = D(2025, 9, 1)
SEAT_MOVE = D(2025, 3, 1)
RECLASSIFICATION = D(2026, 1, 1)


def _organisation(pic: str, name: str, country: str, types: list[str]) -> Organisation:
    organisation = Organisation.objects.create(
        pic=pic, legal_name=name, short_name=name[:50], country_id=country
    )
    OrganisationType.objects.bulk_create(
        OrganisationType(organisation=organisation, code=code) for code in types
    )
    return organisation


def _amend(project: Project) -> None:
    """What the demo grant's approved amendments and its life write to the record, written
    directly: a change of coordinator and two updates of an organisation, each dated; a
    termination; three newcomers (acceded, pending, never acceded); an extension to 54 months
    with the last period, a work package and a deliverable moved; shares moved between
    beneficiaries; a closed and an open suspension; two third parties; the grant terminated."""
    by_name = {p.short_name: p for p in project.participations.all()}

    # Coordinator: GAUJA steps down, NEMPOLY takes over from 1 September 2025.
    for short_name, before, after in (
        ("GAUJA", "coordinator", "beneficiary"),
        ("NEMPOLY", "beneficiary", "coordinator"),
    ):
        Participation.objects.filter(pk=by_name[short_name].pk).update(role=after)
        ParticipationRoleChange.objects.create(
            participation=by_name[short_name],
            effective_on=COORDINATOR_CHANGE,
            previous_role=before,
            role=after,
            source="Amendment AMD-2025-1",
        )

    # SESUPE moves its seat from Lithuania to Latvia, then is re-classified and renamed.
    sesupe = by_name["SESUPE"].organisation
    OrganisationUpdate.objects.create(
        organisation=sesupe,
        effective_on=SEAT_MOVE,
        previous_country_id="LT",
        country_id="LV",
        source="Participant register: validation of 20 February 2025",
    )
    OrganisationUpdate.objects.create(
        organisation=sesupe,
        effective_on=RECLASSIFICATION,
        previous_types=["enterprise"],
        types=["enterprise", "sector_representative"],
        previous_legal_name=sesupe.legal_name,
        legal_name="Sesupe Care Cluster UAB",
    )
    sesupe.country_id = "LV"
    sesupe.legal_name = "Sesupe Care Cluster UAB"
    sesupe.save()
    OrganisationType.objects.create(organisation=sesupe, code="sector_representative")

    # ZORIANE's participation is terminated; LINDENAU, which left on 30 June 2025, is added
    # again (the same organisation, a new participation).
    Participation.objects.filter(pk=by_name["ZORIANE"].pk).update(left_on=D(2026, 4, 30))
    Participation.objects.create(
        project=project,
        organisation=by_name["LINDENAU"].organisation,
        short_name="LINDENAU-2",
        role="beneficiary",
        joined_on=D(2026, 2, 1),
        position=29,
        acceded_on=D(2026, 2, 10),
        accession_due_on=D(2026, 3, 31),
    )

    # Newcomers by amendment: one acceded late, one pending, one that never acceded.
    for position, (pic, short_name, country, types, joined_on, accession, due_on, acceded) in (
        enumerate(
            [
                ("992100950", "KOTKA", "FI", ["vet_provider_secondary"], D(2025, 10, 1),
                 Accession.ACCEDED, D(2025, 12, 1), D(2025, 11, 15)),
                ("992100951", "NEWCARE", "LV", ["enterprise"], D(2026, 5, 1),
                 Accession.PENDING, D(2026, 6, 30), None),
                ("992100952", "LATECO", "EE", ["enterprise"], D(2025, 2, 1),
                 Accession.NOT_ACCEDED, D(2025, 4, 1), None),
            ],
            start=30,
        )
    ):  # fmt: skip
        Participation.objects.create(
            project=project,
            organisation=_organisation(pic, f"{short_name} Oy", country, types),
            short_name=short_name,
            role="beneficiary",
            joined_on=joined_on,
            position=position,
            accession=accession,
            accession_due_on=due_on,
            acceded_on=acceded,
        )

    # Extended from 48 to 54 months: the last period, WP1 and a deliverable follow.
    Project.objects.filter(pk=project.pk).update(
        duration_months=54, signed_duration_months=48, terminated_on=D(2027, 12, 31)
    )
    ReportingPeriod.objects.filter(project=project, number=3).update(end_month=54)
    WorkPackage.objects.filter(project=project, number=1).update(end_month=54)
    Deliverable.objects.filter(project=project, code="D1.1").update(due_month=52)

    # Annex 2: EUR 10,000.00 of WP1 moves from GAUJA to NEMPOLY.
    for short_name, difference in (("GAUJA", "-10000.00"), ("NEMPOLY", "10000.00")):
        share = WorkPackageShare.objects.get(
            work_package__project=project,
            work_package__number=1,
            participation__short_name=short_name,
        )
        share.amount_eur += Decimal(difference)
        share.save()

    ProjectSuspension.objects.create(
        project=project, started_on=D(2025, 1, 15), ended_on=D(2025, 3, 1), reason="Flooding"
    )
    ProjectSuspension.objects.create(project=project, started_on=D(2027, 6, 1))

    ThirdParty.objects.create(
        project=project,
        organisation=_organisation("992100960", "Baltic Audit SIA", "LV", ["enterprise"]),
        kind="subcontractor",
        started_on=D(2024, 6, 1),
        ended_on=D(2025, 5, 31),
        description="Audit of the financial statements",
    )
    ThirdParty.objects.create(
        project=project,
        organisation=_organisation("992100961", "Kauno slaugos mokykla", "LT", ["ngo"]),
        kind="financial_support",
        started_on=D(2025, 9, 1),
    )


@pytest.fixture
def amended(demo) -> Project:
    _amend(demo)
    demo.refresh_from_db()
    return demo


def _export(project_id: int, file_format: str = "yaml") -> str:
    return dump_grant_file(grant_file_data(projects_with_record().get(pk=project_id)), file_format)


def _judged(project_id: int) -> tuple:
    """The project's eligibility timeline, and its verdicts on the days around each change."""
    consortium, rules = consortia([project_id])[project_id]
    days = [
        D(2024, 3, 1),
        SEAT_MOVE - datetime.timedelta(days=1),
        SEAT_MOVE,
        COORDINATOR_CHANGE - datetime.timedelta(days=1),
        COORDINATOR_CHANGE,
        D(2026, 5, 1),
        D(2027, 12, 31),
    ]
    verdicts = [eligibility_on(consortium, rules, day).verdict for day in days]
    return tuple(eligibility_on(consortium, rules, days[0]).timeline()), tuple(verdicts)


def _history_rows(project: Project) -> dict:
    """The dated history, accession, suspensions and third parties of a project, read from the
    tables by natural keys (not through the exporter)."""
    participations = project.participations.select_related("organisation").order_by("short_name")
    return {
        "project": (
            project.duration_months,
            project.signed_duration_months,
            project.terminated_on,
        ),
        "accession": [
            (p.short_name, p.accession, p.accession_due_on, p.acceded_on) for p in participations
        ],
        "roles": sorted(
            (c.participation.short_name, c.effective_on, c.previous_role, c.role, c.source)
            for c in ParticipationRoleChange.objects.filter(participation__project=project)
        ),
        "updates": sorted(
            (
                u.organisation.pic,
                u.effective_on,
                u.previous_country_id,
                u.country_id,
                u.previous_types,
                u.types,
                u.previous_legal_name,
                u.legal_name,
                u.source,
            )
            for u in OrganisationUpdate.objects.filter(
                organisation__participations__project=project
            )
        ),
        "suspensions": list(
            project.suspensions.order_by("started_on").values_list(
                "started_on", "ended_on", "reason"
            )
        ),
        "third_parties": list(
            project.third_parties.order_by("started_on").values_list(
                "organisation__pic",
                "organisation__legal_name",
                "organisation__country_id",
                "kind",
                "started_on",
                "ended_on",
                "description",
            )
        ),
    }


def test_the_export_writes_the_record_as_amended_with_its_history(amended):
    data = load_grant_file(_export(amended.pk))

    assert (data["duration_months"], data["signed_duration_months"]) == (54, 48)
    assert data["terminated_on"] == "2027-12-31"
    assert data["suspensions"] == [
        {"from": "2025-01-15", "until": "2025-03-01", "reason": "Flooding"},
        {"from": "2027-06-01"},
    ]
    assert data["payment_schedule"]["reporting_periods"][-1]["end_month"] == 54
    assert data["work_packages"][0]["end_month"] == 54
    assert data["work_packages"][0]["shares_eur"]["GAUJA"] == "216086.96"
    assert data["work_packages"][0]["shares_eur"]["NEMPOLY"] == "38260.87"
    assert {d["code"]: d["due_month"] for d in data["deliverables"]}["D1.1"] == 52
    people = {p["short_name"]: p for p in data["participants"]}
    assert (people["GAUJA"]["role"], people["NEMPOLY"]["role"]) == ("beneficiary", "coordinator")
    assert people["GAUJA"]["history"] == [
        {"until": "2025-08-31", "role": "coordinator", "source": "Amendment AMD-2025-1"}
    ]
    assert people["NEMPOLY"]["history"] == [
        {"until": "2025-08-31", "role": "beneficiary", "source": "Amendment AMD-2025-1"}
    ]
    assert people["SESUPE"]["country"] == "LV"
    assert people["SESUPE"]["legal_name"] == "Sesupe Care Cluster UAB"
    assert people["SESUPE"]["history"] == [
        {
            "until": "2025-02-28",
            "country": "LT",
            "source": "Participant register: validation of 20 February 2025",
        },
        {
            "until": "2025-12-31",
            "types": ["enterprise"],
            "legal_name": "UAB Šešupės ortopedijos dirbtuvės",
        },
    ]
    assert people["ZORIANE"]["left_on"] == "2026-04-30"
    assert people["LINDENAU-2"]["pic"] == people["LINDENAU"]["pic"]
    assert (people["LINDENAU"]["left_on"], people["LINDENAU-2"]["joined_on"]) == (
        "2025-06-30",
        "2026-02-01",
    )
    assert {
        name: {
            key: people[name].get(key) for key in ("accession", "accession_due_on", "acceded_on")
        }
        for name in ("KOTKA", "NEWCARE", "LATECO")
    } == {
        "KOTKA": {"accession": None, "accession_due_on": "2025-12-01", "acceded_on": "2025-11-15"},
        "NEWCARE": {"accession": "pending", "accession_due_on": "2026-06-30", "acceded_on": None},
        "LATECO": {
            "accession": "not_acceded",
            "accession_due_on": "2025-04-01",
            "acceded_on": None,
        },
    }
    assert data["third_parties"] == [
        {
            "pic": "992100960",
            "legal_name": "Baltic Audit SIA",
            "country": "LV",
            "types": ["enterprise"],
            "kind": "subcontractor",
            "from": "2024-06-01",
            "until": "2025-05-31",
            "description": "Audit of the financial statements",
        },
        {
            "pic": "992100961",
            "legal_name": "Kauno slaugos mokykla",
            "country": "LT",
            "types": ["ngo"],
            "kind": "financial_support",
            "from": "2025-09-01",
        },
    ]
    # The optional keys in the places the schema's order gives them.
    assert list(data)[7:12] == [
        "duration_months",
        "signed_duration_months",
        "terminated_on",
        "suspensions",
        "max_grant_eur",
    ]
    assert list(data)[-4:] == ["third_parties", "work_packages", "deliverables", "milestones"]


@pytest.mark.parametrize("file_format", ["yaml", "json"])
def test_the_exported_file_follows_the_json_schema(amended, file_format):
    data = load_grant_file(_export(amended.pk, file_format))

    errors = list(Draft202012Validator(grant_file_schema()).iter_errors(data))

    assert errors == []
    assert set(data) >= NEW_KEYS


@pytest.mark.parametrize("file_format", ["yaml", "json"])
def test_imported_under_a_new_number_it_exports_the_same_file_and_is_judged_the_same(
    amended, file_format
):
    exported = _export(amended.pk, file_format)
    assert exported.count(NUMBER) == 1
    data = load_grant_file(exported)
    data["grant_agreement_number"] = NEW_NUMBER

    copy = grant_file_import(content=json.dumps(data).encode())

    assert _export(copy.pk, file_format) == exported.replace(NUMBER, NEW_NUMBER)
    assert _judged(copy.pk) == _judged(amended.pk)
    # The organisations are shared: the copy's participants are the same organisations, whose
    # history was kept (not written twice); the roles' history is the copy's own.
    assert OrganisationUpdate.objects.count() == 2
    assert ParticipationRoleChange.objects.filter(participation__project=copy).count() == 2
    rows, copy_rows = _history_rows(amended), _history_rows(copy)
    assert copy_rows == rows


def test_imported_into_a_database_without_it_the_record_and_the_file_are_the_same(amended):
    exported = _export(amended.pk)
    rows, judged = _history_rows(amended), _judged(amended.pk)
    pics = [p.organisation.pic for p in amended.participations.all()] + [
        t.organisation.pic for t in amended.third_parties.all()
    ]
    amended.delete()
    Organisation.objects.filter(pic__in=pics).delete()  # their updates go with them
    assert not OrganisationUpdate.objects.exists()

    again = grant_file_import(content=exported.encode())

    assert _history_rows(again) == rows
    assert _export(again.pk) == exported
    assert _judged(again.pk) == judged


def test_the_history_changes_the_verdicts_it_is_read_for(amended):
    """The round trip's comparison of verdicts is not empty: the dated changes show in the
    timeline (the new coordinator from its day on, the old one before)."""
    timeline, verdicts = _judged(amended.pk)

    coordinators = [verdict.result("coordinator").participants for verdict in verdicts]
    assert coordinators[3] == ("GAUJA",)
    assert coordinators[4] == ("NEMPOLY",)
    assert COORDINATOR_CHANGE in [entry.starts_on for entry in timeline]


def test_an_unamended_grant_is_exported_without_the_new_keys(demo):
    data = load_grant_file(_export(demo.pk))

    assert not NEW_KEYS & set(data)
    assert not any(PARTICIPANT_KEYS & set(p) for p in data["participants"])


def test_the_api_exports_the_record_as_amended(api_client, admin_user, amended):
    api_client.force_authenticate(admin_user)

    response = api_client.get(f"/api/v1/projects/{amended.pk}/grant-file?format=json")

    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["signed_duration_months"] == 48
    people = {p["short_name"]: p for p in body["participants"]}
    assert people["NEMPOLY"]["history"][0]["role"] == "beneficiary"
    assert people["NEWCARE"]["accession"] == "pending"


# -- an organisation the system knows keeps its record -----------------------------------------


def _spec_with_acme_history(history: list[dict]) -> bytes:
    data = spec_example()
    data["grant_agreement_number"] = "101056299"
    data["participants"][1]["history"] = history
    return dump(data)


def _acme_moved_to_pt() -> Organisation:
    """ACME (the specification example's beneficiary) known to the system, with its seat
    moved from Spain to Portugal on 1 January 2023."""
    acme = _organisation("999999002", "Acme Solar SA", "PT", ["enterprise"])
    OrganisationUpdate.objects.create(
        organisation=acme,
        effective_on=D(2023, 1, 1),
        previous_country_id="ES",
        country_id="PT",
        source="Participant register",
    )
    return acme


def test_a_known_organisation_without_history_in_the_file_keeps_its_recorded_history():
    acme = _acme_moved_to_pt()

    project = grant_file_import(content=_spec_with_acme_history([]))

    assert list(acme.updates.values_list("effective_on", "previous_country", "country")) == [
        (D(2023, 1, 1), "ES", "PT")
    ]
    people = {p["short_name"]: p for p in load_grant_file(_export(project.pk))["participants"]}
    assert people["ACME"]["history"] == [
        {"until": "2022-12-31", "country": "ES", "source": "Participant register"}
    ]


def test_a_known_organisation_with_its_recorded_history_in_the_file_is_imported():
    _acme_moved_to_pt()
    history = [{"until": "2022-12-31", "country": "ES", "source": "another register"}]

    project = grant_file_import(content=_spec_with_acme_history(history))

    assert OrganisationUpdate.objects.get().source == "Participant register"  # the record's
    assert project.participations.get(short_name="ACME").organisation.pic == "999999002"
