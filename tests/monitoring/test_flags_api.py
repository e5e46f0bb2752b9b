"""The flag API: who sees which flags, the filters, one flag's output, acknowledging and
resolving over HTTP, and that every refusal writes nothing."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from monitoring.flags import flag_acknowledge, flag_resolve
from monitoring.models import Flag
from tests.factories import UserFactory
from tests.monitoring.test_flags import (
    LATER,
    REVIEW,
    _finding,
    _give_role,
    _grant,
    _state,
    _sync,
)

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/flags/"
TRIAGE_REASON = (
    "Only the project's agency officers and administrators acknowledge or resolve its flags."
)


@pytest.fixture
def projects():
    return _grant("101000001", acronym="MINE"), _grant("101000002", acronym="OTHER")


@pytest.fixture
def flags(projects):
    """MINE: an open critical breach, an open low review, a breach resolved automatically;
    OTHER: an open high breach."""
    mine, other = projects
    _sync([mine], [_finding(mine, "gone")])
    _sync(
        [mine, other],
        [
            _finding(mine, "min_full_partners", severity="critical", lv="Par maz partneru."),
            _finding(other, "min_countries", severity="high"),
        ],
        now=LATER,
    )
    _sync([mine], [_finding(mine, "secondary_vet", kind=REVIEW, severity="low")], kinds=[REVIEW])
    return {flag.fingerprint.split(":")[1]: flag for flag in Flag.objects.all()}


@pytest.fixture
def portfolio_officer(projects):
    user = UserFactory(username="portfolio-officer", is_agency_officer=True)
    _give_role(user, projects[0], "officer")
    return user


def _listed(api_client, user, query="") -> list[str]:
    api_client.force_authenticate(user)
    response = api_client.get(LIST_URL + query)
    assert response.status_code == 200, response.content
    return [item["fingerprint"].split(":")[1] for item in response.json()["results"]]


# -- who sees what -----------------------------------------------------------------------------


def test_an_anonymous_request_is_refused_with_401(api_client, flags):
    assert api_client.get(LIST_URL).status_code == 401


@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("admin", ["min_full_partners", "min_countries", "secondary_vet"]),
        ("officer of the project", ["min_full_partners", "secondary_vet"]),
        ("officer of the other project", ["min_countries"]),
        ("officer without projects", []),
        ("manager", ["min_full_partners", "secondary_vet"]),
        ("partner_contact", ["min_full_partners", "secondary_vet"]),
        ("nobody", []),
    ],
)
def test_each_role_lists_only_the_flags_of_its_projects(api_client, projects, flags, who, visible):
    mine, other = projects
    user = UserFactory(
        username="someone", is_superuser=who == "admin", is_agency_officer="officer" in who
    )
    if who == "officer of the project":
        _give_role(user, mine, "officer")
    elif who == "officer of the other project":
        _give_role(user, other, "officer")
    elif who in ("manager", "partner_contact"):
        _give_role(user, mine, who)

    assert _listed(api_client, user) == visible


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("", ["min_full_partners", "min_countries", "secondary_vet"]),
        ("?status=open", ["min_full_partners", "min_countries", "secondary_vet"]),
        ("?status=resolved", ["gone"]),
        ("?status=all", ["min_full_partners", "min_countries", "gone", "secondary_vet"]),
        ("?project={other}", ["min_countries"]),
        ("?project={mine}&status=all", ["min_full_partners", "gone", "secondary_vet"]),
        ("?kind=eligibility_review", ["secondary_vet"]),
        ("?kind=amendment_decision_overdue", []),
        ("?severity=critical", ["min_full_partners"]),
        ("?severity=high&status=all", ["min_countries", "gone"]),
        ("?project={mine}&kind=eligibility_breach&severity=critical", ["min_full_partners"]),
        ("?project=999999", []),
    ],
)
def test_the_list_filters(api_client, projects, flags, admin_user, query, listed):
    mine, other = projects

    assert _listed(api_client, admin_user, query.format(mine=mine.pk, other=other.pk)) == listed


def _invalid(detail: str, errors: dict[str, list[str]]) -> dict:
    """The API's one 400 shape, for errors given per field."""
    return {
        "detail": detail,
        "errors": [
            {"path": path, "message": message}
            for path, messages in errors.items()
            for message in messages
        ],
    }


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        (
            "?status=closed",
            {"status": ['"closed" is not allowed; use one of: open, resolved, all.']},
        ),
        (
            "?kind=gossip",
            {
                "kind": [
                    '"gossip" is not allowed; use one of: eligibility_breach, '
                    "eligibility_review, breach_scheduled, amendment_decision_overdue, "
                    "deliverable_overdue, milestone_overdue, report_overdue, instalment_ready, "
                    "instalment_blocked, instalment_decision, payment_late, "
                    "termination_report_overdue, accession_overdue, unallocated_shares."
                ]
            },
        ),
        (
            "?severity=urgent",
            {"severity": ['"urgent" is not allowed; use one of: critical, high, medium, low.']},
        ),
        ("?project=MINE", {"project": ["A valid integer is required."]}),
    ],
)
def test_a_bad_filter_value_is_a_400_naming_the_parameter(
    api_client, flags, admin_user, query, errors
):
    api_client.force_authenticate(admin_user)

    response = api_client.get(LIST_URL + query)

    assert response.status_code == 400
    assert response.json() == _invalid("The filters are not valid.", errors)


