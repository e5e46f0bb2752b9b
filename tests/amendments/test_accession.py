"""The accession of a new beneficiary (edge case 28): an approved request adds it "pending
accession", due within the rule set's accession days; it does not count toward the composition
until the agency records its accession, from the accession date on; past its due date it is
flagged, and its non-accession can be recorded, after which it never counts."""

import datetime

import pytest
import time_machine

from backend.amendments.accession import accession_record
from backend.amendments.services import amendment_approve, amendment_create, amendment_submit
from backend.grants.models import Participation
from monitoring.accessions import accession_findings
from monitoring.checks import check_projects
from monitoring.models import Flag, FlagKind
from tests.amendments.helpers import (
    DOWN_TO_SEVEN,
    add,
    day,
    new_organisation,
    row_counts,
    terminate,
)

pytestmark = pytest.mark.django_db

# The demo's request: six partners leave on 30 June 2026, leaving 7 full partners where 8 are
# needed, and NEWCO (a Latvian enterprise) joins on 1 July to make 8 again. Submitted on 4 May,
# approved on 11 May 2026: NEWCO's accession is due by the rule set's days after the approval.
SUBMITTED = datetime.datetime(2026, 5, 4, 9, 0, tzinfo=datetime.UTC)
APPROVED = datetime.datetime(2026, 5, 11, 9, 0, tzinfo=datetime.UTC)
NEWCO_PIC = "993000028"


def _at(text: str) -> datetime.datetime:
    """A moment, given in UTC as YYYY-MM-DDTHH:MM."""
    return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.UTC)


def _newcomer(project, manager, officer) -> Participation:
    """The request approved: NEWCO, pending its accession."""
    draft = amendment_create(
        project=project,
        user=manager,
        justification="Six partners leave; NEWCO takes over their work.",
        changes=[
            *[terminate(key, "2026-06-30") for key in DOWN_TO_SEVEN],
            add(
                effective_on="2026-07-01",
                **new_organisation("NEWCO", NEWCO_PIC, "LV", ["enterprise"]),
            ),
        ],
    )
    with time_machine.travel(SUBMITTED, tick=False):
        submitted = amendment_submit(request=draft, user=manager)
    with time_machine.travel(APPROVED, tick=False):
        amendment_approve(request=submitted, user=officer)
    return Participation.objects.get(project=project, short_name="NEWCO")


def _verdict(client, user, project, as_of: str) -> dict:
    client.force_authenticate(user)
    response = client.get(f"/api/v1/projects/{project.pk}/eligibility", {"as_of": as_of})
    assert response.status_code == 200, response.content
    body = response.json()
    rule = next(r for r in body["results"] if r["rule"] == "min_full_partners")
    newco = next(p for p in body["participants"] if p["participant"] == "NEWCO")
    return {
        "min_full_partners": (rule["status"], rule["found"], "NEWCO" in rule["participants"]),
        "newco_takes_part": newco["takes_part"],
    }


def _url(project, participation, step: str) -> str:
    return f"/api/v1/projects/{project.pk}/participants/{participation.pk}/{step}"


def _post(client, user, url, body, *, at: str = "2026-07-25T08:00"):
    client.force_authenticate(user)
    with time_machine.travel(_at(at), tick=False):
        return client.post(url, body, format="json")


# -- the addition --------------------------------------------------------------------------------


def test_an_approved_addition_joins_pending_its_accession_due_by_the_rule_sets_days(
    api_client, demo, users
):
    ruleset = demo.call.ruleset
    ruleset.accession_days = 45
    ruleset.save(update_fields=["accession_days"])

    newco = _newcomer(demo, users["manager"], users["officer"])

    assert (newco.accession, newco.accession_due_on, newco.acceded_on, newco.counts_from) == (
        "pending",
        day("2026-06-25"),  # approved on 11 May + 45 days
        None,
        None,
    )
    api_client.force_authenticate(users["partner_contact"])
    with time_machine.travel(_at("2026-06-25T08:00"), tick=False):
        listed = api_client.get(f"/api/v1/projects/{demo.pk}/accessions/").json()
    assert listed == [
        {
            "participation_id": newco.pk,
            "participant": "NEWCO",
            "pic": NEWCO_PIC,
            "role": "beneficiary",
            "joined_on": "2026-07-01",
            "left_on": None,
            "accession": "pending",
            "accession_due_on": "2026-06-25",
            "acceded_on": None,
            "counts_from": None,
            "overdue": False,
        }
    ]


