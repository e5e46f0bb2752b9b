"""An organisation's own data over time, and the projects' third parties.

A change of an organisation's seat, types or legal name is an update of the organisation with
the date it takes effect, as its legal representative records it in the participant register
(F&T Online Manual, "Data updates":
https://webgate.ec.europa.eu/funding-tenders-opportunities/display/OM/Data+updates): not an
amendment of each project. The organisation row holds the newest values; each update keeps the
values it replaced, so that a check of an earlier day reads that day's values, and every
project the organisation takes part in is checked again.

Services check permission first (PermissionDenied with the reason), then the input
(InvalidInput naming each field); a refusal writes nothing. Reads sit beside them.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from backend.accounts.models import ProjectRole
from backend.accounts.permissions import project_access
from backend.audit.services import event_record
from backend.common.errors import InvalidInput, PathError
from backend.common.seam import projects_changed
from backend.grants.models import (
    PIC_VALIDATOR,
    Country,
    Organisation,
    OrganisationType,
    OrganisationUpdate,
    OrgType,
    Participation,
    Project,
    ThirdParty,
    ThirdPartyKind,
)

SOURCE_MAX_LENGTH = 300
LEGAL_NAME_MAX_LENGTH = 300
DESCRIPTION_MAX_LENGTH = 300
# The values an update may change, in the order errors name them.
UPDATED_FIELDS = ("country", "types", "legal_name")

_ONE_DAY = datetime.timedelta(days=1)


# -- permissions ---------------------------------------------------------------------------------


def can_update_organisation(user, organisation: Organisation) -> tuple[bool, str]:
    """Administrators, and the organisation's own people (the users who work for it), record
    updates of its data, as its legal representative does in the participant register."""
    if not user.is_authenticated:
        return False, _("Sign in to record an update of an organisation.")
    if user.is_superuser or (
        user.organisation_id is not None and user.organisation_id == organisation.pk
    ):
        return True, ""
    return False, _(
        "Only administrators and the organisation's own contacts record updates of its data."
    )


def can_see_organisation(user, organisation: Organisation) -> bool:
    """Administrators and agency officers see every organisation; anyone else the
    organisations of the projects they work on, and their own."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.is_agency_officer or user.organisation_id == organisation.pk:
        return True
    their_projects = ProjectRole.objects.filter(user_id=user.pk).values("project_id")
    return (
        Participation.objects.filter(
            organisation=organisation, project_id__in=their_projects
        ).exists()
        or ThirdParty.objects.filter(
            organisation=organisation, project_id__in=their_projects
        ).exists()
    )


def can_add_third_party(user, project: Project) -> tuple[bool, str]:
    """The project's managers, its agency officers and administrators record subcontractors
    and recipients of financial support."""
    if not user.is_authenticated:
        return False, _("Sign in to record a third party.")
    if user.is_superuser:
        return True, ""
    access = project_access(user, project.pk)
    if access.manager or access.officer:
        return True, ""
    return False, access.officer_void or _(
        "Only the project's managers, its agency officers and administrators record third parties."
    )


# -- reads ----------------------------------------------------------------------------------------


def organisation_by_pic(*, user, pic: str) -> Organisation | None:
    """The organisation with this PIC, or None if there is none or the user may not see it
    (not told apart). A PIC is 9 digits: anything else names no organisation."""
    if not PIC_VALIDATOR.regex.fullmatch(pic):
        return None
    organisation = (
        Organisation.objects.select_related("country")
        .prefetch_related("type_entries")
        .filter(pic=pic)
        .first()
    )
    if organisation is None or not can_see_organisation(user, organisation):
        return None
    return organisation


@dataclass(frozen=True)
class Period:
    """The organisation's values over a stretch of days (valid_to inclusive; None: open)."""

    valid_from: datetime.date | None  # None: since before any recorded update
    valid_to: datetime.date | None
    country: str
    types: list[str]
    legal_name: str
    source: str  # the update that started the period ("" for the first)


