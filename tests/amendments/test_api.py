"""The amendment API: who may take which step, what each answer holds, invalid input refused
with the field's path, steps out of order refused with 409, and nothing written on a refusal."""

import datetime
import json

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from backend.amendments.models import AmendmentRequest
from backend.amendments.services import amendment_create, amendment_submit
from tests.amendments.helpers import (
    DOWN_TO_SEVEN,
    add,
    as_json,
    new_organisation,
    row_counts,
    terminate,
)

pytestmark = pytest.mark.django_db

SUBMITTED = datetime.datetime(2026, 5, 4, 9, 0, tzinfo=datetime.UTC)
ROLES = ["admin", "officer", "other_officer", "manager", "partner_contact", "stranger"]


def _url(project, suffix=""):
    return f"/api/v1/projects/{project.pk}/amendments/{suffix}"


def _draft(project, manager, changes=None, justification="Restructuring.") -> AmendmentRequest:
    return amendment_create(
        project=project,
        user=manager,
        justification=justification,
        changes=changes if changes is not None else [terminate("ZSTW", "2026-06-30")],
    )


def _submitted(project, manager, changes=None) -> AmendmentRequest:
    draft = _draft(project, manager, changes)
    with time_machine.travel(SUBMITTED, tick=False):
        return amendment_submit(request=draft, user=manager)


def _terminate_on(participant: str, text: str) -> dict:
    """A termination as a client may send it, its date as typed (perhaps not a date)."""
    return {"kind": "terminate_participation", "participant": participant, "effective_on": text}


def _paths(response) -> list[str]:
    return [error["path"] for error in response.json()["errors"]]


# -- creating a draft ----------------------------------------------------------------------------


