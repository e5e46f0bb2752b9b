"""Partners' contributions: who writes, locks and unlocks which, who sees drafts, and refusals
that write nothing. On the small grant of tests/reporting/conftest.py."""

import pytest

from backend.accounts.models import ProjectRole
from backend.audit.models import Event
from backend.reporting import services
from backend.reporting.models import Contribution, ContributionEntry, PeriodicReport
from tests.factories import UserFactory
from tests.helpers import row_counts
from tests.reporting.helpers import (
    entry,
    participation,
    period,
    ready_to_submit,
    travel,
    url,
    verbs,
)

pytestmark = pytest.mark.django_db


def _url(project, short_name, suffix="", number=1):
    who = participation(project, short_name)
    return url(project, f"{number}/contributions/{who.pk}{suffix}")


def _save(project, user, short_name="ZILEMED", entries=None):
    return services.contribution_save(
        period=period(project),
        participation=participation(project, short_name),
        user=user,
        entries=entries if entries is not None else [entry(1)],
    )


def _lock(project, user, short_name="ZILEMED"):
    return services.contribution_lock(
        period=period(project), participation=participation(project, short_name), user=user
    )


# -- saving ----------------------------------------------------------------------------------------


def test_a_partner_contact_saves_its_draft_and_the_report_is_created_by_that_first_write(
    api_client, grant, grant_users
):
    api_client.force_authenticate(grant_users["partner_contact"])
    assert PeriodicReport.objects.count() == 0

    response = api_client.put(
        _url(grant, "ZILEMED"),
        {
            "entries": [
                {"work_package": 5, "activities": "Two pilots", "outputs": "Kit", "narrative": ""},
                {"work_package": 1, "narrative": "Meetings attended."},
            ]
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["participant"], body["status"], body["updated_by"]) == ("ZILEMED", "draft", "pc")
    assert body["entries"] == [
        {"work_package": 1, "activities": "", "outputs": "", "narrative": "Meetings attended."},
        {"work_package": 5, "activities": "Two pilots", "outputs": "Kit", "narrative": ""},
    ]
    report = PeriodicReport.objects.get()
    assert (report.reporting_period.number, report.status) == (1, "draft")
    event = Event.objects.get(verb="contribution.saved")
    assert (event.actor, event.project_id, event.before) == (
        grant_users["partner_contact"],
        grant.pk,
        {"entries": []},
    )
    assert [e["work_package"] for e in event.after["entries"]] == [1, 5]


def test_saving_again_replaces_every_entry(api_client, grant, grant_users):
    _save(grant, grant_users["partner_contact"], entries=[entry(1), entry(2)])
    api_client.force_authenticate(grant_users["partner_contact"])

    response = api_client.put(
        _url(grant, "ZILEMED"), {"entries": [entry(3, "Only this")]}, format="json"
    )

    assert response.status_code == 200, response.content
    assert [e["work_package"] for e in response.json()["entries"]] == [3]
    assert list(ContributionEntry.objects.values_list("work_package__number", "activities")) == [
        (3, "Only this")
    ]
    assert verbs().count("contribution.saved") == 2


def test_a_manager_writes_the_coordinators_contribution_but_not_a_partners(
    api_client, grant, grant_users
):
    api_client.force_authenticate(grant_users["manager"])

    assert (
        api_client.put(_url(grant, "GAUJA"), {"entries": [entry(1)]}, format="json").status_code
        == 200
    )
    before = row_counts()
    response = api_client.put(_url(grant, "ZILEMED"), {"entries": [entry(1)]}, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only ZILEMED's partner contacts (and, for the coordinator, the project's "
        "managers) write and lock its contribution."
    }
    assert row_counts() == before


def test_an_administrator_writes_any_contribution(api_client, grant, grant_users):
    api_client.force_authenticate(grant_users["admin"])

    response = api_client.put(_url(grant, "LVTDA"), {"entries": [entry(2)]}, format="json")

    assert response.status_code == 200, response.content
    assert Contribution.objects.get().participation.short_name == "LVTDA"


def test_an_associated_partner_contributes_too(api_client, grant, grant_users):
    gaujmala = participation(grant, "GAUJMALA")
    assert gaujmala.role == "associated_partner"
    contact = UserFactory(username="gaujmala", organisation_id=gaujmala.organisation_id)
    ProjectRole.objects.create(
        user=contact, project=grant, role="partner_contact", participation=gaujmala
    )
    api_client.force_authenticate(contact)

    saved = api_client.put(_url(grant, "GAUJMALA"), {"entries": [entry(6)]}, format="json")
    locked = api_client.post(_url(grant, "GAUJMALA", "/lock"))

    assert (saved.status_code, locked.status_code) == (200, 200)
    assert locked.json()["status"] == "locked"


def test_invalid_entries_are_refused_with_their_paths_and_nothing_is_written(
    api_client, grant, grant_users
):
    api_client.force_authenticate(grant_users["partner_contact"])
    before = row_counts()

    response = api_client.put(
        _url(grant, "ZILEMED"),
        {"entries": [entry(1), {"work_package": 12}, entry(1), {"work_package": 2, "outputs": 7}]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The contribution was not saved.",
        "errors": [
            {"path": "entries[1].work_package", "message": "The project has no work package 12."},
            {"path": "entries[2].work_package", "message": "WP1 already has an entry."},
            {"path": "entries[3].outputs", "message": "Not a valid string."},
        ],
    }
    assert row_counts() == before  # not even the report row


def test_a_text_too_long_is_refused(api_client, grant, grant_users):
    api_client.force_authenticate(grant_users["partner_contact"])
    before = row_counts()

    response = api_client.put(
        _url(grant, "ZILEMED"),
        {"entries": [{"work_package": 1, "narrative": "x" * 20001}]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"path": "entries[0].narrative", "message": "Write at most 20000 characters."}
    ]
    assert row_counts() == before


def test_a_body_without_entries_is_refused(api_client, grant, grant_users):
    api_client.force_authenticate(grant_users["partner_contact"])

    response = api_client.put(_url(grant, "ZILEMED"), {"entry": []}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [{"path": "entries", "message": "Give a list of entries."}]
    assert PeriodicReport.objects.count() == 0


# -- locking and unlocking -------------------------------------------------------------------------


def test_a_partner_locks_its_contribution_for_review(api_client, grant, grant_users):
    _save(grant, grant_users["partner_contact"])
    api_client.force_authenticate(grant_users["partner_contact"])

    response = api_client.post(_url(grant, "ZILEMED", "/lock"))

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["locked_by"]) == ("locked", "pc")
    event = Event.objects.get(verb="contribution.locked")
    assert (event.before["status"], event.after["status"]) == ("draft", "locked")


def test_locking_needs_an_entry_with_text(api_client, grant, grant_users):
    api_client.force_authenticate(grant_users["partner_contact"])
    message = [
        {
            "path": "entries",
            "message": "Write at least one work package's entry before locking the contribution.",
        }
    ]
    before = row_counts()

    nothing = api_client.post(_url(grant, "ZILEMED", "/lock"))

    assert (nothing.status_code, nothing.json()["errors"]) == (400, message)
    assert row_counts() == before
    _save(grant, grant_users["partner_contact"], entries=[{"work_package": 1, "activities": "  "}])
    before = row_counts()
    blank = api_client.post(_url(grant, "ZILEMED", "/lock"))
    assert (blank.status_code, blank.json()["errors"]) == (400, message)
    assert row_counts() == before
    assert Contribution.objects.get().status == "draft"


def test_a_locked_contribution_cannot_be_saved_or_locked_again(api_client, grant, grant_users):
    _save(grant, grant_users["partner_contact"])
    _lock(grant, grant_users["partner_contact"])
    api_client.force_authenticate(grant_users["partner_contact"])
    before = row_counts()

    saved = api_client.put(_url(grant, "ZILEMED"), {"entries": [entry(2)]}, format="json")
    locked = api_client.post(_url(grant, "ZILEMED", "/lock"))

    assert saved.status_code == 409
    assert saved.json() == {
        "detail": "ZILEMED's contribution is locked for review; a project manager has to "
        "unlock it before it can change."
    }
    assert locked.status_code == 409
    assert locked.json() == {"detail": "ZILEMED's contribution is already locked for review."}
    assert row_counts() == before


def test_a_partner_cannot_unlock_a_manager_can_and_the_partner_corrects_it(
    api_client, grant, grant_users
):
    _save(grant, grant_users["partner_contact"])
    _lock(grant, grant_users["partner_contact"])
    api_client.force_authenticate(grant_users["partner_contact"])
    before = row_counts()

    refused = api_client.post(_url(grant, "ZILEMED", "/unlock"))

    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "Only the project's managers and administrators unlock a contribution."
    }
    assert row_counts() == before
    api_client.force_authenticate(grant_users["manager"])
    unlocked = api_client.post(_url(grant, "ZILEMED", "/unlock"))
    assert unlocked.status_code == 200, unlocked.content
    assert (unlocked.json()["status"], unlocked.json()["locked_at"]) == ("draft", None)
    event = Event.objects.get(verb="contribution.unlocked")
    assert (event.actor, event.before["status"], event.after["status"]) == (
        grant_users["manager"],
        "locked",
        "draft",
    )
    api_client.force_authenticate(grant_users["partner_contact"])
    corrected = api_client.put(_url(grant, "ZILEMED"), {"entries": [entry(4)]}, format="json")
    assert corrected.status_code == 200


def test_unlocking_a_draft_is_refused(api_client, grant, grant_users):
    _save(grant, grant_users["partner_contact"])
    api_client.force_authenticate(grant_users["manager"])
    before = row_counts()

    response = api_client.post(_url(grant, "ZILEMED", "/unlock"))

    assert response.status_code == 409
    assert response.json() == {
        "detail": "ZILEMED's contribution is not locked; there is nothing to unlock."
    }
    assert row_counts() == before


def test_nothing_changes_in_a_submitted_report(api_client, grant, grant_users):
    with travel():
        ready_to_submit(grant, grant_users)
        services.report_submit(period=period(grant), user=grant_users["manager"])
    before = row_counts()
    message = {
        "detail": 'The report of RP1 is "Submitted"; it can be changed only while it is a draft '
        "or changes are requested."
    }
    api_client.force_authenticate(grant_users["partner_contact"])

    saved = api_client.put(_url(grant, "ZILEMED"), {"entries": [entry(2)]}, format="json")
    api_client.force_authenticate(grant_users["manager"])
    unlocked = api_client.post(_url(grant, "ZILEMED", "/unlock"))

    assert (saved.status_code, saved.json()) == (409, message)
    assert (unlocked.status_code, unlocked.json()) == (409, message)
    assert row_counts() == before


# -- who sees what ---------------------------------------------------------------------------------


def test_a_draft_is_seen_by_its_organisation_the_managers_and_admins_only(
    api_client, grant, grant_users
):
    _save(grant, grant_users["partner_contact"])
    seen = {}
    for role in (
        "partner_contact",
        "manager",
        "admin",
        "other_partner",
        "officer",
        "other_officer",
        "stranger",
    ):
        api_client.force_authenticate(grant_users[role])
        seen[role] = api_client.get(_url(grant, "ZILEMED")).status_code

    assert seen == {
        "partner_contact": 200,
        "manager": 200,
        "admin": 200,
        "other_partner": 404,
        "officer": 404,
        "other_officer": 404,
        "stranger": 404,
    }


def test_another_partners_draft_cannot_be_written_either(api_client, grant, grant_users):
    _save(grant, grant_users["partner_contact"])
    api_client.force_authenticate(grant_users["other_partner"])
    before = row_counts()

    saved = api_client.put(_url(grant, "ZILEMED"), {"entries": [entry(2)]}, format="json")
    locked = api_client.post(_url(grant, "ZILEMED", "/lock"))

    assert (saved.status_code, locked.status_code) == (404, 404)
    assert row_counts() == before


def test_a_locked_contribution_is_seen_by_every_member_and_the_officer_who_cannot_write_it(
    api_client, grant, grant_users
):
    _save(grant, grant_users["partner_contact"])
    _lock(grant, grant_users["partner_contact"])
    seen = {}
    for role in ("other_partner", "officer", "other_officer", "stranger"):
        api_client.force_authenticate(grant_users[role])
        seen[role] = api_client.get(_url(grant, "ZILEMED")).status_code
    api_client.force_authenticate(grant_users["officer"])
    before = row_counts()
    refused = api_client.post(_url(grant, "ZILEMED", "/unlock"))

    assert seen == {"other_partner": 200, "officer": 200, "other_officer": 404, "stranger": 404}
    assert refused.status_code == 403
    assert row_counts() == before


def test_a_contribution_nobody_wrote_shows_as_not_started_to_its_organisation(
    api_client, grant, grant_users
):
    api_client.force_authenticate(grant_users["partner_contact"])

    own = api_client.get(_url(grant, "ZILEMED"))
    api_client.force_authenticate(grant_users["other_partner"])
    other = api_client.get(_url(grant, "ZILEMED"))

    assert own.status_code == 200
    assert (own.json()["status"], own.json()["entries"]) == ("not_started", [])
    assert other.status_code == 404
    assert PeriodicReport.objects.count() == 0


def test_the_report_lists_only_the_contributions_the_user_may_see(api_client, grant, grant_users):
    _save(grant, grant_users["partner_contact"])  # ZILEMED draft
    _save(grant, grant_users["other_partner"], "LVTDA")
    _lock(grant, grant_users["other_partner"], "LVTDA")  # LVTDA locked
    _save(grant, grant_users["manager"], "GAUJA")  # GAUJA draft
    listed = {}
    for role in ("partner_contact", "other_partner", "officer", "manager"):
        api_client.force_authenticate(grant_users[role])
        response = api_client.get(url(grant, "1"))
        listed[role] = [(c["participant"], c["status"]) for c in response.json()["contributions"]]

    assert listed == {
        "partner_contact": [("ZILEMED", "draft"), ("LVTDA", "locked")],
        "other_partner": [("LVTDA", "locked")],
        "officer": [("LVTDA", "locked")],
        "manager": [("GAUJA", "draft"), ("ZILEMED", "draft"), ("LVTDA", "locked")],
    }


def test_unknown_or_foreign_ids_are_not_found(api_client, grant, other_grant, grant_users):
    api_client.force_authenticate(grant_users["admin"])
    foreign = other_grant.participations.first()

    assert api_client.get(url(grant, f"1/contributions/{foreign.pk}")).status_code == 404
    assert api_client.get(url(grant, "1/contributions/999999")).status_code == 404
    assert api_client.get(_url(grant, "ZILEMED", number=7)).status_code == 404
    assert (
        api_client.put(
            url(grant, f"1/contributions/{foreign.pk}"), {"entries": []}, format="json"
        ).status_code
        == 404
    )
    assert PeriodicReport.objects.count() == 0


def test_anonymous_requests_are_unauthorised(api_client, grant, grant_users):
    assert api_client.get(_url(grant, "ZILEMED")).status_code == 401
    assert api_client.put(_url(grant, "ZILEMED"), {"entries": []}, format="json").status_code == 401
    assert api_client.post(_url(grant, "ZILEMED", "/lock")).status_code == 401
