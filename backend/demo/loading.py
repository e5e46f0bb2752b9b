"""The demo data: a fictional CoVE grant, a portfolio of smaller ones around it and a login for
each kind of user, to try the system.

The grants come in through the ordinary grant-file import, checks included; the demo users and
their project roles are made to match the specification below. Running it again changes nothing.

The demo is always current: the demo grant's dates are moved by whole months so that, on the day
it is loaded, the project is in its 33rd month (its third year), whatever the calendar says; the
file's due months and M-numbers stay as written. The portfolio's projects are written relative to
the same day. A demo loaded on an earlier day is left as it is (``DemoResult.current_month`` says
how far it has moved on); start from an empty database for a current one.

The watchers' checks of everything the demo wrote run inside the load, with the code the worker
runs, so the flags are there when the first page opens.
"""

import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import ProjectRole, ProjectRoleKind
from backend.common.dates import add_months, brussels_today, project_month
from backend.common.seam import all_projects_changed, changes_collected
from backend.demo.portfolio import demo_portfolio_load
from backend.demo.work_record import DemoPeople, demo_work_record_load
from backend.grantfile.loading import load_grant_file
from backend.grantfile.services import grant_file_import
from backend.grants.models import Participation, ParticipationRole, Project
from backend.reporting.models import PeriodicReport
from monitoring.checks import check_projects

DEMO_GRANT_FILE = Path(__file__).resolve().parent / "data" / "cove-demo.yaml"
DEFAULT_DEMO_PASSWORD = "grantwatch-demo"
# On the day the demo is loaded (with its dates shifted), the demo grant is in this month.
DEMO_MONTH = 33
# The grant file's dates, moved together when the demo is shifted.
_PROJECT_DATES = ("signed_on", "start_date")
_PARTICIPANT_DATES = ("joined_on", "left_on")


class DemoError(Exception):
    """The demo data cannot be loaded here; the message says why."""


class DemoNotAllowed(DemoError):
    """DEBUG is off and loading the demo was not explicitly allowed."""


@dataclass(frozen=True)
class DemoUser:
    """A demo login: who it is and what it may do."""

    username: str
    first_name: str
    last_name: str
    is_superuser: bool = False
    is_staff: bool = False
    is_agency_officer: bool = False
    role: str | None = None  # a ProjectRoleKind on the demo project, None for the administrator
    acting_for: str | None = None  # short name of a beneficiary (partner contacts)

    @property
    def email(self) -> str:
        return f"{self.username}@example.org"