def test_an_associated_partner_does_not_accede(demo, users):
    draft = amendment_create(
        project=demo,
        user=users["manager"],
        justification="A new associated partner.",
        changes=[
            add(
                "add_associated_partner",
                effective_on="2026-07-01",
                **new_organisation("ASSOC", "993000036", "LV", ["enterprise"]),
            )
        ],
    )
    with time_machine.travel(SUBMITTED, tick=False):
        submitted = amendment_submit(request=draft, user=users["manager"])
    with time_machine.travel(APPROVED, tick=False):
        amendment_approve(request=submitted, user=users["officer"])

    assoc = Participation.objects.get(project=demo, short_name="ASSOC")
    assert (assoc.accession, assoc.accession_due_on, assoc.counts_from) == (
        "acceded",
        None,
        day("2026-07-01"),
    )


# -- edge case 28: pending does not count --------------------------------------------------------


def test_a_pending_beneficiary_counts_only_from_its_accession_date(api_client, demo, users):
    newco = _newcomer(demo, users["manager"], users["officer"])
    officer = users["officer"]

    # Pending: from 1 July the consortium has 7 full partners, a breach no recorded change ends.
    assert _verdict(api_client, officer, demo, "2026-06-30") == {
        "min_full_partners": ("pass", 13, False),
        "newco_takes_part": False,
    }
    assert _verdict(api_client, officer, demo, "2026-07-15") == {
        "min_full_partners": ("breach", 7, False),
        "newco_takes_part": False,
    }

    response = _post(
        api_client, officer, _url(demo, newco, "accession"), {"acceded_on": "2026-07-20"}
    )

    assert response.status_code == 200, response.content
    assert response.json() == {
        "participation_id": newco.pk,
        "participant": "NEWCO",
        "pic": NEWCO_PIC,
        "role": "beneficiary",
        "joined_on": "2026-07-01",
        "left_on": None,
        "accession": "acceded",
        "accession_due_on": "2026-07-10",
        "acceded_on": "2026-07-20",
        "counts_from": "2026-07-20",
        "overdue": False,
    }
    # It counts from its accession, not from the day it joined: before, the gap of 1 to 19 July
    # is now one that a recorded change (the accession) ends, to be reviewed.
    assert _verdict(api_client, officer, demo, "2026-07-15") == {
        "min_full_partners": ("review", 7, False),
        "newco_takes_part": False,
    }
    assert _verdict(api_client, officer, demo, "2026-07-19")["newco_takes_part"] is False
    assert _verdict(api_client, officer, demo, "2026-07-20") == {
        "min_full_partners": ("pass", 8, True),
        "newco_takes_part": True,
    }
    # Recorded in the trail, which the consortium reads too.
    api_client.force_authenticate(users["manager"])
    [event] = api_client.get(
        f"/api/v1/projects/{demo.pk}/activity/", {"verb": "participation.acceded"}
    ).json()["results"]
    assert {key: event[key] for key in ("actor", "verb", "object_id", "before", "after")} == {
        "actor": "po",
        "verb": "participation.acceded",
        "object_id": str(newco.pk),
        "before": {
            "accession": "pending",
            "accession_due_on": "2026-07-10",
            "acceded_on": None,
            "left_on": None,
        },
        "after": {
            "accession": "acceded",
            "accession_due_on": "2026-07-10",
            "acceded_on": "2026-07-20",
            "left_on": None,
        },
    }


def test_an_accession_before_the_joining_day_counts_from_the_joining_day(demo, users):
    newco = _newcomer(demo, users["manager"], users["officer"])

    with time_machine.travel(_at("2026-06-01T08:00"), tick=False):
        acceded = accession_record(
            participation=newco, user=users["officer"], acceded_on=day("2026-05-28")
        )

    assert (acceded.acceded_on, acceded.counts_from) == (day("2026-05-28"), day("2026-07-01"))
    assert acceded.is_active_on(day("2026-07-01"))
    assert not acceded.is_active_on(day("2026-06-30"))


# -- overdue, and non-accession ----------------------------------------------------------------


