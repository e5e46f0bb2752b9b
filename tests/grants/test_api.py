"""The grant API: who sees which project, the record it returns, the grant-file import and
export over HTTP, constant query counts, authentication and the OpenAPI schema."""

import json

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from knox.crypto import hash_token

from backend.accounts.models import ProjectRole
from backend.accounts.tokens import token_model
from backend.grantfile.services import grant_file_import
from backend.grants.models import Project
from tests.factories import CountryFactory, OrganisationFactory, UserFactory
from tests.grants.helpers import dump, row_counts, spec_example, variant

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/projects/"
IMPORT_URL = "/api/v1/grants/import"


def _grant(number: str, **changes) -> Project:
    def change(data):
        data["grant_agreement_number"] = number
        data.update(changes)

    return grant_file_import(content=dump(variant(change)))


def _give_role(user, project, role):
    participation = None
    if role == "manager":
        participation = project.participations.get(role="coordinator")
    elif role == "partner_contact":
        participation = project.participations.get(role="beneficiary")
    return ProjectRole.objects.create(
        user=user, project=project, role=role, participation=participation
    )


@pytest.fixture
def two_projects(officer):
    mine = _grant("101000001", acronym="MINE")
    other = _grant("101000002", acronym="OTHER")
    _give_role(officer, mine, "officer")
    return mine, other


# -- who sees what ---------------------------------------------------------------------------


def test_an_anonymous_request_is_refused_with_401(api_client, two_projects):
    response = api_client.get(LIST_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("officer", {"MINE"}),
        ("manager", {"MINE"}),
        ("partner_contact", {"MINE"}),
        ("admin", {"MINE", "OTHER"}),
        ("nobody", set()),
    ],
)
def test_each_role_lists_only_its_projects(api_client, two_projects, role, visible):
    mine, _other = two_projects
    if role == "admin":
        user = UserFactory(is_superuser=True)
    else:
        user = UserFactory(is_agency_officer=role == "officer")
        if role != "nobody":
            _give_role(user, mine, role)
    api_client.force_authenticate(user)

    response = api_client.get(LIST_URL)

    assert response.status_code == 200
    assert {item["acronym"] for item in response.json()["results"]} == visible
    assert response.json()["count"] == len(visible)


@pytest.mark.parametrize("url", ["/api/v1/projects/{id}/", "/api/v1/projects/{id}/grant-file"])
def test_a_project_outside_the_users_projects_is_not_found(api_client, two_projects, officer, url):
    _mine, other = two_projects
    api_client.force_authenticate(officer)

    response = api_client.get(url.format(id=other.pk))

    assert response.status_code == 404


def test_a_project_that_does_not_exist_is_not_found(api_client, admin_user):
    api_client.force_authenticate(admin_user)
    assert api_client.get("/api/v1/projects/999999/").status_code == 404


# -- what the API returns ----------------------------------------------------------------------


def test_the_list_gives_each_projects_summary(api_client, two_projects, officer):
    api_client.force_authenticate(officer)

    item = api_client.get(LIST_URL).json()["results"][0]

    assert item | {"id": None} == {
        "id": None,
        "grant_agreement_number": "101000001",
        "acronym": "MINE",
        "title": "Sustainable Energy Centres of Vocational Excellence",
        "call": "ERASMUS-EDU-2021-PEX-COVE",
        "signed_on": "2022-05-20",
        "start_date": "2022-06-15",
        "end_date": "2026-06-14",
        "duration_months": 48,
        "max_grant_eur": "400000.00",
        "coordinator": {
            "short_name": "UNIWA",
            "legal_name": "University of West Attica",
            "country": "GR",
        },
        "participant_count": 3,
    }


def test_the_detail_gives_the_whole_record(api_client, two_projects, officer):
    mine, _other = two_projects
    api_client.force_authenticate(officer)

    body = api_client.get(f"/api/v1/projects/{mine.pk}/").json()

    assert body["payment_schedule"] == {
        "prefinancing_percent": "40.00",
        "payments_cap_percent": "90.00",
    }
    lab = next(p for p in body["participants"] if p["short_name"] == "ACME-LAB")
    assert lab["role"] == "affiliated_entity"
    assert lab["affiliated_to"] == "ACME"
    assert lab["organisation"]["pic"] == "999999003"
    assert lab["organisation"]["types"] == ["research"]
    assert body["work_packages"][0]["clusters"] == ["governance_funding"]
    assert body["work_packages"][0]["shares"] == [
        {"participant": "UNIWA", "amount_eur": "250000.00"},
        {"participant": "ACME", "amount_eur": "150000.00"},
    ]
    assert body["deliverables"][0]["due_date"] == "2022-09-14"
    assert body["deliverables"][0]["work_package"] == 1
    assert body["milestones"][0]["work_packages"] == [1]
    assert [(p["number"], p["end_date"]) for p in body["reporting_periods"]] == [
        (1, "2024-06-14"),
        (2, "2026-06-14"),
    ]


