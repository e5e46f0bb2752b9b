"""Dated history: a change of coordinator approved by amendment and a move of a partner's seat
recorded as an update of the organisation each hold from their own date; a check of an earlier
day reads the values of that day, on the eligibility endpoint (``?as_of=``) and in the
timeline.

The demo grant CARETECH (2024-03-01 to 2028-02-29, coordinator GAUJA in LV) changes its
coordinator to UKELB (DE) from D1 = 2026-07-01, and its only Polish partner ZSTW (a VET provider,
so Poland is represented without both types) moves its seat to Ukraine (not associated to the
programme) from D2 = 2026-10-01: from then on it does not count, and Poland is no longer
represented. Every date is fixed: nothing here depends on the day the test runs."""

import datetime

import pytest
import time_machine

from backend.amendments.errors import AmendmentInvalid
from backend.amendments.services import amendment_approve, amendment_create, amendment_submit
from backend.grants.models import OrganisationUpdate, ParticipationRoleChange
from backend.grants.organisations import organisation_update
from backend.grants.selectors import project_eligibility, project_eligibility_timeline
from tests.amendments.helpers import add, row_counts

pytestmark = pytest.mark.django_db

D1 = datetime.date(2026, 7, 1)  # UKELB coordinates from this day on
D2 = datetime.date(2026, 10, 1)  # ZSTW is established in Ukraine from this day on
ONE_DAY = datetime.timedelta(days=1)
SUBMITTED = datetime.datetime(2026, 5, 4, 9, 0, tzinfo=datetime.UTC)
DECIDED_ON = datetime.date(2026, 5, 7)


def _change_coordinator(project, manager, officer):
    amendment = amendment_create(
        project=project,
        user=manager,
        justification="GAUJA hands the coordination over to UKELB.",
        changes=[add("change_coordinator", participant="UKELB", effective_on=D1.isoformat())],
    )
    with time_machine.travel(SUBMITTED, tick=False):
        amendment_submit(request=amendment, user=manager)
    return amendment_approve(request=amendment, user=officer, today=DECIDED_ON)


def _move_zstw(project, admin):
    zstw = project.participations.get(short_name="ZSTW").organisation
    return organisation_update(
        organisation=zstw,
        user=admin,
        effective_on=D2,
        country="UA",
        source="Participant register: seat moved, validated 2026-09-20",
    )


@pytest.fixture
def history(demo, users):
    """The demo with both changes recorded, and its timeline before them."""
    before = project_eligibility_timeline(user=users["officer"], project_id=demo.pk)
    amendment = _change_coordinator(demo, users["manager"], users["officer"])
    _move_zstw(demo, users["admin"])
    return demo, amendment, before


def _verdict(project, user, day):
    return project_eligibility(user=user, project_id=project.pk, as_of=day).verdict


def test_a_change_of_coordinator_is_recorded_as_dated_role_changes(history, users):
    project, amendment, _before = history

    changes = {
        change.participation.short_name: change
        for change in ParticipationRoleChange.objects.filter(
            participation__project=project
        ).select_related("participation")
    }

    assert sorted(changes) == ["GAUJA", "UKELB"]
    assert (
        changes["GAUJA"].effective_on,
        changes["GAUJA"].previous_role,
        changes["GAUJA"].role,
    ) == (D1, "coordinator", "beneficiary")
    assert (
        changes["UKELB"].effective_on,
        changes["UKELB"].previous_role,
        changes["UKELB"].role,
    ) == (D1, "beneficiary", "coordinator")
    assert changes["UKELB"].source == f"Amendment {amendment.pk} of 101143210 (CARETECH)"
    # The participations hold the newest roles.
    roles = dict(project.participations.values_list("short_name", "role"))
    assert (roles["GAUJA"], roles["UKELB"]) == ("beneficiary", "coordinator")