DEMO_USERS = (
    DemoUser("admin", "Ilze", "Bērziņa", is_superuser=True, is_staff=True),
    DemoUser("officer", "Sophie", "Lambert", is_agency_officer=True, role=ProjectRoleKind.OFFICER),
    # A second officer records the payments the first approves: two people see every payment.
    DemoUser("officer2", "Marc", "Dubois", is_agency_officer=True, role=ProjectRoleKind.OFFICER),
    # The manager acts for the coordinator, whichever participant that is.
    DemoUser("manager", "Jānis", "Ozols", role=ProjectRoleKind.MANAGER),
    DemoUser(
        "partner1",
        "Rūta",
        "Petrauskienė",
        role=ProjectRoleKind.PARTNER_CONTACT,
        acting_for="NEMPOLY",  # the Lithuanian polytechnic
    ),
    DemoUser(
        "partner2",
        "Ingrid",
        "Solberg",
        role=ProjectRoleKind.PARTNER_CONTACT,
        acting_for="NORDLYS",  # the Norwegian assistive-technology company
    ),
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    acting_for: str  # "SHORT (CC)" or empty
    password: str


@dataclass
class DemoResult:
    project: Project
    project_imported: bool  # False: a project with the demo's grant agreement number existed
    today: datetime.date  # the day the demo was loaded for
    current_month: int  # the demo project's month on that day
    logins: list[DemoLogin] = field(default_factory=list)
    users_created: list[str] = field(default_factory=list)
    users_updated: list[str] = field(default_factory=list)  # "name (fields put right)"
    roles_created: int = 0
    roles_updated: int = 0
    work_record_loaded: bool = False
    portfolio_created: list[Project] = field(default_factory=list)
    projects_checked: int = 0


def month_shifted(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved by whole months; the last day of a month stays the last day of one."""
    moved = add_months(day, months)
    if (day + datetime.timedelta(days=1)).month != day.month:
        return add_months(moved.replace(day=1), 1) - datetime.timedelta(days=1)
    return moved


def demo_shift_months(start_date: datetime.date, today: datetime.date) -> int:
    """The whole months that put ``today`` in month ``DEMO_MONTH`` of a project that starts on
    the first of a month, ``start_date``."""
    first = add_months(today.replace(day=1), 1 - DEMO_MONTH)
    return (first.year - start_date.year) * 12 + first.month - start_date.month


def grant_file_shifted(data: dict, months: int) -> dict:
    """A copy of a grant file's data with all its dates moved by ``months``."""

    def moved(value):
        if not value:
            return value
        return month_shifted(datetime.date.fromisoformat(value), months).isoformat()

    shifted = {**data, **{key: moved(data[key]) for key in _PROJECT_DATES if key in data}}
    shifted["participants"] = [
        {
            **participant,
            **{key: moved(participant[key]) for key in _PARTICIPANT_DATES if key in participant},
        }
        for participant in data.get("participants", [])
    ]
    return shifted


def demo_load(
    *,
    password: str = DEFAULT_DEMO_PASSWORD,
    allow_production: bool = False,
    shift: bool = True,
    portfolio: bool = True,
) -> DemoResult:
    """Import the demo grant unless its grant agreement number is taken, make the demo
    users and their roles on it exist as specified, add the portfolio's projects that are
    missing, and check every project written. All or nothing; idempotent.

    The demo is written for today in Brussels; with ``shift`` off the demo grant keeps the
    file's own dates; with ``portfolio`` off the portfolio's projects are left out.

    Refuses (DemoNotAllowed) when DEBUG is off unless ``allow_production``: logins with a known
    password do not belong on a production server. Raises GrantFileInvalid if the import's
    checks reject the demo file (e.g. an organisation with one of its PICs is recorded
    differently).
    """
    if not settings.DEBUG and not allow_production:
        raise DemoNotAllowed(
            _(
                "DEBUG is off, so this looks like a production server: the demo data creates "
                "logins with a known password and is not loaded there. Allow it explicitly if "
                "this server is meant for demonstrations."
            )
        )
    if not password:
        raise DemoError(_("The demo password must not be empty."))
    today = brussels_today()
    with changes_collected() as changes:
        result = _demo_write(password, today, shift=shift, portfolio=portfolio)
    if changes.everything:
        all_projects_changed()
    ids = sorted(changes.project_ids)
    if ids:
        # What the worker would do with the checks these changes queue, done now, once.
        check_projects(ids, now=timezone.now())
    result.projects_checked = len(ids)
    return result


def _demo_write(password: str, today: datetime.date, *, shift: bool, portfolio: bool) -> DemoResult:
    demo = load_grant_file(DEMO_GRANT_FILE.read_bytes())
    with transaction.atomic():
        project = Project.objects.filter(
            grant_agreement_number=demo["grant_agreement_number"]
        ).first()
        imported = project is None
        if imported:
            months = (
                demo_shift_months(datetime.date.fromisoformat(demo["start_date"]), today)
                if shift
                else 0
            )
            project = grant_file_import(
                content=json.dumps(grant_file_shifted(demo, months)).encode()
            )
        elif project.acronym != demo["acronym"]:
            raise DemoError(
                _(
                    "A project with the demo's grant agreement number %(number)s exists, but it "
                    "is %(acronym)s, not the demo project; the demo users are not attached to it."
                )
                % {"number": project.grant_agreement_number, "acronym": project.acronym}
            )
        result = DemoResult(
            project=project,
            project_imported=imported,
            today=today,
            current_month=project_month(project.start_date, today),
        )
        users = {}
        for spec in DEMO_USERS:
            users[spec.username] = _demo_user_ensure(spec, password, result)
            acting_for = None
            if spec.role is not None:
                acting_for = _demo_role_ensure(spec, users[spec.username], project, result)
            result.logins.append(
                DemoLogin(
                    username=spec.username,
                    role=str(ProjectRoleKind(spec.role).label) if spec.role else _("Administrator"),
                    acting_for=f"{acting_for.short_name} ({acting_for.organisation.country_id})"
                    if acting_for
                    else "",
                    password=password,
                )
            )
        _demo_work_record_ensure(project, users, result, today)
        if portfolio:
            result.portfolio_created = demo_portfolio_load(
                today=today,
                officer=users["officer"],
                manager=users["manager"],
                payer=users["officer2"],
            )
    return result


def _demo_work_record_ensure(project: Project, users: dict, result: DemoResult, today) -> None:
    """Give the demo project a work record unless it has one (a project loaded by an earlier
    version gets one too)."""
    if (
        PeriodicReport.objects.filter(project=project).exists()
        or project.deliverables.exclude(status="pending").exists()
    ):
        return
    partners = {
        spec.acting_for: users[spec.username]
        for spec in DEMO_USERS
        if spec.role == ProjectRoleKind.PARTNER_CONTACT
    }
    demo_work_record_load(
        project,
        DemoPeople(
            manager=users["manager"],
            officer=users["officer"],
            partners=partners,
            payer=users["officer2"],
        ),
        today=today,
    )
    result.work_record_loaded = True


def _demo_user_ensure(spec: DemoUser, password: str, result: DemoResult):
    wanted = {
        "first_name": spec.first_name,
        "last_name": spec.last_name,
        "email": spec.email,
        "is_active": True,
        "is_superuser": spec.is_superuser,
        "is_staff": spec.is_staff,
        "is_agency_officer": spec.is_agency_officer,
    }
    user_model = get_user_model()
    user = user_model.objects.filter(username=spec.username).first()
    if user is None:
        user = user_model(username=spec.username, **wanted)
        user.set_password(password)
        user.full_clean()
        user.save()
        result.users_created.append(spec.username)
        return user
    changed = [name for name, value in wanted.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, wanted[name])
    if not user.check_password(password):
        user.set_password(password)
        changed.append("password")
    if changed:
        user.full_clean()
        user.save(update_fields=changed)
        result.users_updated.append(f"{spec.username} ({', '.join(changed)})")
    return user


def _demo_role_ensure(
    spec: DemoUser, user, project: Project, result: DemoResult
) -> Participation | None:
    participations = project.participations.select_related("organisation").filter(
        left_on__isnull=True
    )
    participation = None
    is_primary = False
    if spec.role == ProjectRoleKind.MANAGER:
        participation = participations.filter(role=ParticipationRole.COORDINATOR).first()
        is_primary = True
        other_primary = (
            ProjectRole.objects.filter(
                project=project, role=ProjectRoleKind.MANAGER, is_primary=True
            )
            .exclude(user=user)
            .select_related("user")
            .first()
        )
        if other_primary is not None:
            raise DemoError(
                _(
                    "%(user)s is already the primary manager of %(project)s; the demo manager "
                    "cannot be."
                )
                % {"user": other_primary.user.username, "project": project}
            )
    elif spec.role == ProjectRoleKind.PARTNER_CONTACT:
        participation = participations.filter(
            short_name=spec.acting_for, role=ParticipationRole.BENEFICIARY
        ).first()
    if spec.role != ProjectRoleKind.OFFICER and participation is None:
        raise DemoError(
            _("%(project)s has no active participant for the demo user %(user)s to act for.")
            % {"project": project, "user": spec.username}
        )

    if participation is not None and user.organisation_id != participation.organisation_id:
        # Managers and partner contacts work for the organisation they act for.
        user.organisation = participation.organisation
        user.save(update_fields=["organisation"])
        if spec.username not in result.users_created:
            result.users_updated.append(f"{spec.username} (organisation)")

    role, created = ProjectRole.objects.get_or_create(
        user=user,
        project=project,
        role=spec.role,
        defaults={"participation": participation, "is_primary": is_primary},
    )
    if created:
        result.roles_created += 1
    elif role.participation_id != getattr(participation, "pk", None) or (
        role.is_primary != is_primary
    ):
        role.participation = participation
        role.is_primary = is_primary
        role.full_clean()
        role.save(update_fields=["participation", "is_primary"])
        result.roles_updated += 1
    return participation