def test_a_manager_creates_a_draft_and_gets_its_what_if(api_client, demo, manager):
    api_client.force_authenticate(manager)
    before = row_counts("grants", "workplan", "accounts")

    response = api_client.post(
        _url(demo),
        {
            "justification": "SESUPE's workshop passes to a new company.",
            "changes": as_json(
                [
                    terminate("SESUPE", "2026-09-30"),
                    add(
                        effective_on="2026-09-30",
                        **new_organisation("SESUPE-2", "993000020", "LT", ["enterprise"]),
                    ),
                ]
            ),
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    amendment = AmendmentRequest.objects.get()
    assert body["id"] == amendment.pk
    assert (body["status"], body["decision_due_on"], body["deemed_rejected"]) == (
        "draft",
        None,
        False,
    )
    assert body["created_by"] == "pm"
    assert [(c["position"], c["kind"], c["participant"]) for c in body["changes"]] == [
        (1, "terminate_participation", "SESUPE"),
        (2, "add_beneficiary", None),
    ]
    assert body["changes"][1] | {"participation_id": None} == {
        "position": 2,
        "kind": "add_beneficiary",
        "effective_on": "2026-09-30",
        "participant": None,
        "participation_id": None,
        "pic": "993000020",
        "legal_name": "SESUPE-2 Legal Name",
        "short_name": "SESUPE-2",
        "country": "LT",
        "types": ["enterprise"],
        "affiliated_to": None,
        "initiated_by": None,
        "details": None,
    }
    what_if = body["what_if"]
    assert what_if["effective_on"] == "2026-09-30"
    assert what_if["verdict"]["compliant"] is True
    assert what_if["breach_dates"] == []
    assert body["problems"] == []
    # The what-if part wrote nothing: only the request and its changes are new.
    assert row_counts("grants", "workplan", "accounts") == before
    assert row_counts("amendments") == {
        "amendments.AmendmentRequest": 1,
        "amendments.InformationRequest": 0,
        "amendments.AmendmentChange": 2,
    }


def test_the_what_if_endpoint_writes_nothing_and_lists_the_breach_date(
    api_client, demo, manager, django_capture_on_commit_callbacks
):
    api_client.force_authenticate(manager)
    before = row_counts()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api_client.post(
            _url(demo, "what-if"),
            {"changes": as_json([terminate(key, "2026-06-30") for key in DOWN_TO_SEVEN])},
            format="json",
        )

    assert response.status_code == 200, response.content
    assert row_counts() == before
    assert callbacks == []
    body = response.json()
    assert body["effective_on"] == "2026-06-30"
    assert body["breach_dates"] == ["2026-07-01"]
    breach = body["changes_over_time"][-1]
    assert breach["starts_on"] == "2026-07-01"
    assert breach["verdict"]["status"] == "breach"
    assert [r["rule"] for r in breach["verdict"]["results"] if r["status"] == "breach"] == [
        "min_full_partners"
    ]


def test_the_what_if_and_its_errors_come_in_the_users_language(api_client, demo, manager):
    api_client.force_authenticate(manager)

    response = api_client.post(
        _url(demo, "what-if"),
        {"changes": as_json([terminate(key, "2026-06-30") for key in DOWN_TO_SEVEN])},
        format="json",
        HTTP_ACCEPT_LANGUAGE="lv",
    )
    refused = api_client.post(
        _url(demo, "what-if"),
        {
            "changes": [
                {
                    "kind": "terminate_participation",
                    "participant": "ZSTW",
                    "effective_on": "30.06.2026",
                }
            ]
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="lv",
    )

    rule = response.json()["changes_over_time"][-1]["verdict"]["results"][0]
    assert rule["rule"] == "min_full_partners"
    assert rule["message"] == rule["messages"]["lv"]
    with translation.override("lv"):
        wrong_format = translation.gettext(
            "Date has wrong format. Use one of these formats instead: {format}."
        ).format(format="YYYY-MM-DD")
    assert wrong_format.startswith("Datuma")
    assert refused.json()["errors"] == [
        {"path": "changes[0].effective_on", "message": wrong_format}
    ]


# -- invalid input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("_case", "changes", "errors"),
    [
        (
            "unknown participant",
            [terminate("NOBODY", "2026-06-30")],
            [
                (
                    "changes[0].participant",
                    'No participant of this project has the short name "NOBODY".',
                )
            ],
        ),
        (
            "participant of another project",
            [terminate("ACME", "2026-06-30")],
            [
                (
                    "changes[0].participant",
                    'No participant of this project has the short name "ACME".',
                )
            ],
        ),
        (
            "effective date before the project start",
            [terminate("ZSTW", "2026-06-30"), terminate("HOIVA", "2024-02-29")],
            [
                (
                    "changes[1].effective_on",
                    "The project starts on 2024-03-01; a change cannot take effect before.",
                )
            ],
        ),
        (
            "effective date after the project end",
            [terminate("ZSTW", "2028-03-01")],
            [
                (
                    "changes[0].effective_on",
                    "The project ends on 2028-02-29; a change cannot take effect after.",
                )
            ],
        ),
        (
            "malformed date",
            [terminate("ZSTW", "2026-06-30"), _terminate_on("HOIVA", "30.06.2026")],
            [
                (
                    "changes[1].effective_on",
                    "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
                )
            ],
        ),
        (
            "impossible date",
            [_terminate_on("ZSTW", "2026-02-30")],
            [
                (
                    "changes[0].effective_on",
                    "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
                )
            ],
        ),
        (
            "participant who already left",
            [terminate("LINDENAU", "2026-06-30")],
            [
                (
                    "changes[0].participant",
                    '"LINDENAU" does not take part in the project on 2026-06-30.',
                )
            ],
        ),
        (
            "unknown kind",
            [{"kind": "merge", "effective_on": "2026-06-30"}],
            [("changes[0].kind", '"merge" is not a valid choice.')],
        ),
        (
            "a field the kind does not use",
            [_terminate_on("ZSTW", "2026-06-30") | {"pic": "993000021"}],
            [("changes[0].pic", "A change of this kind does not use this field.")],
        ),
        (
            "PIC not 9 digits, unknown country and type",
            [
                {
                    "kind": "add_beneficiary",
                    "effective_on": "2026-06-30",
                    **new_organisation("NEWCO", "12345", "XX", ["enterprise", "bakery"]),
                }
            ],
            [
                ("changes[0].pic", "A PIC is exactly 9 digits."),
                ("changes[0].types[1]", '"bakery" is not a valid choice.'),
            ],
        ),
        (
            "unknown country",
            [
                add(
                    effective_on="2026-06-30",
                    **new_organisation("NEWCO", "993000022", "XX", ["ngo"]),
                )
            ],
            [
                (
                    "changes[0].country",
                    'Unknown country code "XX"; give an ISO 3166-1 alpha-2 code, e.g. PT.',
                )
            ],
        ),
        (
            "a new organisation without its country and types",
            [add(effective_on="2026-06-30", pic="993000023", short_name="NEWCO")],
            [
                (f"changes[0].{field}", message)
                for field in ("legal_name", "country", "types")
                for message in [
                    "The system does not know the organisation with PIC 993000023 yet: give "
                    "its legal name, country and types."
                ]
            ],
        ),
        (
            "short name taken",
            [
                add(
                    effective_on="2026-06-30",
                    **new_organisation("ZSTW", "993000024", "PL", ["ngo"]),
                )
            ],
            [("changes[0].short_name", 'The short name "ZSTW" is already taken in this project.')],
        ),
        (
            "a known PIC described differently",
            [
                add(
                    effective_on="2026-06-30",
                    pic="999999002",
                    short_name="ACME",
                    country="ES",
                )
            ],
            [
                (
                    "changes[0].country",
                    'The organisation with PIC 999999002 is recorded with country "PT". Leave it '
                    "out, or change the organisation first.",
                )
            ],
        ),
        (
            "a PIC already taking part",
            [add(effective_on="2026-06-30", pic="992100702", short_name="NORDLYS-2")],
            [
                (
                    "changes[0].pic",
                    "The organisation with PIC 992100702 already takes part in the project as "
                    '"NORDLYS" on or after 2026-06-30.',
                )
            ],
        ),
        (
            "affiliated to an associated partner",
            [
                add(
                    "add_affiliated_entity",
                    effective_on="2026-06-30",
                    affiliated_to="EAL",
                    **new_organisation("EAL-LAB", "993000025", "EE", ["research"]),
                )
            ],
            [("changes[0].affiliated_to", '"EAL" is not a beneficiary or the coordinator.')],
        ),
        (
            "an affiliated entity without its beneficiary",
            [
                add(
                    "add_affiliated_entity",
                    effective_on="2026-06-30",
                    **new_organisation("LAB", "993000026", "EE", ["research"]),
                )
            ],
            [("changes[0].affiliated_to", "This field is required for a change of this kind.")],
        ),
        (
            "a coordinator who is not a beneficiary",
            [
                {
                    "kind": "change_coordinator",
                    "participant": "PUAS-LAB",
                    "effective_on": "2026-07-01",
                }
            ],
            [
                (
                    "changes[0].participant",
                    'The new coordinator must be a beneficiary (full partner); "PUAS-LAB" is not.',
                )
            ],
        ),
        (
            "a participant terminated twice",
            [terminate("ZSTW", "2026-06-30"), terminate("ZSTW", "2026-05-31")],
            [("changes[1].participant", "changes[0] already ends this participation.")],
        ),
        (
            "the same country as recorded",
            [
                {
                    "kind": "change_organisation_country",
                    "participant": "NORDLYS",
                    "country": "NO",
                    "effective_on": "2026-07-01",
                }
            ],
            [("changes[0].country", "The organisation is already recorded in NO.")],
        ),
    ],
)
def test_invalid_changes_are_refused_naming_each_field_and_write_nothing(
    api_client, demo, other_project, manager, _case, changes, errors
):
    api_client.force_authenticate(manager)
    before = row_counts()

    body = {"changes": as_json(changes)}
    created = api_client.post(_url(demo), {"justification": "x", **body}, format="json")
    tried = api_client.post(_url(demo, "what-if"), body, format="json")

    assert (created.status_code, tried.status_code) == (400, 400)
    assert created.json()["detail"] == "The amendment request was not saved."
    assert tried.json()["detail"] == "The changes are not valid."
    expected = [{"path": path, "message": message} for path, message in errors]
    assert created.json()["errors"] == expected
    assert tried.json()["errors"] == expected
    assert row_counts() == before


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"justification": "x"}, [("changes", "This field is required.")]),
        ({"justification": "x", "changes": None}, [("changes", "This field is required.")]),
        (
            {"changes": "terminate ZSTW"},
            [("changes", 'Expected a list of items but got type "str".')],
        ),
        ({"changes": [], "justification": 5}, [("justification", "Not a valid string.")]),
        (
            {"changes": [{}]},
            [
                ("changes[0].kind", "This field is required."),
                ("changes[0].effective_on", "This field is required."),
            ],
        ),
    ],
)
def test_a_malformed_body_is_a_400_naming_the_field(api_client, demo, manager, body, errors):
    api_client.force_authenticate(manager)
    before = row_counts()

    response = api_client.post(_url(demo), body, format="json")

    assert response.status_code == 400
    assert [(e["path"], e["message"]) for e in response.json()["errors"]] == errors
    assert row_counts() == before