def test_the_list_takes_the_same_queries_whatever_the_page_size(
    api_client, projects, admin_user, django_assert_max_num_queries
):
    mine, _other = projects
    _sync([mine], [_finding(mine, f"rule_{n}") for n in range(12)])
    for flag in Flag.objects.all()[:6]:
        flag_acknowledge(flag=flag, user=admin_user, note="Seen.")
        flag_resolve(flag=flag, user=admin_user, note="Handled.")
    api_client.force_authenticate(admin_user)

    with CaptureQueriesContext(connection) as small:
        assert api_client.get(f"{LIST_URL}?status=all&page_size=2").status_code == 200
    with django_assert_max_num_queries(len(small)):
        response = api_client.get(f"{LIST_URL}?status=all&page_size=12")

    assert len(response.json()["results"]) == 12
    assert len(small) == 2  # the count and the page, users and projects joined in


@pytest.mark.parametrize(
    ("who", "query", "count", "pages"),
    [
        ("admin", "", 3, ["min_full_partners", "min_countries", "secondary_vet"]),
        ("officer", "", 2, ["min_full_partners", "secondary_vet"]),
        ("admin", "?status=all&severity=high", 2, ["min_countries", "gone"]),
        ("officer", "?status=all&severity=high", 1, ["gone"]),
    ],
)
def test_the_pages_count_and_follow_the_lists_order(
    api_client, projects, flags, admin_user, portfolio_officer, who, query, count, pages
):
    api_client.force_authenticate(admin_user if who == "admin" else portfolio_officer)
    separator = "&" if query else "?"
    url, seen = f"{LIST_URL}{query}{separator}page_size=1", []
    while url:
        body = api_client.get(url).json()
        assert body["count"] == count
        seen += [item["fingerprint"].split(":")[1] for item in body["results"]]
        url = body["next"]

    assert seen == pages


# -- one flag ----------------------------------------------------------------------------------


def test_a_flag_gives_its_whole_story(api_client, projects, flags, portfolio_officer):
    mine, _other = projects
    flag = flags["min_full_partners"]
    api_client.force_authenticate(portfolio_officer)

    response = api_client.get(f"{LIST_URL}{flag.pk}/")

    assert response.status_code == 200
    assert response.json() == {
        "id": flag.pk,
        "project": {"id": mine.pk, "acronym": "MINE", "grant_agreement_number": "101000001"},
        "kind": "eligibility_breach",
        "severity": "critical",
        "fingerprint": "eligibility_breach:min_full_partners",
        "message": "min_full_partners in English",
        "explanation": {
            "en": "min_full_partners in English",
            "lv": "Par maz partneru.",
            "details": {"rule": "min_full_partners"},
        },
        "first_seen_at": "2025-03-01T16:00:00+01:00",
        "last_seen_at": "2025-03-01T16:00:00+01:00",
        "status": "open",
        "resolved_at": None,
        "resolution": None,
        "resolution_note": "",
        "resolved_by": None,
        "acknowledged_at": None,
        "acknowledged_by": None,
        "acknowledgement_note": "",
    }