def organisation_updates(organisation: Organisation) -> list[OrganisationUpdate]:
    return list(
        OrganisationUpdate.objects.filter(organisation=organisation)
        .select_related("recorded_by")
        .order_by("effective_on", "id")
    )


def organisation_periods(
    organisation: Organisation, updates: Sequence[OrganisationUpdate] | None = None
) -> list[Period]:
    """The organisation's dated history as periods, oldest first: its values before the first
    update, then from each update's date on (the last period is open and holds the values of
    the organisation row)."""
    if updates is None:
        updates = organisation_updates(organisation)
    # Walk back from the newest values: each update gives the values before it.
    values = {
        "country": organisation.country_id,
        "types": list(organisation.types),
        "legal_name": organisation.legal_name,
    }
    periods: list[Period] = []
    days = sorted({update.effective_on for update in updates}, reverse=True)
    valid_to = None
    for day in days:
        on_day = [update for update in updates if update.effective_on == day]
        periods.append(
            Period(
                valid_from=day,
                valid_to=valid_to,
                country=values["country"],
                types=sorted(values["types"]),
                legal_name=values["legal_name"],
                source="; ".join(update.source for update in on_day),
            )
        )
        for update in on_day:
            if update.country_id is not None:
                values["country"] = update.previous_country_id
            if update.types is not None:
                values["types"] = list(update.previous_types)
            if update.legal_name:
                values["legal_name"] = update.previous_legal_name
        valid_to = day - _ONE_DAY
    periods.append(
        Period(
            valid_from=None,
            valid_to=valid_to,
            country=values["country"],
            types=sorted(values["types"]),
            legal_name=values["legal_name"],
            source="",
        )
    )
    return list(reversed(periods))


def organisation_project_ids(organisation: Organisation) -> set[int]:
    """Every project the organisation takes (or took) part in, or works for as a third party."""
    return set(
        Participation.objects.filter(organisation=organisation).values_list("project_id", flat=True)
    ) | set(
        ThirdParty.objects.filter(organisation=organisation).values_list("project_id", flat=True)
    )


def project_third_parties(project: Project) -> list[ThirdParty]:
    return list(
        ThirdParty.objects.filter(project=project)
        .select_related("organisation")
        .order_by("started_on", "id")
    )


# -- organisation updates -------------------------------------------------------------------------


def _input_errors(
    *,
    effective_on: datetime.date | None,
    country: str | None,
    types: Sequence[str] | None,
    legal_name: str | None,
    source: str,
) -> list[PathError]:
    """The update's values on their own: given, known, within the vocabulary and lengths."""
    errors: list[PathError] = []
    if effective_on is None:
        errors.append(
            PathError("effective_on", _("Give the first day of the new values (YYYY-MM-DD)."))
        )
    if not source:
        errors.append(
            PathError(
                "source",
                _("Say where the change comes from, e.g. the participant register's validation."),
            )
        )
    elif len(source) > SOURCE_MAX_LENGTH:
        errors.append(PathError("source", _at_most(SOURCE_MAX_LENGTH)))
    if country is None and types is None and legal_name is None:
        errors.append(PathError("", _("Give a new country, new types or a new legal name.")))
    if country is not None and not Country.objects.filter(code=country).exists():
        errors.append(
            PathError(
                "country",
                _("Unknown country code %(value)s; give an ISO 3166-1 alpha-2 code, e.g. PT.")
                % {"value": f'"{country}"'},
            )
        )
    if types is not None:
        errors += _types_errors(types)
    if legal_name is not None and len(legal_name) > LEGAL_NAME_MAX_LENGTH:
        errors.append(PathError("legal_name", _at_most(LEGAL_NAME_MAX_LENGTH)))
    return errors


def _at_most(length: int) -> str:
    return _("Write at most %(max)s characters.") % {"max": length}