def test_each_check_reads_the_values_of_its_day(history, users):
    project, _amendment, _before = history
    officer = users["officer"]

    def coordinator(day):
        return _verdict(project, officer, day).result("coordinator").participants

    def counted(day):
        return _verdict(project, officer, day).result("min_full_partners").participants

    assert coordinator(D1 - ONE_DAY) == ("GAUJA",)
    assert coordinator(D1) == ("UKELB",)
    assert coordinator(D2) == ("UKELB",)
    # ZSTW counts while it is established in Poland, and not from its move to Ukraine.
    assert "ZSTW" in counted(D2 - ONE_DAY)
    assert "ZSTW" not in counted(D2)
    assert len(counted(D2)) == len(counted(D2 - ONE_DAY)) - 1
    before, after = _verdict(project, officer, D2 - ONE_DAY), _verdict(project, officer, D2)
    assert "PL" in before.result("min_eligible_countries").details["countries"]
    assert "PL" not in after.result("min_eligible_countries").details["countries"]
    # Poland, represented without an employer, is reviewed until ZSTW moves.
    assert before.result("countries_without_both_types").found == ["PL"]
    assert after.result("countries_without_both_types") is None


def test_the_eligibility_api_reads_the_values_of_the_day_asked(history, users, api_client):
    project, _amendment, _before = history
    api_client.force_authenticate(users["partner_contact"])

    bodies = {}

    def rules(day):
        response = api_client.get(
            f"/api/v1/projects/{project.pk}/eligibility", {"as_of": day.isoformat()}
        )
        assert response.status_code == 200
        body = response.json()
        assert body["as_of"] == day.isoformat()
        bodies[day] = {p["participant"]: p for p in body["participants"]}
        return {result["rule"]: result for result in body["results"]}

    before_d1, on_d1 = rules(D1 - ONE_DAY), rules(D1)
    before_d2, on_d2 = rules(D2 - ONE_DAY), rules(D2)

    assert before_d1["coordinator"]["participants"] == ["GAUJA"]
    assert before_d1["coordinator"]["message"] == (
        "The coordinator GAUJA is established in LV, an EU Member State or associated third "
        "country."
    )
    assert on_d1["coordinator"]["participants"] == ["UKELB"]
    assert on_d1["coordinator"]["message"] == (
        "The coordinator UKELB is established in DE, an EU Member State or associated third "
        "country."
    )
    assert before_d2["coordinator"]["participants"] == ["UKELB"]
    assert "ZSTW" in before_d2["min_full_partners"]["participants"]
    assert "ZSTW" not in on_d2["min_full_partners"]["participants"]
    assert before_d2["countries_without_both_types"]["participants"] == ["ZSTW"]
    assert "countries_without_both_types" not in on_d2
    assert on_d2["min_full_partners"]["found"] == before_d2["min_full_partners"]["found"] - 1
    # The participants as they stand on the day asked.
    roles = {day: (bodies[day]["GAUJA"]["role"], bodies[day]["UKELB"]["role"]) for day in bodies}
    assert roles == {
        D1 - ONE_DAY: ("coordinator", "beneficiary"),
        D1: ("beneficiary", "coordinator"),
        D2 - ONE_DAY: ("beneficiary", "coordinator"),
        D2: ("beneficiary", "coordinator"),
    }
    assert bodies[D2 - ONE_DAY]["ZSTW"] == {
        "participant": "ZSTW",
        "pic": "992100601",
        "role": "beneficiary",
        "country": "PL",
        "types": ["vet_provider_secondary"],
        "takes_part": True,
    }
    assert bodies[D2]["ZSTW"]["country"] == "UA"


def test_the_timeline_changes_exactly_on_both_dates(history, users, api_client):
    project, _amendment, before = history
    api_client.force_authenticate(users["officer"])

    response = api_client.get(f"/api/v1/projects/{project.pk}/eligibility/timeline")

    assert response.status_code == 200
    entries = response.json()
    starts = [entry["starts_on"] for entry in entries]
    # The history adds exactly two dates to the timeline it had: D1 and D2.
    assert starts == sorted(
        {*(entry.starts_on.isoformat() for entry in before), D1.isoformat(), D2.isoformat()}
    )
    by_start = {entry["starts_on"]: entry["verdict"] for entry in entries}

    def coordinator(verdict):
        return next(r for r in verdict["results"] if r["rule"] == "coordinator")["participants"]

    def counted(verdict):
        return next(r for r in verdict["results"] if r["rule"] == "min_full_partners")["found"]

    previous = starts[starts.index(D1.isoformat()) - 1]
    assert coordinator(by_start[previous]) == ["GAUJA"]
    assert coordinator(by_start[D1.isoformat()]) == ["UKELB"]
    assert coordinator(by_start[D2.isoformat()]) == ["UKELB"]
    assert counted(by_start[D2.isoformat()]) == counted(by_start[D1.isoformat()]) - 1
    rules_d1 = {r["rule"] for r in by_start[D1.isoformat()]["results"]}
    rules_d2 = {r["rule"] for r in by_start[D2.isoformat()]["results"]}
    assert rules_d1 - rules_d2 == {"countries_without_both_types"}


