import datetime
import re
from collections import defaultdict
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from backend.accounts.models import ProjectRole, User
from backend.common.dates import brussels_today
from backend.demo.loading import (
    DEFAULT_DEMO_PASSWORD,
    DEMO_GRANT_FILE,
    demo_shift_months,
    grant_file_shifted,
)
from backend.demo.portfolio import demo_portfolio_numbers
from backend.grantfile.loading import load_grant_file
from backend.grantfile.services import grant_file_import
from backend.grants.models import CountryStatus, Organisation, Participation, Project
from backend.grants.rules import ASSOCIATED, ELIGIBLE_STATUSES, EU_MEMBER, country_status_on
from backend.workplan.models import WorkPackageShare

DEMO_NUMBER = "101143210"
DEMO_USERNAMES = ["admin", "officer", "officer2", "manager", "partner1", "partner2"]
SOME_DAY_IN_MONTH_33 = datetime.date(2026, 11, 27)
EMPLOYER_TYPES = {"enterprise", "sector_representative"}
VET_TYPES = {"vet_provider_secondary", "vet_provider_tertiary"}


@pytest.fixture
def debug(settings):
    """load-demo runs in development (pytest-django turns DEBUG off for tests)."""
    settings.DEBUG = True


def _statuses(project: Project) -> dict[str, str]:
    """Every country's programme status on the project's call reference date, read from the
    CountryStatus table (not hard-coded)."""
    periods = defaultdict(list)
    for row in CountryStatus.objects.all():
        periods[row.country_id].append((row.status, row.valid_from, row.valid_to))
    day = project.call.country_reference_date
    codes = project.participations.values_list("organisation__country_id", flat=True)
    return {code: country_status_on(periods[code], day) for code in codes}


def _composition(project: Project, day: datetime.date) -> dict:
    """The CoVE minimum composition on a day, counting coordinator and beneficiaries only (the
    stricter reading: affiliated entities' types are not counted)."""
    statuses = _statuses(project)
    full = [
        p
        for p in project.participations.select_related("organisation").prefetch_related(
            "organisation__type_entries"
        )
        if p.role in ("coordinator", "beneficiary")
        and p.is_active_on(day)
        and statuses[p.organisation.country_id] in ELIGIBLE_STATUSES
    ]
    types_by_country = defaultdict(set)
    for participation in full:
        types_by_country[participation.organisation.country_id].update(
            participation.organisation.types
        )
    return {
        "full_partners": len(full),
        "countries": set(types_by_country),
        "eu_countries": {c for c in types_by_country if statuses[c] == EU_MEMBER},
        "qualifying": {
            country
            for country, types in types_by_country.items()
            if types & EMPLOYER_TYPES and types & VET_TYPES
        },
    }


def _logins() -> list[str]:
    """The users who can sign in (the portfolio's other coordinator contacts have no
    password)."""
    return [user.username for user in User.objects.all() if user.has_usable_password()]


def _snapshot() -> tuple:
    users = list(
        User.objects.order_by("username").values_list(
            "username",
            "password",
            "first_name",
            "last_name",
            "email",
            "is_active",
            "is_superuser",
            "is_staff",
            "is_agency_officer",
        )
    )
    roles = list(
        ProjectRole.objects.order_by("pk").values_list(
            "pk", "user__username", "project_id", "role", "participation_id", "is_primary"
        )
    )
    return users, roles, Project.objects.count(), Organisation.objects.count()