# -- query counts ------------------------------------------------------------------------------


def _count_queries(api_client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api_client.get(url).status_code == 200
    return len(queries)


def test_the_list_takes_the_same_queries_whatever_the_page_size(
    api_client, admin_user, django_assert_max_num_queries
):
    for number in range(12):
        _grant(f"1020000{number:02d}")
    api_client.force_authenticate(admin_user)

    small = _count_queries(api_client, f"{LIST_URL}?page_size=2")
    with django_assert_max_num_queries(small):
        response = api_client.get(f"{LIST_URL}?page_size=12")

    assert len(response.json()["results"]) == 12
    assert small <= 4  # count, page, coordinators prefetch (and nothing per project)


def test_the_detail_takes_the_same_queries_whatever_the_record_size(
    api_client, admin_user, django_assert_max_num_queries
):
    small = _grant("103000001")
    big = grant_file_import(
        content=dump(
            variant(
                lambda data: (
                    data.update(grant_agreement_number="103000002"),
                    data["deliverables"].extend(
                        dict(data["deliverables"][0], code=f"D1.{n}") for n in range(2, 30)
                    ),
                    data["milestones"].extend(
                        dict(data["milestones"][0], code=f"MS{n}") for n in range(2, 10)
                    ),
                )
            )
        )
    )
    api_client.force_authenticate(admin_user)

    queries = _count_queries(api_client, f"/api/v1/projects/{small.pk}/")
    with django_assert_max_num_queries(queries):
        response = api_client.get(f"/api/v1/projects/{big.pk}/")

    assert len(response.json()["deliverables"]) == 29


# -- the grant file over HTTP ------------------------------------------------------------------


def test_the_grant_file_endpoint_gives_yaml_by_default_and_json_on_request(
    api_client, two_projects, officer
):
    mine, _other = two_projects
    api_client.force_authenticate(officer)

    as_yaml = api_client.get(f"/api/v1/projects/{mine.pk}/grant-file")
    as_json = api_client.get(f"/api/v1/projects/{mine.pk}/grant-file?format=json")

    assert as_yaml.status_code == 200
    assert as_yaml["Content-Type"].startswith("application/yaml")
    assert 'filename="101000001-MINE.yaml"' in as_yaml["Content-Disposition"]
    assert yaml.safe_load(as_yaml.content)["acronym"] == "MINE"
    assert as_json["Content-Type"].startswith("application/json")
    assert json.loads(as_json.content)["participants"][2]["affiliated_to"] == "ACME"


def test_the_exported_file_imports_again_through_the_api(api_client, two_projects, officer):
    mine, _other = two_projects
    api_client.force_authenticate(officer)
    exported = api_client.get(f"/api/v1/projects/{mine.pk}/grant-file").content
    mine.delete()

    response = api_client.post(IMPORT_URL, exported, content_type="application/yaml")

    assert response.status_code == 201, response.content
    assert response.json()["acronym"] == "MINE"


@pytest.mark.parametrize("importer", ["officer", "admin"])
def test_officers_and_admins_import_a_grant(api_client, spec_example_bytes, importer):
    user = UserFactory(is_agency_officer=importer == "officer", is_superuser=importer == "admin")
    api_client.force_authenticate(user)

    response = api_client.post(IMPORT_URL, spec_example_bytes, content_type="application/yaml")

    assert response.status_code == 201
    project = Project.objects.get(pk=response.json()["id"])
    assert response.json() == {
        "id": project.pk,
        "grant_agreement_number": "101056201",
        "acronym": "SECOVE",
    }
    # An importing officer finds the project in their portfolio; an admin sees all anyway.
    officer_roles = list(
        project.roles.filter(role="officer").values_list("user__username", flat=True)
    )
    assert officer_roles == ([user.username] if importer == "officer" else [])


def test_an_import_accepts_a_json_body_and_a_multipart_upload(api_client, officer):
    api_client.force_authenticate(officer)
    as_json = json.dumps(spec_example())
    second = variant(lambda data: data.update(grant_agreement_number="101056999"))

    by_body = api_client.post(IMPORT_URL, as_json, content_type="application/json")
    upload = pytest.importorskip("django.core.files.uploadedfile").SimpleUploadedFile(
        "grant.yaml", dump(second), content_type="application/yaml"
    )
    by_form = api_client.post(IMPORT_URL, {"file": upload}, format="multipart")

    assert (by_body.status_code, by_form.status_code) == (201, 201)
    assert Project.objects.count() == 2


@pytest.mark.parametrize("who", ["partner", "anonymous"])
def test_others_may_not_import(api_client, spec_example_bytes, who):
    if who == "partner":
        api_client.force_authenticate(UserFactory())
    before = row_counts()

    response = api_client.post(IMPORT_URL, spec_example_bytes, content_type="application/yaml")

    assert response.status_code == (403 if who == "partner" else 401)
    if who == "partner":
        assert response.json() == {
            "detail": "Only agency officers and administrators import grants."
        }
    assert row_counts() == before


def test_an_officer_working_for_a_participant_is_not_put_in_charge_of_its_grant(
    api_client, spec_example_bytes
):
    """Separation of duties at import: the importing officer would be the project's officer,
    but works for one of the grant's participants; the import is refused, saying why."""
    uniwa = OrganisationFactory(
        pic="999999001",
        legal_name="University of West Attica",
        country=CountryFactory(code="GR"),
        types=["vet_provider_tertiary", "hei"],
    )
    insider = UserFactory(username="insider", is_agency_officer=True, organisation=uniwa)
    api_client.force_authenticate(insider)
    before = row_counts()

    response = api_client.post(IMPORT_URL, spec_example_bytes, content_type="application/yaml")

    assert response.status_code == 403, response.content
    assert response.json() == {
        "detail": "insider works for an organisation taking part in this project and cannot be "
        "its agency officer."
    }
    assert row_counts() == before


def test_an_invalid_file_over_http_is_a_400_listing_every_error(api_client, officer):
    api_client.force_authenticate(officer)
    broken = variant(
        lambda data: (
            data["participants"][1].update(country="XX"),
            data["work_packages"][0]["shares_eur"].update(ACME="1.001"),
        )
    )
    before = row_counts()

    response = api_client.post(IMPORT_URL, dump(broken), content_type="application/yaml")

    assert response.status_code == 400
    assert response.json()["detail"] == "The grant file was not imported."
    assert [error["path"] for error in response.json()["errors"]] == [
        "participants[1].country",
        "work_packages[0].shares_eur.ACME",
    ]
    assert row_counts() == before


def test_an_empty_import_request_is_a_400(api_client, officer):
    api_client.force_authenticate(officer)

    response = api_client.post(IMPORT_URL, b"", content_type="application/yaml")

    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == ""
    assert "No grant file was sent" in response.json()["errors"][0]["message"]


def test_a_file_too_large_is_a_400(api_client, officer, settings):
    api_client.force_authenticate(officer)
    huge = b"# " + b"x" * (5 * 1024 * 1024) + b"\n"

    response = api_client.post(IMPORT_URL, huge, content_type="application/yaml")

    assert response.status_code == 400
    assert "larger than a grant file can be" in response.json()["errors"][0]["message"]


# -- authentication and schema -----------------------------------------------------------------


def test_a_token_obtained_with_the_password_authenticates(api_client, two_projects, officer):
    response = api_client.post(
        "/api/v1/auth/token", {"username": "officer", "password": "pass-word-123"}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    # kept as a hash of the key, never the key itself
    stored = token_model().objects.get(user=officer)
    assert token not in stored.digest
    assert stored.digest == hash_token(token)

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listed = api_client.get(LIST_URL)

    assert listed.status_code == 200
    assert [item["acronym"] for item in listed.json()["results"]] == ["MINE"]


def test_a_session_login_authenticates(client, two_projects, officer):
    assert client.login(username="officer", password="pass-word-123")
    assert client.get(LIST_URL).status_code == 200


def test_the_openapi_schema_describes_the_endpoints(client):
    response = client.get("/api/schema/?format=json")

    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    assert {
        "/api/v1/projects/",
        "/api/v1/projects/{project_id}/",
        "/api/v1/projects/{project_id}/grant-file",
        "/api/v1/grants/import",
    } <= set(paths)
    listing = paths["/api/v1/projects/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert listing["schema"]["$ref"].endswith("PaginatedProjectListItemList")


def test_the_api_docs_page_is_served(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert b"swagger-ui" in response.content


def test_errors_come_in_the_users_language(api_client, officer):
    api_client.force_authenticate(officer)
    broken = variant(lambda data: data["participants"][1].update(country="XX"))

    response = api_client.post(
        IMPORT_URL, dump(broken), content_type="application/yaml", HTTP_ACCEPT_LANGUAGE="lv"
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "Dotācijas datne netika importēta."
    assert response.json()["errors"] == [
        {
            "path": "participants[1].country",
            "message": 'Nezināms valsts kods "XX"; jānorāda ISO 3166-1 alpha-2 kods, piemēram, PT.',
        }
    ]