def test_an_update_with_invalid_changes_keeps_the_draft_as_it_was(api_client, demo, manager):
    draft = _draft(demo, manager)
    api_client.force_authenticate(manager)
    before = row_counts()

    response = api_client.put(
        _url(demo, f"{draft.pk}/"),
        {"justification": "Changed", "changes": as_json([terminate("ZSTW", "2020-01-01")])},
        format="json",
    )

    assert response.status_code == 400
    assert _paths(response) == ["changes[0].effective_on"]
    assert row_counts() == before
    draft.refresh_from_db()
    assert draft.justification == "Restructuring."


# -- the decision ------------------------------------------------------------------------------


def test_submit_then_approve_over_http(api_client, demo, manager, po):
    draft = _draft(demo, manager)
    api_client.force_authenticate(manager)
    with time_machine.travel(SUBMITTED, tick=False):
        submitted = api_client.post(_url(demo, f"{draft.pk}/submit"))
    api_client.force_authenticate(po)
    with time_machine.travel(SUBMITTED + datetime.timedelta(days=10), tick=False):
        approved = api_client.post(
            _url(demo, f"{draft.pk}/approve"), {"note": "Agreed."}, format="json"
        )

    assert submitted.status_code == 200
    assert (
        submitted.json()["status"],
        submitted.json()["submitted_by"],
        submitted.json()["decision_due_on"],
        submitted.json()["deemed_rejected"],
    ) == ("submitted", "pm", "2026-06-18", False)
    assert submitted.json()["what_if"]["effective_on"] == "2026-06-30"
    assert approved.status_code == 200, approved.content
    assert (
        approved.json()["status"],
        approved.json()["decided_by"],
        approved.json()["decision_note"],
        approved.json()["what_if"],
    ) == ("approved", "po", "Agreed.", None)
    assert demo.participations.get(short_name="ZSTW").left_on == datetime.date(2026, 6, 30)