def test_the_message_comes_in_the_users_language_or_else_in_english(
    api_client, flags, portfolio_officer
):
    api_client.force_authenticate(portfolio_officer)

    with_latvian = api_client.get(
        f"{LIST_URL}{flags['min_full_partners'].pk}/", HTTP_ACCEPT_LANGUAGE="lv"
    )
    without = api_client.get(f"{LIST_URL}{flags['secondary_vet'].pk}/", HTTP_ACCEPT_LANGUAGE="lv")

    assert with_latvian.json()["message"] == "Par maz partneru."
    assert without.json()["message"] == "secondary_vet in English"


def test_a_flag_of_a_project_the_user_cannot_see_is_not_found(api_client, flags, portfolio_officer):
    api_client.force_authenticate(portfolio_officer)

    assert api_client.get(f"{LIST_URL}{flags['min_countries'].pk}/").status_code == 404
    assert api_client.get(f"{LIST_URL}999999/").status_code == 404


# -- acknowledging and resolving ---------------------------------------------------------------


def test_an_officer_acknowledges_a_flag(api_client, flags, portfolio_officer, time_machine):
    time_machine.move_to(datetime.datetime(2025, 3, 2, 8, 30, tzinfo=datetime.UTC), tick=False)
    flag = flags["min_full_partners"]
    api_client.force_authenticate(portfolio_officer)

    response = api_client.post(
        f"{LIST_URL}{flag.pk}/acknowledge", {"note": "Calling the coordinator."}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["acknowledged_at"], body["acknowledged_by"], body["acknowledgement_note"]) == (
        "2025-03-02T09:30:00+01:00",
        "portfolio-officer",
        "Calling the coordinator.",
    )
    assert body["status"] == "open"
    flag.refresh_from_db()
    assert (flag.acknowledged_by, flag.acknowledgement_note) == (
        portfolio_officer,
        "Calling the coordinator.",
    )


def test_acknowledging_needs_no_note(api_client, flags, portfolio_officer):
    api_client.force_authenticate(portfolio_officer)

    response = api_client.post(f"{LIST_URL}{flags['secondary_vet'].pk}/acknowledge", {})

    assert response.status_code == 200
    assert (response.json()["acknowledged_by"], response.json()["acknowledgement_note"]) == (
        "portfolio-officer",
        "",
    )


def test_an_officer_resolves_a_flag_with_a_note(api_client, flags, portfolio_officer, time_machine):
    time_machine.move_to(datetime.datetime(2025, 3, 2, 8, 30, tzinfo=datetime.UTC), tick=False)
    flag = flags["min_full_partners"]
    api_client.force_authenticate(portfolio_officer)

    response = api_client.post(
        f"{LIST_URL}{flag.pk}/resolve", {"note": "Replacement partner signed."}
    )

    assert response.status_code == 200
    body = response.json()
    assert {
        key: body[key]
        for key in ("status", "resolved_at", "resolution", "resolved_by", "resolution_note")
    } == {
        "status": "resolved",
        "resolved_at": "2025-03-02T09:30:00+01:00",
        "resolution": "manual",
        "resolved_by": "portfolio-officer",
        "resolution_note": "Replacement partner signed.",
    }
    flag.refresh_from_db()
    assert (flag.resolution, flag.resolved_by, flag.suppressed) == (
        "manual",
        portfolio_officer,
        True,
    )


def test_an_admin_may_triage_any_flag(api_client, flags, admin_user):
    api_client.force_authenticate(admin_user)

    response = api_client.post(
        f"{LIST_URL}{flags['min_countries'].pk}/resolve", {"note": "Agency decision."}
    )

    assert response.status_code == 200
    assert response.json()["resolved_by"] == "admin"