@pytest.mark.django_db
def test_demo_file_imports_as_a_realistic_cove_consortium():
    project = grant_file_import(content=DEMO_GRANT_FILE.read_bytes())

    assert project.grant_agreement_number == DEMO_NUMBER
    assert project.call.identifier == "ERASMUS-EDU-2023-PEX-COVE"
    assert project.start_date == datetime.date(2024, 3, 1)
    assert project.duration_months == 48
    assert str(project.max_grant_eur) == "3998750.00"

    participations = list(project.participations.select_related("organisation"))
    assert len(participations) >= 20
    countries = {p.organisation.country_id for p in participations}
    assert len(countries) >= 5
    pics = [p.organisation.pic for p in participations]
    assert len(set(pics)) == len(pics)
    assert all(re.fullmatch(r"9921\d{5}", pic) for pic in pics)

    statuses = _statuses(project)
    assert ASSOCIATED in {statuses[c] for c in countries}
    assert any(status not in ELIGIBLE_STATUSES for status in statuses.values())
    coordinator = project.participations.get(role="coordinator")
    assert coordinator.organisation.country_id == "LV"
    assert set(coordinator.organisation.types) & VET_TYPES

    by_role = defaultdict(list)
    for participation in participations:
        by_role[participation.role].append(participation)
    assert len(by_role["associated_partner"]) >= 2
    assert not WorkPackageShare.objects.filter(
        work_package__project=project, participation__role="associated_partner"
    ).exists()
    affiliated = by_role["affiliated_entity"]
    assert len(affiliated) >= 1
    assert all(p.affiliated_to.role in ("coordinator", "beneficiary") for p in affiliated)
    assert WorkPackageShare.objects.filter(participation__in=affiliated).exists()
    assert any(len(p.organisation.types) > 1 for p in participations)

    left = [p for p in by_role["beneficiary"] if p.left_on is not None]
    assert [p.left_on.year for p in left] == [2025]

    work_packages = list(project.work_packages.prefetch_related("clusters", "shares"))
    assert [wp.number for wp in work_packages] == list(range(1, 9))
    assert {c.code for wp in work_packages for c in wp.clusters.all()} == {
        "teaching_learning",
        "cooperation_partnership",
        "governance_funding",
    }
    assert sum(wp.lump_sum_eur for wp in work_packages) == project.max_grant_eur
    for wp in work_packages:
        assert sum(share.amount_eur for share in wp.shares.all()) == wp.lump_sum_eur
        assert wp.lead.role in ("coordinator", "beneficiary")

    deliverables = list(project.deliverables.select_related("work_package"))
    assert len(deliverables) >= 40
    for deliverable in deliverables:
        assert deliverable.code.startswith(f"D{deliverable.work_package.number}.")
    assert {d.type for d in deliverables} <= {"R", "DEM", "DEC", "DATA", "DMP", "OTHER"}
    assert {d.dissemination for d in deliverables} == {"PU", "SEN"}
    assert min(d.due_month for d in deliverables) <= 6
    assert max(d.due_month for d in deliverables) == 48
    assert project.milestones.count() >= 10
    assert list(project.reporting_periods.values_list("start_month", "end_month", "payment")) == [
        (1, 18, "interim"),
        (19, 36, "interim"),
        (37, 48, "balance"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "day", [datetime.date(2024, 3, 1), SOME_DAY_IN_MONTH_33], ids=["at-start", "after-leaver"]
)
def test_demo_consortium_meets_the_cove_composition_before_and_after_the_leaver_left(day):
    project = grant_file_import(content=DEMO_GRANT_FILE.read_bytes())

    composition = _composition(project, day)

    assert composition["full_partners"] >= 8
    assert len(composition["countries"]) >= 4
    assert len(composition["eu_countries"]) >= 2
    assert len(composition["qualifying"]) >= 4


@pytest.mark.django_db
def test_demo_file_imports_next_to_the_spec_example(spec_example_bytes):
    grant_file_import(content=spec_example_bytes)

    project = grant_file_import(content=DEMO_GRANT_FILE.read_bytes())

    assert Project.objects.count() == 2
    assert project.participations.count() == len(
        load_grant_file(DEMO_GRANT_FILE.read_bytes())["participants"]
    )


@pytest.mark.django_db
def test_load_demo_twice_leaves_one_project_and_one_of_each_user_and_role(debug):
    first = StringIO()
    call_command("load-demo", stdout=first)
    before = _snapshot()
    second = StringIO()

    call_command("load-demo", stdout=second)

    assert _snapshot() == before
    assert Project.objects.filter(grant_agreement_number=DEMO_NUMBER).count() == 1
    portfolio = demo_portfolio_numbers()
    assert sorted(Project.objects.values_list("grant_agreement_number", flat=True)) == sorted(
        [DEMO_NUMBER, *portfolio]
    )
    assert sorted(_logins()) == sorted(DEMO_USERNAMES)
    assert ProjectRole.objects.filter(project__grant_agreement_number=DEMO_NUMBER).count() == 5
    # Each portfolio project: the demo officers (the second records the payments), and one
    # primary manager at its coordinator.
    for number in portfolio:
        roles = ProjectRole.objects.filter(project__grant_agreement_number=number)
        assert sorted(roles.values_list("role", "is_primary")) == [
            ("manager", True),
            ("officer", False),
            ("officer", False),
        ]
        assert sorted(roles.filter(role="officer").values_list("user__username", flat=True)) == [
            "officer",
            "officer2",
        ]
    assert "Imported the demo grant CARETECH" in first.getvalue()
    assert "already exists; not imported again" in second.getvalue()
    assert "Created users" not in second.getvalue()


@pytest.mark.django_db
def test_load_demo_prints_the_logins_and_the_partners_it_chose(debug):
    out = StringIO()

    call_command("load-demo", stdout=out)

    text = out.getvalue()
    for username in DEMO_USERNAMES:
        assert re.search(rf"^  {username} .* {DEFAULT_DEMO_PASSWORD}$", text, re.MULTILINE)
    assert "NEMPOLY (LT)" in text
    assert "NORDLYS (NO)" in text


@pytest.mark.django_db
def test_demo_users_log_in_with_the_password_and_hold_their_roles(debug):
    call_command("load-demo", stdout=StringIO())
    project = Project.objects.get(grant_agreement_number=DEMO_NUMBER)

    for username in DEMO_USERNAMES:
        assert Client().login(username=username, password=DEFAULT_DEMO_PASSWORD), username
        assert not Client().login(username=username, password="wrong-password")
        user = User.objects.get(username=username)
        assert user.email == f"{username}@example.org"
        assert user.first_name
        assert user.last_name

    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.is_staff
    assert not admin.project_roles.exists()

    officer = User.objects.get(username="officer")
    assert officer.is_agency_officer
    assert not officer.is_superuser
    assert set(officer.project_roles.values_list("project", "role", "participation")) == {
        (pk, "officer", None) for pk in Project.objects.values_list("pk", flat=True)
    }

    manager_role = ProjectRole.objects.get(user__username="manager", project=project)
    assert manager_role.project == project
    assert manager_role.role == "manager"
    assert manager_role.is_primary
    assert manager_role.participation == project.participations.get(role="coordinator")
    assert not manager_role.user.is_agency_officer

    partner_roles = [
        ProjectRole.objects.select_related("participation__organisation").get(
            user__username=username
        )
        for username in ("partner1", "partner2")
    ]
    for role in partner_roles:
        assert role.project == project
        assert role.role == "partner_contact"
        assert not role.is_primary
        assert role.participation.role == "beneficiary"
        assert role.participation.left_on is None
    assert (
        partner_roles[0].participation.organisation.country_id
        != partner_roles[1].participation.organisation.country_id
    )


@pytest.mark.django_db
def test_load_demo_sets_the_given_password_and_puts_it_back(debug):
    call_command("load-demo", "--password", "another-demo-pass", stdout=StringIO())
    assert Client().login(username="partner1", password="another-demo-pass")
    assert not Client().login(username="partner1", password=DEFAULT_DEMO_PASSWORD)

    out = StringIO()
    call_command("load-demo", stdout=out)

    assert Client().login(username="partner1", password=DEFAULT_DEMO_PASSWORD)
    assert "partner1 (password)" in out.getvalue()
    assert sorted(_logins()) == sorted(DEMO_USERNAMES)


@pytest.mark.django_db
def test_load_demo_adopts_existing_users_without_duplicating_them(debug, officer, admin_user):
    call_command("load-demo", stdout=StringIO())

    assert User.objects.filter(username="officer").count() == 1
    roles = User.objects.get(pk=officer.pk).project_roles
    assert roles.get(project__grant_agreement_number=DEMO_NUMBER).role == "officer"
    assert Client().login(username="admin", password=DEFAULT_DEMO_PASSWORD)


@pytest.mark.django_db
def test_load_demo_refuses_without_debug(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match=r"DEBUG is off.*--allow-production"):
        call_command("load-demo", stdout=StringIO())

    assert not Project.objects.exists()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_load_demo_runs_without_debug_when_production_is_allowed(settings):
    settings.DEBUG = False

    call_command("load-demo", "--allow-production", stdout=StringIO())

    assert Project.objects.filter(grant_agreement_number=DEMO_NUMBER).exists()
    assert Client().login(username="manager", password=DEFAULT_DEMO_PASSWORD)


@pytest.mark.django_db
def test_load_demo_refuses_a_foreign_project_with_the_demo_number(debug, spec_example_bytes):
    grant_file_import(content=spec_example_bytes.replace(b'"101056201"', b'"101143210"'))

    with pytest.raises(CommandError, match="is SECOVE, not the demo project"):
        call_command("load-demo", stdout=StringIO())

    assert not User.objects.exists()
    assert not ProjectRole.objects.exists()


@pytest.mark.django_db
def test_load_demo_reports_a_rejected_import_and_writes_nothing(debug):
    # An organisation already recorded with one of the demo's PICs but another name: the
    # import's checks apply to the demo as to any file.
    organisation = Organisation.objects.create(
        pic="992100101", legal_name="Other College", short_name="OTHER", country_id="LV"
    )
    for code in ("vet_provider_secondary", "vet_provider_tertiary"):
        organisation.type_entries.create(code=code)
    err = StringIO()

    with pytest.raises(CommandError, match="the demo grant was not imported: 1 error"):
        call_command("load-demo", stdout=StringIO(), stderr=err)

    assert "participants[0].legal_name" in err.getvalue()
    assert not Project.objects.exists()
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["officer", "manager"])
def test_demo_project_is_listed_and_shown_whole_through_the_api(debug, api_client, username):
    call_command("load-demo", stdout=StringIO())
    demo = load_grant_file(DEMO_GRANT_FILE.read_bytes())
    # The demo's dates were moved to put today in its 33rd month.
    demo = grant_file_shifted(
        demo,
        demo_shift_months(datetime.date.fromisoformat(demo["start_date"]), brussels_today()),
    )
    assert api_client.login(username=username, password=DEFAULT_DEMO_PASSWORD)

    listing = api_client.get("/api/v1/projects/")

    assert listing.status_code == 200
    numbers = [item["grant_agreement_number"] for item in listing.json()["results"]]
    # The officer's whole portfolio; the manager's two projects (HOMECARE is theirs too).
    expected = demo_portfolio_numbers() if username == "officer" else ["101149905"]
    assert sorted(numbers) == sorted([DEMO_NUMBER, *expected])
    item = next(i for i in listing.json()["results"] if i["grant_agreement_number"] == DEMO_NUMBER)
    assert item["coordinator"]["short_name"] == "GAUJA"
    assert item["participant_count"] == len(demo["participants"])

    detail = api_client.get(f"/api/v1/projects/{item['id']}/")

    assert detail.status_code == 200
    body = detail.json()
    assert [(p["short_name"], p["role"]) for p in body["participants"]] == [
        (p["short_name"], p["role"]) for p in demo["participants"]
    ]
    by_name = {p["short_name"]: p for p in body["participants"]}
    for entry in demo["participants"]:
        shown = by_name[entry["short_name"]]
        assert shown["organisation"]["pic"] == entry["pic"]
        assert shown["organisation"]["country"] == entry["country"]
        assert shown["organisation"]["types"] == sorted(entry["types"])
        assert shown["left_on"] == entry.get("left_on")
        assert shown["affiliated_to"] == entry.get("affiliated_to")
    assert len(body["work_packages"]) == 8
    assert len(body["deliverables"]) == len(demo["deliverables"])
    assert len(body["milestones"]) == len(demo["milestones"])
    assert len(body["reporting_periods"]) == 3


@pytest.mark.django_db
def test_demo_project_is_not_shown_to_a_user_without_a_role(debug, api_client, beneficiary_user):
    call_command("load-demo", stdout=StringIO())
    project = Project.objects.get(grant_agreement_number=DEMO_NUMBER)
    api_client.force_authenticate(beneficiary_user)

    listing = api_client.get("/api/v1/projects/")
    detail = api_client.get(f"/api/v1/projects/{project.pk}/")

    assert listing.status_code == 200
    assert listing.json()["results"] == []
    assert detail.status_code == 404
    assert Participation.objects.filter(project=project).count() >= 20