def test_approving_a_breach_over_http_needs_an_override(api_client, demo, manager, po):
    amendment = _submitted(demo, manager, [terminate(key, "2026-06-30") for key in DOWN_TO_SEVEN])
    api_client.force_authenticate(po)
    before = row_counts()

    with time_machine.travel(SUBMITTED, tick=False):
        refused = api_client.post(_url(demo, f"{amendment.pk}/approve"), {}, format="json")
        after_refusal = row_counts()
        approved = api_client.post(
            _url(demo, f"{amendment.pk}/approve"),
            {"note": "Accepted.", "override_justification": "A new partner joins in September."},
            format="json",
        )

    assert refused.status_code == 400
    assert refused.json() == {
        "detail": "The amendment request was not approved.",
        "errors": [
            {
                "path": "override_justification",
                "message": "With these changes the consortium would be in breach: the minimum "
                "number of full partners from 2026-07-01. Approving needs an override "
                "justification.",
            }
        ],
    }
    assert after_refusal == before
    assert approved.status_code == 200
    assert approved.json()["override_justification"] == "A new partner joins in September."


def test_a_request_past_its_decision_date_is_shown_as_deemed_rejected(
    api_client, demo, manager, po
):
    amendment = _submitted(demo, manager)
    api_client.force_authenticate(po)

    with time_machine.travel(datetime.datetime(2026, 6, 18, 21, 0, tzinfo=datetime.UTC)):
        on_day_45 = api_client.get(_url(demo, f"{amendment.pk}/")).json()["deemed_rejected"]
    with time_machine.travel(datetime.datetime(2026, 6, 18, 22, 30, tzinfo=datetime.UTC)):
        # Already 19 June in Brussels.
        listed = api_client.get(_url(demo)).json()["results"][0]
        approving = api_client.post(_url(demo, f"{amendment.pk}/approve"), {}, format="json")

    assert on_day_45 is False
    assert (listed["deemed_rejected"], listed["decision_due_on"]) == (True, "2026-06-18")
    assert approving.status_code == 409
    assert approving.json()["detail"].startswith("No decision was taken by 2026-06-18")