def test_a_beneficiary_still_pending_after_its_due_date_is_flagged(demo, users):
    newco = _newcomer(demo, users["manager"], users["officer"])  # due by 10 July

    assert accession_findings([demo.pk], day("2026-07-10")) == []
    [finding] = accession_findings([demo.pk], day("2026-07-11"))

    assert (finding.project_id, finding.kind, finding.severity, finding.fingerprint) == (
        demo.pk,
        "accession_overdue",
        "high",
        f"accession_overdue:{newco.pk}",
    )
    assert finding.message("en") == (
        "NEWCO has not acceded to the grant agreement: its accession was due by 2026-07-10. It "
        "does not count toward the composition until it accedes; if it does not, the agency can "
        "record its non-accession."
    )
    assert "NEWCO" in finding.message("lv")
    assert "2026-07-10" in finding.message("lv")
    assert finding.explanation["details"] == {
        "participation_id": newco.pk,
        "participant": "NEWCO",
        "role": "beneficiary",
        "joined_on": "2026-07-01",
        "due_on": "2026-07-10",
    }

    # The checks raise the flag, and resolve it once the accession is recorded.
    check_projects([demo.pk], now=_at("2026-07-11T08:00"))
    flag = Flag.objects.get(project=demo, kind=FlagKind.ACCESSION_OVERDUE)
    assert (flag.resolved_at, flag.fingerprint) == (None, f"accession_overdue:{newco.pk}")
    with time_machine.travel(_at("2026-07-12T08:00"), tick=False):
        accession_record(participation=newco, user=users["officer"], acceded_on=day("2026-07-12"))
    check_projects([demo.pk], now=_at("2026-07-12T09:00"))
    flag.refresh_from_db()
    assert flag.resolved_at is not None


def test_the_overdue_accessions_of_many_projects_take_one_query(
    demo, other_project, users, django_assert_num_queries
):
    _newcomer(demo, users["manager"], users["officer"])
    Participation.objects.filter(project=other_project).update(
        accession="pending", accession_due_on=day("2026-07-01")
    )

    with django_assert_num_queries(1):
        findings = accession_findings([demo.pk, other_project.pk], day("2026-07-11"))

    assert len(findings) == 1 + other_project.participations.count()


def test_the_officer_records_a_non_accession_after_which_it_never_counts(
    api_client, demo, users, django_capture_on_commit_callbacks
):
    newco = _newcomer(demo, users["manager"], users["officer"])
    check_projects([demo.pk], now=_at("2026-07-11T08:00"))

    api_client.force_authenticate(users["officer"])
    with (
        time_machine.travel(_at("2026-07-20T08:00"), tick=False),
        django_capture_on_commit_callbacks(execute=True),  # the check queued after the commit
    ):
        response = api_client.post(
            _url(demo, newco, "non-accession"),
            {"note": "Its signatories were never appointed."},
            format="json",
        )

    assert response.status_code == 200, response.content
    assert response.json() == {
        "participation_id": newco.pk,
        "participant": "NEWCO",
        "pic": NEWCO_PIC,
        "role": "beneficiary",
        "joined_on": "2026-07-01",
        "left_on": "2026-07-01",
        "accession": "not_acceded",
        "accession_due_on": "2026-07-10",
        "acceded_on": None,
        "counts_from": None,
        "overdue": False,
    }
    assert _verdict(api_client, users["officer"], demo, "2026-07-20") == {
        "min_full_partners": ("breach", 7, False),
        "newco_takes_part": False,
    }
    assert accession_findings([demo.pk], day("2026-07-20")) == []
    flag = Flag.objects.get(project=demo, kind=FlagKind.ACCESSION_OVERDUE)
    assert flag.resolved_at is not None  # the record's change had the project checked again
    api_client.force_authenticate(users["officer"])
    [event] = api_client.get(
        f"/api/v1/projects/{demo.pk}/activity/", {"verb": "participation.not_acceded"}
    ).json()["results"]
    assert (event["actor"], event["note"], event["after"]["left_on"]) == (
        "po",
        "Its signatories were never appointed.",
        "2026-07-01",
    )
    # The organisation is free to be added again by a later request.
    api_client.force_authenticate(users["manager"])
    with time_machine.travel(_at("2026-07-20T08:00"), tick=False):
        again = api_client.post(
            f"/api/v1/projects/{demo.pk}/amendments/",
            {
                "justification": "NEWCO's signatories are now appointed.",
                "changes": [
                    {
                        "kind": "add_beneficiary",
                        "pic": NEWCO_PIC,
                        "short_name": "NEWCO2",
                        "effective_on": "2026-09-01",
                    }
                ],
            },
            format="json",
        )
    assert again.status_code == 201, again.content