# -- refusals write nothing --------------------------------------------------------------------


@pytest.mark.parametrize("action", ["resolve", "acknowledge"])
@pytest.mark.parametrize("role", ["manager", "partner_contact"])
def test_a_manager_or_partner_may_look_but_not_triage(api_client, projects, flags, role, action):
    user = UserFactory(username="a-contact")
    _give_role(user, projects[0], role)
    flag = flags["min_full_partners"]
    api_client.force_authenticate(user)
    assert api_client.get(f"{LIST_URL}{flag.pk}/").status_code == 200
    before = _state()

    response = api_client.post(f"{LIST_URL}{flag.pk}/{action}", {"note": "We fixed it."})

    assert response.status_code == 403
    assert response.json() == {"detail": TRIAGE_REASON}
    assert _state() == before


def test_the_refusal_to_triage_comes_before_the_input_is_read(api_client, projects, flags):
    user = UserFactory(username="a-manager")
    _give_role(user, projects[0], "manager")
    api_client.force_authenticate(user)

    response = api_client.post(f"{LIST_URL}{flags['min_full_partners'].pk}/resolve", {})

    assert response.status_code == 403


@pytest.mark.parametrize("action", ["resolve", "acknowledge"])
def test_triaging_a_flag_of_a_project_the_user_cannot_see_is_not_found(
    api_client, flags, portfolio_officer, action
):
    api_client.force_authenticate(portfolio_officer)
    before = _state()

    response = api_client.post(
        f"{LIST_URL}{flags['min_countries'].pk}/{action}", {"note": "Not mine."}
    )

    assert response.status_code == 404
    assert _state() == before


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({}, {"note": ["This field is required."]}),
        ({"note": ""}, {"note": ["This field may not be blank."]}),
        ({"note": "   "}, {"note": ["This field may not be blank."]}),
        ({"note": "x" * 2001}, {"note": ["Ensure this field has no more than 2000 characters."]}),
    ],
)
def test_resolving_without_a_proper_note_is_a_400_naming_the_field(
    api_client, flags, portfolio_officer, payload, errors
):
    api_client.force_authenticate(portfolio_officer)
    before = _state()

    response = api_client.post(f"{LIST_URL}{flags['min_full_partners'].pk}/resolve", payload)

    assert response.status_code == 400
    assert response.json() == _invalid("Nothing was saved: the input has errors.", errors)
    assert _state() == before


def test_an_acknowledgement_note_too_long_is_a_400(api_client, flags, portfolio_officer):
    api_client.force_authenticate(portfolio_officer)
    before = _state()

    response = api_client.post(
        f"{LIST_URL}{flags['min_full_partners'].pk}/acknowledge", {"note": "x" * 2001}
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Nothing was saved: the input has errors.",
        "errors": [
            {"path": "note", "message": "Ensure this field has no more than 2000 characters."}
        ],
    }
    assert _state() == before


@pytest.mark.parametrize(
    ("action", "detail"),
    [
        ("resolve", "This flag is already resolved."),
        ("acknowledge", "This flag is already resolved: there is nothing left to acknowledge."),
    ],
)
def test_triaging_a_resolved_flag_is_a_409(api_client, flags, portfolio_officer, action, detail):
    api_client.force_authenticate(portfolio_officer)
    before = _state()

    response = api_client.post(f"{LIST_URL}{flags['gone'].pk}/{action}", {"note": "Again."})

    assert response.status_code == 409
    assert response.json() == {"detail": detail}
    assert _state() == before


# -- the schema --------------------------------------------------------------------------------


def test_the_openapi_schema_describes_the_flag_endpoints(client):
    response = client.get("/api/schema/?format=json")

    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    assert {
        "/api/v1/flags/",
        "/api/v1/flags/{flag_id}/",
        "/api/v1/flags/{flag_id}/acknowledge",
        "/api/v1/flags/{flag_id}/resolve",
    } <= set(paths)
    parameters = {p["name"] for p in paths["/api/v1/flags/"]["get"]["parameters"]}
    assert {"project", "kind", "severity", "status", "page", "page_size"} <= parameters