def _types_errors(types: Sequence[str]) -> list[PathError]:
    errors = []
    if not types:
        errors.append(PathError("types", _("Give at least one type.")))
    for index, code in enumerate(types):
        if code not in OrgType.values:
            errors.append(
                PathError.at(
                    ("types", index),
                    _('"%(value)s" is not allowed; use one of: %(allowed)s.')
                    % {"value": code, "allowed": ", ".join(OrgType.values)},
                )
            )
    if len(set(types)) != len(types):
        errors.append(PathError("types", _("Give each type once.")))
    return errors


def _history_errors(
    organisation: Organisation, effective_on: datetime.date, given: dict
) -> list[PathError]:
    """Each value's history stays in order: an update of a value comes after the last update
    of that value, and changes it."""
    recorded = OrganisationUpdate.objects.filter(organisation=organisation)
    updates_of = {
        "country": recorded.filter(country__isnull=False),
        "types": recorded.filter(types__isnull=False),
        "legal_name": recorded.exclude(legal_name=""),
    }
    current = {
        "country": organisation.country_id,
        "types": sorted(organisation.types),
        "legal_name": organisation.legal_name,
    }
    errors = []
    for field in UPDATED_FIELDS:
        value = given[field]
        if value is None:
            continue
        later = (
            updates_of[field].filter(effective_on__gte=effective_on).order_by("-effective_on")
        ).first()
        if later is not None:
            errors.append(
                PathError(
                    field,
                    _(
                        "An update from %(date)s already changes this value; record a change "
                        "from a later date, or correct that update first."
                    )
                    % {"date": later.effective_on.isoformat()},
                )
            )
        elif (sorted(value) if field == "types" else value) == current[field]:
            errors.append(
                PathError(
                    field,
                    _("The organisation already has this value on %(date)s.")
                    % {"date": effective_on.isoformat()},
                )
            )
    return errors


def record_organisation_update(
    *,
    organisation: Organisation,
    user,
    effective_on: datetime.date | None,
    country: str | None = None,
    types: Sequence[str] | None = None,
    legal_name: str | None = None,
    source: str,
) -> tuple[OrganisationUpdate, set[int]]:
    """Check and write an update (no permission check: ``organisation_update`` asks for it, an
    approved amendment is its own authority), in the caller's transaction. Returns the update
    and the projects to check again."""
    source = (source or "").strip()
    legal_name = (legal_name or "").strip() or None
    types = None if types is None else list(types)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    errors = _input_errors(
        effective_on=effective_on,
        country=country,
        types=types,
        legal_name=legal_name,
        source=source,
    )
    if not errors:
        errors = _history_errors(
            organisation,
            effective_on,
            {"country": country, "types": types, "legal_name": legal_name},
        )
    if errors:
        raise InvalidInput(errors, _("The organisation was not updated."))
    update = OrganisationUpdate(
        organisation=organisation,
        effective_on=effective_on,
        source=source,
        recorded_by=user if user is not None and user.is_authenticated else None,
    )
    changed_fields = []
    if country is not None:
        update.previous_country_id, update.country_id = organisation.country_id, country
        organisation.country_id = country
        changed_fields.append("country")
    if types is not None:
        update.previous_types, update.types = sorted(organisation.types), sorted(types)
        organisation.type_entries.all().delete()
        OrganisationType.objects.bulk_create(
            OrganisationType(organisation=organisation, code=code) for code in sorted(types)
        )
    if legal_name is not None:
        update.previous_legal_name, update.legal_name = organisation.legal_name, legal_name
        organisation.legal_name = legal_name
        changed_fields.append("legal_name")
    update.full_clean()
    update.save()
    if changed_fields:
        organisation.full_clean()
        organisation.save(update_fields=changed_fields)
    project_ids = organisation_project_ids(organisation)
    _record_events(user, update, project_ids)
    return update, project_ids