# -- refusals ----------------------------------------------------------------------------------


def test_an_accession_is_recorded_once_either_way(api_client, demo, users):
    newco = _newcomer(demo, users["manager"], users["officer"])
    gauja = demo.participations.get(short_name="GAUJA")
    _post(
        api_client, users["officer"], _url(demo, newco, "accession"), {"acceded_on": "2026-07-05"}
    )
    before = row_counts()

    twice = _post(
        api_client, users["officer"], _url(demo, newco, "accession"), {"acceded_on": "2026-07-06"}
    )
    refused = _post(
        api_client, users["officer"], _url(demo, newco, "non-accession"), {"note": "Changed."}
    )
    original = _post(
        api_client, users["officer"], _url(demo, gauja, "accession"), {"acceded_on": "2026-07-06"}
    )

    assert [(r.status_code, r.json()) for r in (twice, refused, original)] == [
        (409, {"detail": "NEWCO already acceded to the grant agreement, on 2026-07-05."}),
        (409, {"detail": "NEWCO already acceded to the grant agreement, on 2026-07-05."}),
        (409, {"detail": "GAUJA already acceded to the grant agreement, on 2024-03-01."}),
    ]
    assert row_counts() == before


def test_a_non_accession_is_final(api_client, demo, users):
    newco = _newcomer(demo, users["manager"], users["officer"])
    _post(api_client, users["officer"], _url(demo, newco, "non-accession"), {"note": "Gone."})
    before = row_counts()

    late = _post(
        api_client, users["officer"], _url(demo, newco, "accession"), {"acceded_on": "2026-07-06"}
    )

    assert (late.status_code, late.json()) == (
        409,
        {"detail": "NEWCO did not accede to the grant agreement: that is recorded."},
    )
    assert row_counts() == before


@pytest.mark.parametrize(
    ("step", "body", "errors"),
    [
        (
            "accession",
            {"acceded_on": "2026-07-26"},
            [
                {
                    "path": "acceded_on",
                    "message": "The date cannot be in the future: today is 2026-07-25.",
                }
            ],
        ),
        (
            "accession",
            {},
            [{"path": "acceded_on", "message": "Give the date of the accession (YYYY-MM-DD)."}],
        ),
        (
            "accession",
            {"acceded_on": "20 July"},
            [{"path": "acceded_on", "message": '"20 July" is not a date; give it as YYYY-MM-DD.'}],
        ),
        (
            "non-accession",
            {"note": "  "},
            [{"path": "note", "message": "Say why the new participant did not accede."}],
        ),
    ],
)
def test_bad_input_is_refused_at_its_field(api_client, demo, users, step, body, errors):
    newco = _newcomer(demo, users["manager"], users["officer"])
    before = row_counts()

    response = _post(api_client, users["officer"], _url(demo, newco, step), body)

    assert response.status_code == 400
    assert response.json()["errors"] == errors
    assert row_counts() == before


REFUSED = (
    "Only the project's agency officers and administrators record a new beneficiary's "
    "accession or non-accession."
)


@pytest.mark.parametrize(
    ("who", "status", "detail"),
    [
        ("manager", 403, REFUSED),
        ("partner_contact", 403, REFUSED),
        ("other_officer", 404, "Not found."),
        ("stranger", 404, "Not found."),
        ("admin", 200, None),
    ],
)
@pytest.mark.parametrize(
    ("step", "body"),
    [("accession", {"acceded_on": "2026-07-20"}), ("non-accession", {"note": "Never signed."})],
)
def test_who_may_record_an_accession(api_client, demo, users, who, status, detail, step, body):
    newco = _newcomer(demo, users["manager"], users["officer"])
    before = row_counts()

    response = _post(api_client, users[who], _url(demo, newco, step), body)

    assert response.status_code == status, response.content
    if detail is None:
        assert response.json()["accession"] == {"accession": "acceded"}.get(step, "not_acceded")
    else:
        assert response.json() == {"detail": detail}
        assert row_counts() == before


def test_a_participant_of_another_project_is_not_found(api_client, demo, other_project, users):
    stranger = other_project.participations.first()

    response = _post(
        api_client,
        users["officer"],
        _url(demo, stranger, "accession"),
        {"acceded_on": "2026-07-20"},
    )

    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})
