"""The activity feed: a project's audit trail, newest first, filtered, for whoever can see the
project, and read only."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from backend.audit.models import Event
from backend.audit.services import event_record

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")


def _at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=BRUSSELS)


def _record(when: str, **fields) -> Event:
    with time_machine.travel(_at(when), tick=False):
        return event_record(**fields)


@pytest.fixture(autouse=True)
def _before_the_trail():
    """The grants are built on 1 May 2030, before the trail's first event (3 May 2030)."""
    with time_machine.travel(_at("2030-05-01T10:00:00"), tick=False):
        yield


@pytest.fixture
def trail(grant, other_grant, grant_users):
    """Each grant's import on 1 May 2030 (its "grant.imported" event, as the grant-file import
    records it: by the system, on the project), then four events of the grant and one of the
    other project."""
    for project in (grant, other_grant):
        _record(
            "2030-05-01T10:00:00",
            actor=None,
            verb="grant.imported",
            obj=project,
            project_id=project.pk,
            after={"acronym": project.acronym},
        )
    deliverable = grant.deliverables.get(code="D1.1")
    return {
        "late_evening": _record(
            "2030-05-03T23:30:00",
            actor=grant_users["manager"],
            verb="deliverable.submitted",
            obj=deliverable,
            before={"status": "draft"},
            after={"status": "submitted"},
        ),
        "just_after_midnight": _record(
            "2030-05-04T00:10:00",
            actor=grant_users["officer"],
            verb="deliverable.accepted",
            obj=deliverable,
            before={"status": "submitted"},
            after={"status": "accepted"},
            note="Good work.",
        ),
        "amendment": _record(
            "2030-05-05T12:00:00",
            actor=grant_users["manager"],
            verb="amendment.created",
            project_id=grant.pk,
            object_type="amendmentrequest",
            object_id=3,
            object_repr=f"{grant.acronym} amendment 3",
            after={"status": "draft"},
        ),
        "deliverables_file": _record(
            "2030-05-06T09:00:00",
            actor=grant_users["partner_contact"],
            verb="deliverablefile.uploaded",
            project_id=grant.pk,
            object_type="evidencefile",
            object_id=9,
            object_repr="report.pdf",
        ),
        "other": _record(
            "2030-05-05T12:00:00",
            actor=grant_users["other_manager"],
            verb="deliverable.submitted",
            obj=other_grant.deliverables.first(),
        ),
    }


def _url(project) -> str:
    return reverse("project-activity", args=[project.pk])


def _get(api_client, user, project, **query):
    api_client.force_authenticate(user)
    return api_client.get(_url(project), query)


def _verbs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["verb"] for item in response.json()["results"]]


def test_the_feed_lists_the_projects_events_newest_first(api_client, grant, grant_users, trail):
    response = _get(api_client, grant_users["officer"], grant)

    assert _verbs(response) == [
        "deliverablefile.uploaded",
        "amendment.created",
        "deliverable.accepted",
        "deliverable.submitted",
        "grant.imported",
    ]
    accepted = response.json()["results"][2]
    deliverable = grant.deliverables.get(code="D1.1")
    assert accepted == {
        "id": trail["just_after_midnight"].pk,
        "at": "2030-05-04T00:10:00+02:00",
        "actor": "po",
        "verb": "deliverable.accepted",
        "object_type": "deliverable",
        "object_id": str(deliverable.pk),
        "object": str(deliverable),
        "before": {"status": "submitted"},
        "after": {"status": "accepted"},
        "note": "Good work.",
    }
    imported = response.json()["results"][4]
    assert (imported["actor"], imported["object_type"], imported["object_id"]) == (
        "",
        "project",
        str(grant.pk),
    )


@pytest.mark.parametrize("who", ["admin", "officer", "manager", "partner_contact", "other_partner"])
def test_whoever_sees_the_project_sees_its_feed(api_client, grant, grant_users, trail, who):
    assert len(_verbs(_get(api_client, grant_users[who], grant))) == 5


@pytest.mark.parametrize("who", ["other_officer", "other_manager", "stranger"])
def test_others_get_404(api_client, grant, grant_users, trail, who):
    response = _get(api_client, grant_users[who], grant)

    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


def test_an_unknown_project_is_404(api_client, grant_users):
    api_client.force_authenticate(grant_users["admin"])

    assert api_client.get(reverse("project-activity", args=[999999])).status_code == 404


def test_an_anonymous_request_gets_401(api_client, grant, trail):
    assert api_client.get(_url(grant)).status_code == 401


def test_the_other_projects_feed_shows_only_its_own_events(
    api_client, other_grant, grant_users, trail
):
    assert _verbs(_get(api_client, grant_users["other_officer"], other_grant)) == [
        "deliverable.submitted",
        "grant.imported",
    ]