def _record_events(user, update: OrganisationUpdate, project_ids: set[int]) -> None:
    """The update's audit event: the organisation is not one project's, so each project it
    takes part in shows the update in its activity."""
    before = {
        "country": update.previous_country_id,
        "types": update.previous_types,
        "legal_name": update.previous_legal_name or None,
    }
    after = {
        "effective_on": update.effective_on,
        "country": update.country_id,
        "types": update.types,
        "legal_name": update.legal_name or None,
        "source": update.source,
    }
    for project_id in sorted(project_ids) or [None]:
        event_record(
            actor=user,
            verb="organisation.updated",
            obj=update,
            project_id=project_id,
            object_repr=str(update),
            before={k: v for k, v in before.items() if after[k] is not None},
            after={k: v for k, v in after.items() if v is not None},
            note=update.source,
        )


def organisation_update(
    *,
    organisation: Organisation,
    user,
    effective_on: datetime.date | None,
    country: str | None = None,
    types: Sequence[str] | None = None,
    legal_name: str | None = None,
    source: str,
) -> OrganisationUpdate:
    """Record a change of an organisation's own data from a date on; every project it takes
    part in is checked again."""
    allowed, reason = can_update_organisation(user, organisation)
    if not allowed:
        raise PermissionDenied(reason)
    with transaction.atomic():
        update, project_ids = record_organisation_update(
            organisation=organisation,
            user=user,
            effective_on=effective_on,
            country=country,
            types=types,
            legal_name=legal_name,
            source=source,
        )
        projects_changed(project_ids, reason="organisation updated")
    return update


# -- third parties --------------------------------------------------------------------------------


def third_party_add(
    *,
    project: Project,
    user,
    pic: str,
    kind: str,
    started_on: datetime.date | None,
    ended_on: datetime.date | None = None,
    description: str = "",
) -> ThirdParty:
    """Record a subcontractor or a recipient of financial support (an organisation the system
    knows, by PIC); the project is checked again, since a restricted entity may not receive
    EU money indirectly either."""
    allowed, reason = can_add_third_party(user, project)
    if not allowed:
        raise PermissionDenied(reason)
    description = (description or "").strip()
    errors: list[PathError] = []
    organisation = Organisation.objects.filter(pic=pic).first() if pic else None
    if not pic:
        errors.append(PathError("pic", _("Give the organisation's PIC (9 digits).")))
    elif organisation is None:
        errors.append(
            PathError(
                "pic",
                _("The system does not know the organisation with PIC %(pic)s.") % {"pic": pic},
            )
        )
    if kind not in ThirdPartyKind.values:
        errors.append(
            PathError(
                "kind",
                _('"%(value)s" is not allowed; use one of: %(allowed)s.')
                % {"value": kind, "allowed": ", ".join(ThirdPartyKind.values)},
            )
        )
    if started_on is None:
        errors.append(PathError("started_on", _("Give the first day (YYYY-MM-DD).")))
    elif not project.start_date <= started_on <= project.last_day:
        errors.append(
            PathError(
                "started_on",
                _("Give a day within the project, from %(start)s to %(end)s.")
                % {"start": project.start_date.isoformat(), "end": project.last_day.isoformat()},
            )
        )
    if started_on is not None and ended_on is not None and ended_on < started_on:
        errors.append(PathError("ended_on", _("The last day cannot be before the first.")))
    if len(description) > DESCRIPTION_MAX_LENGTH:
        errors.append(PathError("description", _at_most(DESCRIPTION_MAX_LENGTH)))
    if errors:
        raise InvalidInput(errors, _("The third party was not recorded."))
    with transaction.atomic():
        third_party = ThirdParty(
            project=project,
            organisation=organisation,
            kind=kind,
            started_on=started_on,
            ended_on=ended_on,
            description=description,
        )
        third_party.full_clean()
        third_party.save()
        event_record(
            actor=user,
            verb="third_party.added",
            obj=third_party,
            before=None,
            after={
                "pic": pic,
                "kind": kind,
                "started_on": started_on,
                "ended_on": ended_on,
                "description": description,
            },
        )
        projects_changed([project.pk], reason="third party added")
    return third_party
