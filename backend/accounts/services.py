"""Writes of users' own settings, and the roles administrators give users on projects."""

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from backend.accounts.models import ProjectRole, User, validate_reminder_days
from backend.audit.services import event_record
from backend.common.errors import Conflict, InvalidInput, PathError

# What a user may change about themselves; everything else is the administrators'.
SETTINGS_FIELDS = ("language", "reminder_days")


class _Unset:
    """A setting the caller leaves as it is."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset()


def _language_error(language) -> str | None:
    codes = [code for code, _name in settings.LANGUAGES]
    if not isinstance(language, str) or language not in codes:
        return _('"%(value)s" is not allowed; use one of: %(allowed)s.') % {
            "value": language,
            "allowed": ", ".join(codes),
        }
    return None


def _reminder_days_error(reminder_days) -> str | None:
    try:
        validate_reminder_days(reminder_days)
    except ValidationError as invalid:
        return " ".join(invalid.messages)
    return None


def user_settings_update(*, user, language=UNSET, reminder_days=UNSET) -> User:
    """Change the user's own language (en or lv: the language of their e-mails) and reminder
    days (at most 5 whole numbers of days from 0 to 90, each once). A setting left UNSET stays
    as it is. Raises PermissionDenied for an anonymous user and InvalidInput naming each bad
    field; a refusal writes nothing. A change records one ``user.settings_changed`` event (on
    no project); asking for the settings the user already has records nothing."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied(_("Sign in to change your settings."))
    errors = []
    if language is not UNSET and (message := _language_error(language)):
        errors.append(PathError("language", message))
    if reminder_days is not UNSET and (message := _reminder_days_error(reminder_days)):
        errors.append(PathError("reminder_days", message))
    if errors:
        raise InvalidInput(errors, _("Your settings were not saved."))
    with transaction.atomic():
        current = User.objects.select_for_update().get(pk=user.pk)
        wanted = {
            "language": current.language if language is UNSET else language,
            "reminder_days": current.reminder_days if reminder_days is UNSET else reminder_days,
        }
        before = {name: getattr(current, name) for name in SETTINGS_FIELDS}
        if wanted != before:
            for name, value in wanted.items():
                setattr(current, name, value)
            current.save(update_fields=list(SETTINGS_FIELDS))
            event_record(
                actor=user,
                verb="user.settings_changed",
                obj=current,
                project_id=None,
                before=before,
                after=wanted,
            )
    for name in SETTINGS_FIELDS:
        setattr(user, name, getattr(current, name))
    return user


def _role_errors(role: ProjectRole) -> list[PathError]:
    """The role's own checks (``ProjectRole.clean`` and its fields), each at its field."""
    try:
        role.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as invalid:
        return [
            PathError(field if field != NON_FIELD_ERRORS else "", message)
            for field, messages in invalid.message_dict.items()
            for message in messages
        ]
    return []


def project_role_grant(
    *, actor, user: User, project, role: str, participation=None, is_primary: bool = False
) -> ProjectRole:
    """Give ``user`` a role on ``project``. Only administrators grant roles (``actor`` None is
    the command line or the demo loader, which are trusted). An officer role goes only to agency
    staff outside the project's consortium, and a consortium role never to the project's
    officer (``role_refusal``): InvalidInput naming the field otherwise, and a role held
    already is a Conflict. The user's row is locked meanwhile, so that two grants to one user
    are decided one after the other. Records one ``project_role.granted`` event."""
    if actor is not None and not (actor.is_authenticated and actor.is_superuser):
        raise PermissionDenied(_("Only administrators give users roles on projects."))
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        granted = ProjectRole(
            user=locked,
            project=project,
            role=role,
            participation=participation,
            is_primary=is_primary,
        )
        if ProjectRole.objects.filter(user=locked, project=project, role=role).exists():
            raise Conflict(
                _("%(user)s already holds this role on %(project)s.")
                % {"user": locked, "project": project}
            )
        errors = _role_errors(granted)
        if errors:
            raise InvalidInput(errors, _("The role was not given."))
        granted.save()
        event_record(
            actor=actor,
            verb="project_role.granted",
            obj=granted,
            after={
                "user": locked.username,
                "role": role,
                "participation": participation.pk if participation is not None else None,
                "is_primary": is_primary,
            },
        )
    return granted