@pytest.mark.parametrize(
    ("_case", "step", "status", "expected"),
    [
        (
            "approving a draft",
            "approve",
            "draft",
            'Only a submitted request can be approved; this request is "Draft".',
        ),
        (
            "rejecting a draft",
            "reject",
            "draft",
            'Only a submitted request can be rejected; this request is "Draft".',
        ),
        (
            "submitting twice",
            "submit",
            "submitted",
            'Only a draft can be submitted; this request is "Submitted".',
        ),
        (
            "editing a submitted request",
            "edit",
            "submitted",
            'Only a draft can be changed; this request is "Submitted".',
        ),
    ],
)
def test_steps_out_of_order_are_a_409(api_client, demo, users, _case, step, status, expected):
    manager = users["manager"]
    amendment = _draft(demo, manager) if status == "draft" else _submitted(demo, manager)
    # An administrator may take every step, so only the order is wrong.
    api_client.force_authenticate(users["admin"])
    before = row_counts()

    if step == "edit":
        response = api_client.put(
            _url(demo, f"{amendment.pk}/"), {"justification": "x", "changes": []}, format="json"
        )
    else:
        response = api_client.post(
            _url(demo, f"{amendment.pk}/{step}"), {"note": "Why not."}, format="json"
        )

    assert response.status_code == 409
    assert response.json() == {"detail": expected}
    assert row_counts() == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Say why the request is rejected."),
        ({"note": None}, "Say why the request is rejected."),
        ({"note": "   "}, "Say why the request is rejected."),
        ({"note": 5}, "Not a valid string."),
    ],
)
def test_rejecting_over_http_needs_a_note(api_client, demo, manager, po, body, message):
    amendment = _submitted(demo, manager)
    api_client.force_authenticate(po)
    before = row_counts()

    with time_machine.travel(SUBMITTED, tick=False):
        response = api_client.post(_url(demo, f"{amendment.pk}/reject"), body, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The amendment request was not rejected.",
        "errors": [{"path": "note", "message": message}],
    }
    assert row_counts() == before


def test_a_step_out_of_order_is_a_409_whatever_the_body(api_client, demo, manager):
    """The request's status is checked before its input is read."""
    amendment = _submitted(demo, manager)
    api_client.force_authenticate(manager)

    response = api_client.put(
        _url(demo, f"{amendment.pk}/"), {"changes": "terminate ZSTW"}, format="json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": 'Only a draft can be changed; this request is "Submitted".'
    }


# -- who may do what -----------------------------------------------------------------------------

# (endpoint, role) -> status. Officers and partner contacts do not see drafts (404); those who
# see a project but may not take a step get 403 with the reason.
# Columns: admin, officer, other_officer, manager, partner_contact, stranger
EXPECTED = {
    "list": (200, 200, 404, 200, 200, 404),
    "create": (201, 403, 404, 201, 403, 404),
    "what-if": (200, 200, 404, 200, 403, 404),
    "get draft": (200, 404, 404, 200, 404, 404),
    "get submitted": (200, 200, 404, 200, 200, 404),
    "update draft": (200, 404, 404, 200, 404, 404),
    "submit draft": (200, 404, 404, 200, 404, 404),
    "approve": (200, 200, 404, 403, 403, 404),
    "reject": (200, 200, 404, 403, 403, 404),
}