def test_an_organisation_change_by_amendment_becomes_a_dated_update(demo, users):
    """The amendment kinds of an organisation's country or types, kept for compatibility, record
    an update of the organisation from the change's date, naming the amendment."""
    officer = users["officer"]
    amendment = amendment_create(
        project=demo,
        user=users["manager"],
        justification="NORDLYS moved its seat.",
        changes=[
            add(
                "change_organisation_country",
                participant="NORDLYS",
                country="SE",
                effective_on=D2.isoformat(),
            )
        ],
    )
    with time_machine.travel(SUBMITTED, tick=False):
        amendment_submit(request=amendment, user=users["manager"])

    amendment_approve(request=amendment, user=officer, today=DECIDED_ON)

    update = OrganisationUpdate.objects.get(organisation__pic="992100702")
    assert (update.effective_on, update.previous_country_id, update.country_id) == (D2, "NO", "SE")
    assert update.source == f"Amendment {amendment.pk} of 101143210 (CARETECH)"
    assert update.recorded_by == officer
    assert update.organisation.country_id == "SE"  # the newest value
    before, after = _verdict(demo, officer, D2 - ONE_DAY), _verdict(demo, officer, D2)
    assert "NO" in before.result("min_eligible_countries").details["countries"]
    assert "SE" not in before.result("min_eligible_countries").details["countries"]
    assert "SE" in after.result("min_eligible_countries").details["countries"]


def test_an_organisation_change_dated_before_a_later_update_is_refused_at_approval(demo, users):
    """Meanwhile NORDLYS recorded a move to Denmark from 2026-11-01: the amendment's move to
    Sweden from D2 would come before it. Approval is refused naming the change, and writes
    nothing."""
    amendment = amendment_create(
        project=demo,
        user=users["manager"],
        justification="NORDLYS moves its seat.",
        changes=[
            add(
                "change_organisation_country",
                participant="NORDLYS",
                country="SE",
                effective_on=D2.isoformat(),
            )
        ],
    )
    with time_machine.travel(SUBMITTED, tick=False):
        amendment_submit(request=amendment, user=users["manager"])
    nordlys = demo.participations.get(short_name="NORDLYS").organisation
    organisation_update(
        organisation=nordlys,
        user=users["admin"],
        effective_on=datetime.date(2026, 11, 1),
        country="DK",
        source="Participant register",
    )
    before = row_counts()

    with pytest.raises(AmendmentInvalid) as refused:
        amendment_approve(request=amendment, user=users["officer"], today=DECIDED_ON)

    assert [error.as_dict() for error in refused.value.errors] == [
        {
            "path": "changes[0].country",
            "message": "An update from 2026-11-01 already changes this value; record a change "
            "from a later date, or correct that update first.",
        }
    ]
    assert row_counts() == before
    amendment.refresh_from_db()
    assert amendment.status == "submitted"


def test_a_change_of_coordinator_dated_before_a_recorded_one_is_refused(history, users):
    """UKELB coordinates from D1; a request making NEMPOLY coordinator from a day before D1
    would rewrite the roles' history, and is refused at approval naming the change's date."""
    project, _amendment, _before = history
    amendment = amendment_create(
        project=project,
        user=users["manager"],
        justification="NEMPOLY takes the coordination over.",
        changes=[add("change_coordinator", participant="NEMPOLY", effective_on="2026-06-01")],
    )
    with time_machine.travel(SUBMITTED, tick=False):
        amendment_submit(request=amendment, user=users["manager"])
    before = row_counts()

    with pytest.raises(AmendmentInvalid) as refused:
        amendment_approve(request=amendment, user=users["officer"], today=DECIDED_ON)

    assert [error.as_dict() for error in refused.value.errors] == [
        {
            "path": "changes[0].effective_on",
            "message": "The coordinator already changes on 2026-07-01; a change of coordinator "
            "can only take effect after it.",
        }
    ]
    assert row_counts() == before
    assert _verdict(project, users["officer"], D1).result("coordinator").participants == ("UKELB",)