# -- filters -----------------------------------------------------------------------------------


def test_a_verb_filters_exactly(api_client, grant, grant_users, trail):
    response = _get(api_client, grant_users["officer"], grant, verb="deliverable.submitted")

    assert _verbs(response) == ["deliverable.submitted"]


def test_a_verb_ending_with_a_dot_filters_by_prefix(api_client, grant, grant_users, trail):
    response = _get(api_client, grant_users["officer"], grant, verb="deliverable.")

    # "deliverablefile.uploaded" does not start with "deliverable."
    assert _verbs(response) == ["deliverable.accepted", "deliverable.submitted"]


def test_a_verb_without_the_dot_is_not_a_prefix(api_client, grant, grant_users, trail):
    assert _verbs(_get(api_client, grant_users["officer"], grant, verb="deliverable")) == []


def test_object_type_and_actor_filter(api_client, grant, grant_users, trail):
    by_type = _get(api_client, grant_users["officer"], grant, object_type="amendmentrequest")
    by_actor = _get(api_client, grant_users["officer"], grant, actor="pm")
    both = _get(api_client, grant_users["officer"], grant, actor="pm", object_type="deliverable")

    assert _verbs(by_type) == ["amendment.created"]
    assert _verbs(by_actor) == ["amendment.created", "deliverable.submitted"]
    assert _verbs(both) == ["deliverable.submitted"]


def test_since_and_until_are_brussels_days_both_included(api_client, grant, grant_users, trail):
    # 23:30 on 3 May 2030 in Brussels is 21:30 UTC; 00:10 on 4 May in Brussels is 22:10 UTC
    # on 3 May.
    on_the_3rd = _get(
        api_client, grant_users["officer"], grant, since="2030-05-03", until="2030-05-03"
    )
    on_the_4th = _get(
        api_client, grant_users["officer"], grant, since="2030-05-04", until="2030-05-04"
    )
    from_the_5th = _get(api_client, grant_users["officer"], grant, since="2030-05-05")
    until_the_5th = _get(
        api_client, grant_users["officer"], grant, until="2030-05-05", verb="amendment."
    )

    assert _verbs(on_the_3rd) == ["deliverable.submitted"]
    assert _verbs(on_the_4th) == ["deliverable.accepted"]
    assert _verbs(from_the_5th) == ["deliverablefile.uploaded", "amendment.created"]
    assert _verbs(until_the_5th) == ["amendment.created"]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        (
            {"since": "2026-13-01"},
            {"since": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
        (
            {"until": "yesterday"},
            {"until": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
        (
            {"since": "2030-05-05", "until": "2030-05-04"},
            {"until": ["The last day 2030-05-04 is before the first day 2030-05-05."]},
        ),
        (
            {"verb": "x" * 61},
            {"verb": ["Ensure this field has no more than 60 characters."]},
        ),
    ],
    ids=["since", "until", "until-before-since", "verb-too-long"],
)
def test_a_malformed_filter_is_400_naming_it(api_client, grant, grant_users, trail, query, errors):
    response = _get(api_client, grant_users["officer"], grant, **query)

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The filters are not valid.",
        "errors": [
            {"path": path, "message": message}
            for path, messages in errors.items()
            for message in messages
        ],
    }


def test_a_hidden_project_is_404_even_with_a_malformed_filter(
    api_client, grant, grant_users, trail
):
    assert _get(api_client, grant_users["stranger"], grant, since="nonsense").status_code == 404


# -- read only ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch", "delete", "post"])
def test_no_method_changes_the_feed(api_client, grant, grant_users, trail, method):
    api_client.force_authenticate(grant_users["admin"])
    before = list(Event.objects.values_list("id", "verb", "note", "after"))

    response = getattr(api_client, method)(_url(grant), {"note": "Rewritten."})

    assert response.status_code == 405
    assert list(Event.objects.values_list("id", "verb", "note", "after")) == before


# -- queries -----------------------------------------------------------------------------------


def test_the_feed_takes_the_same_queries_whatever_the_page_size(
    api_client, grant, grant_users, trail, django_assert_max_num_queries
):
    for number in range(30):
        _record(
            f"2030-06-01T10:{number:02d}:00",
            actor=grant_users["officer"],
            verb="flag.acknowledged",
            project_id=grant.pk,
            object_type="flag",
            object_id=number,
        )
    api_client.force_authenticate(grant_users["officer"])

    with django_assert_max_num_queries(6) as small:
        small_page = api_client.get(_url(grant), {"page_size": 2})
    with django_assert_max_num_queries(len(small)):
        big_page = api_client.get(_url(grant), {"page_size": 200})

    assert (len(small_page.json()["results"]), len(big_page.json()["results"])) == (2, 35)
    assert big_page.json()["count"] == 35
