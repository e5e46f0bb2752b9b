"""The demo data: a fictional CoVE grant and a login for each kind of user, to try the system.

The grant comes in through the ordinary grant-file import, checks included; the demo users and
their project roles are made to match the specification below. Running it again changes nothing.
"""

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from backend.accounts.models import ProjectRole, ProjectRoleKind
from backend.grants.grantfile.loading import load_grant_file
from backend.grants.models import Participation, ParticipationRole, Project
from backend.grants.services import grant_file_import

DEMO_GRANT_FILE = Path(__file__).resolve().parent / "demo_data" / "cove-demo.yaml"
DEFAULT_DEMO_PASSWORD = "grantwatch-demo"


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
    logins: list[DemoLogin] = field(default_factory=list)
    users_created: list[str] = field(default_factory=list)
    users_updated: list[str] = field(default_factory=list)  # "name (fields put right)"
    roles_created: int = 0
    roles_updated: int = 0
    work_record_loaded: bool = False


def demo_load(
    *, password: str = DEFAULT_DEMO_PASSWORD, allow_production: bool = False
) -> DemoResult:
    """Import the demo grant unless its grant agreement number is taken, and make the demo
    users and their roles on it exist as specified. All or nothing; idempotent.

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

    content = DEMO_GRANT_FILE.read_bytes()
    demo = load_grant_file(content)
    with transaction.atomic():
        project = Project.objects.filter(
            grant_agreement_number=demo["grant_agreement_number"]
        ).first()
        imported = project is None
        if imported:
            project = grant_file_import(content=content)
        elif project.acronym != demo["acronym"]:
            raise DemoError(
                _(
                    "A project with the demo's grant agreement number %(number)s exists, but it "
                    "is %(acronym)s, not the demo project; the demo users are not attached to it."
                )
                % {"number": project.grant_agreement_number, "acronym": project.acronym}
            )
        result = DemoResult(project=project, project_imported=imported)
        for spec in DEMO_USERS:
            user = _demo_user_ensure(spec, password, result)
            acting_for = None
            if spec.role is not None:
                acting_for = _demo_role_ensure(spec, user, project, result)
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
        _demo_work_record_ensure(project, result)
    return result


def _demo_work_record_ensure(project: Project, result: DemoResult) -> None:
    """Give the demo project a work record unless it has one (a project loaded by an earlier
    version gets one too)."""
    from backend.reporting.demo import DemoPeople, demo_work_record_load
    from backend.reporting.models import PeriodicReport

    if (
        PeriodicReport.objects.filter(project=project).exists()
        or project.deliverables.exclude(status="pending").exists()
    ):
        return
    users = {
        user.username: user
        for user in get_user_model().objects.filter(
            username__in=[spec.username for spec in DEMO_USERS]
        )
    }
    partners = {
        spec.acting_for: users[spec.username]
        for spec in DEMO_USERS
        if spec.role == ProjectRoleKind.PARTNER_CONTACT
    }
    demo_work_record_load(
        project,
        DemoPeople(manager=users["manager"], officer=users["officer"], partners=partners),
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