REASONS = {
    "create": "Only the project's managers and administrators draft and submit amendment requests.",
    "what-if": "Only the project's managers, its agency officers and administrators try changes "
    "out.",
    "approve": "Only the project's agency officers and administrators approve or reject "
    "amendment requests.",
    "reject": "Only the project's agency officers and administrators approve or reject "
    "amendment requests.",
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", list(EXPECTED))
def test_each_role_on_each_endpoint(api_client, demo, users, endpoint, role):
    manager = users["manager"]
    draft = _draft(demo, manager)
    submitted = _submitted(demo, manager)
    changes = as_json([terminate("HOIVA", "2026-06-30")])
    api_client.force_authenticate(users[role])
    before = row_counts()

    with time_machine.travel(SUBMITTED, tick=False):
        response = {
            "list": lambda: api_client.get(_url(demo)),
            "create": lambda: api_client.post(
                _url(demo), {"justification": "x", "changes": changes}, format="json"
            ),
            "what-if": lambda: api_client.post(
                _url(demo, "what-if"), {"changes": changes}, format="json"
            ),
            "get draft": lambda: api_client.get(_url(demo, f"{draft.pk}/")),
            "get submitted": lambda: api_client.get(_url(demo, f"{submitted.pk}/")),
            "update draft": lambda: api_client.put(
                _url(demo, f"{draft.pk}/"),
                {"justification": "y", "changes": changes},
                format="json",
            ),
            "submit draft": lambda: api_client.post(_url(demo, f"{draft.pk}/submit")),
            "approve": lambda: api_client.post(
                _url(demo, f"{submitted.pk}/approve"), {"note": "ok"}, format="json"
            ),
            "reject": lambda: api_client.post(
                _url(demo, f"{submitted.pk}/reject"), {"note": "no"}, format="json"
            ),
        }[endpoint]()

    expected = EXPECTED[endpoint][ROLES.index(role)]
    assert response.status_code == expected, response.content
    if expected == 403:
        assert response.json() == {"detail": REASONS[endpoint]}
    if expected >= 400 or endpoint in ("list", "what-if") or endpoint.startswith("get"):
        assert row_counts() == before


def test_the_list_hides_drafts_from_those_who_do_not_draft(api_client, demo, users):
    _draft(demo, users["manager"])
    submitted = _submitted(demo, users["manager"])

    seen = {}
    for role in ("manager", "officer", "partner_contact"):
        api_client.force_authenticate(users[role])
        seen[role] = [item["status"] for item in api_client.get(_url(demo)).json()["results"]]

    assert seen == {
        "manager": ["submitted", "draft"],
        "officer": ["submitted"],
        "partner_contact": ["submitted"],
    }
    assert submitted.pk


def test_an_anonymous_request_is_a_401(api_client, demo):
    assert api_client.get(_url(demo)).status_code == 401


def test_a_request_of_another_project_is_not_found_under_this_one(
    api_client, demo, other_project, users
):
    amendment = _submitted(demo, users["manager"])
    api_client.force_authenticate(users["admin"])

    response = api_client.get(f"/api/v1/projects/{other_project.pk}/amendments/{amendment.pk}/")

    assert response.status_code == 404


def test_the_list_takes_the_same_queries_whatever_its_length(
    api_client, demo, users, django_assert_max_num_queries
):
    api_client.force_authenticate(users["manager"])
    _draft(demo, users["manager"])
    with CaptureQueriesContext(connection) as one:
        api_client.get(_url(demo))
    for _ in range(5):
        _draft(
            demo,
            users["manager"],
            [terminate("ZSTW", "2026-06-30"), terminate("HOIVA", "2026-06-30")],
        )

    with django_assert_max_num_queries(len(one)):
        response = api_client.get(_url(demo))

    assert response.json()["count"] == 6


def test_the_openapi_schema_describes_the_amendment_endpoints(client):
    response = client.get("/api/schema/?format=json")

    paths = json.loads(response.content)["paths"]
    assert {
        "/api/v1/projects/{project_id}/amendments/",
        "/api/v1/projects/{project_id}/amendments/what-if",
        "/api/v1/projects/{project_id}/amendments/{amendment_id}/",
        "/api/v1/projects/{project_id}/amendments/{amendment_id}/submit",
        "/api/v1/projects/{project_id}/amendments/{amendment_id}/approve",
        "/api/v1/projects/{project_id}/amendments/{amendment_id}/reject",
    } <= set(paths)


def test_a_draft_that_no_longer_fits_the_record_shows_why_instead_of_a_what_if(
    api_client, demo, manager
):
    draft = _draft(demo, manager, [terminate("ZSTW", "2026-06-30")])
    demo.participations.filter(short_name="ZSTW").update(left_on="2025-12-31")
    api_client.force_authenticate(manager)

    body = api_client.get(_url(demo, f"{draft.pk}/")).json()

    assert body["what_if"] is None
    assert body["problems"] == [
        {
            "path": "changes[0].participant",
            "message": '"ZSTW" does not take part in the project on 2026-06-30.',
        }
    ]
