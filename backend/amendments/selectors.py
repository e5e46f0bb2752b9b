"""Reads of amendment requests, scoped to the requesting user, and the what-if of their changes
(which reads the record and never writes)."""

import datetime
from collections.abc import Iterable

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from backend.amendments.permissions import can_see_drafts
from backend.common.dates import brussels_today
from backend.grants.eligibility.facts import Restriction
from backend.grants.models import Accession, Country, Organisation, Participation, Project
from backend.grants.selectors import AnyOf, consortia
from backend.payments.selectors import grant_facts

from .errors import AmendmentInvalid, FieldError
from .kinds import handler_for
from .models import (
    AmendmentChange,
    AmendmentRequest,
    AmendmentStatus,
    ChangeKind,
    InformationRequest,
)
from .money import facts_with, money_what_if
from .validation import ChangeInput, check_changes, mentioned_kinds, mentioned_pics
from .whatif import AmendmentContext, KnownOrganisation, planned_changes, what_if


def _with_changes(requests: QuerySet[AmendmentRequest]) -> QuerySet[AmendmentRequest]:
    changes = AmendmentChange.objects.select_related("participation", "affiliated_to").order_by(
        "position"
    )
    return requests.select_related(
        "created_by", "submitted_by", "decided_by", "withdrawn_by"
    ).prefetch_related(
        Prefetch("changes", queryset=changes),
        Prefetch(
            "information_requests",
            queryset=InformationRequest.objects.select_related("asked_by", "answered_by"),
        ),
    )


def amendment_list(*, user, project: Project) -> QuerySet[AmendmentRequest]:
    """The project's amendment requests the user may see: drafts, and drafts withdrawn before
    they were submitted, only for those who draft them (the project's managers and
    administrators); every other request for anyone who sees the project. Newest first, with
    their changes and requests for information, in a fixed number of queries."""

    requests = AmendmentRequest.objects.filter(project=project)
    if not can_see_drafts(user, project)[0]:
        requests = requests.exclude(status=AmendmentStatus.DRAFT).exclude(
            status=AmendmentStatus.WITHDRAWN, submitted_at__isnull=True
        )
    return _with_changes(requests).order_by("-created_at", "-id")


def information_request_get(
    *, user, project: Project, amendment_id: int, information_id: int
) -> InformationRequest | None:
    """A question on a request the user may see (``amendment_list``), or None."""
    return (
        InformationRequest.objects.filter(
            pk=information_id,
            request__in=amendment_list(user=user, project=project)
            .filter(pk=amendment_id)
            .values("pk"),
        )
        .select_related("request__project")
        .first()
    )


def amendment_get(*, user, project: Project, amendment_id: int) -> AmendmentRequest | None:
    return amendment_list(user=user, project=project).filter(pk=amendment_id).first()


def amendment_context(
    *, project_id: int, pics: Iterable[str] = (), kinds: Iterable[str] = ()
) -> AmendmentContext:
    """The project's consortium and rule set, the known countries, what the record knows of
    the organisations with these PICs, and what the handlers of these kinds of change of the
    grant as a whole need from it."""
    consortium, rules = consortia([project_id])[project_id]
    organisations = {
        organisation.pic: KnownOrganisation(
            pic=organisation.pic,
            legal_name=organisation.legal_name,
            country=organisation.country_id,
            types=frozenset(organisation.types),
            restrictions=tuple(
                Restriction(r.kind, r.valid_from, r.valid_to)
                for r in organisation.restrictions.all()
            ),
        )
        for organisation in Organisation.objects.filter(pic__in=set(pics)).prefetch_related(
            "type_entries", "restrictions"
        )
    }
    return AmendmentContext(
        consortium=consortium,
        rules=rules,
        countries=frozenset(Country.objects.values_list("code", flat=True)),
        organisations=organisations,
        records={kind: handler_for(kind).load(project_id) for kind in sorted(set(kinds))},
    )


def context_for(project_id: int, changes: Iterable[ChangeInput]) -> AmendmentContext:
    """The context that checking and trying out these changes needs."""
    changes = list(changes)
    return amendment_context(
        project_id=project_id, pics=mentioned_pics(changes), kinds=mentioned_kinds(changes)
    )


def change_as_input(change: AmendmentChange) -> dict:
    """A stored change with the fields a request gives (what a page shows of it)."""
    return {
        "kind": change.kind,
        "effective_on": change.effective_on,
        "participant": change.participation.short_name if change.participation_id else None,
        "pic": change.pic or None,
        "legal_name": change.legal_name or None,
        "short_name": change.short_name or None,
        # An organisation change's new country or types travel in the same fields.
        "country": change.country_id or change.new_country_id,
        "types": change.types if change.new_types is None else change.new_types,
        "affiliated_to": change.affiliated_to.short_name if change.affiliated_to_id else None,
        # Only a termination says who initiated it (the others store the default).
        "initiated_by": (
            change.initiated_by if change.kind == ChangeKind.TERMINATE_PARTICIPATION else None
        ),
        "details": change.details,
    }


def stored_change_input(change: AmendmentChange) -> ChangeInput:
    """A stored change as the checks take it (to check it again against today's record)."""
    return ChangeInput(**change_as_input(change))


def changes_what_if(*, project: Project, changes: list[ChangeInput]) -> dict:
    """The what-if of changes sent as input: checked (AmendmentInvalid), tried, not saved."""
    if not changes:
        raise AmendmentInvalid([FieldError("changes", _("Give at least one change."))])
    context = context_for(project.pk, changes)
    validated = check_changes(changes, context)
    return validated_what_if(project.pk, context, validated)


def validated_what_if(
    project_id: int, context: AmendmentContext, validated: list, today=None
) -> dict:
    """The what-if of checked changes: eligibility over time and, when changes of the grant
    as a whole touch it, the money (``money.money_what_if``)."""
    result = what_if(
        context.consortium,
        context.rules,
        planned_changes(validated, context.consortium, context.organisations, context.records),
        effective_on=min(values["effective_on"] for values in validated),
    )
    money = None
    if context.records:
        today = today or brussels_today()
        before = grant_facts([project_id], today=today)[project_id]
        money = money_what_if(before, facts_with(before, validated, context.records), today)
    result["money"] = money
    result["notes"] = [
        note
        for values in validated
        if values["kind"] in context.records
        for note in getattr(handler_for(values["kind"]), "notes", lambda *args: [])(
            values, context.records[values["kind"]]
        )
    ]
    return result


def amendment_what_if(amendment: AmendmentRequest) -> tuple[dict | None, list[FieldError]]:
    """The what-if of a stored request's changes as the record stands now, or None with the
    reasons why its changes no longer fit the record. Decided requests have none: an approved
    request's changes are in the record."""
    if amendment.status not in (AmendmentStatus.DRAFT, AmendmentStatus.SUBMITTED):
        return None, []
    changes = [stored_change_input(change) for change in amendment.changes.all()]
    if not changes:
        return None, []
    try:
        result = changes_what_if(project=amendment.project, changes=changes)
    except AmendmentInvalid as invalid:
        return None, invalid.errors
    return result, []


def amendments_past_decision_date(
    *, today: datetime.date, project_ids: Iterable[int] | None = None
) -> QuerySet[AmendmentRequest]:
    """Submitted requests with no decision after the decision period: they count as rejected
    (``AmendmentRequest.is_deemed_rejected``). For the watchers, which flag them."""
    # A request waiting for information it was asked for does not lapse meanwhile.
    requests = AmendmentRequest.objects.filter(
        Q(status=AmendmentStatus.SUBMITTED) & Q(decision_due_on__lt=today)
    ).exclude(
        Exists(InformationRequest.objects.filter(request=OuterRef("pk"), answered_at__isnull=True))
    )
    if project_ids is not None:
        requests = requests.filter(AnyOf(F("project_id"), project_ids))
    return requests


def accession_list(*, project: Project) -> QuerySet[Participation]:
    """The project's participants that accede to the grant agreement after an amendment
    added them (pending, acceded since, or never), in the grant's order; one query. The
    caller has checked that the user sees the project."""
    return (
        Participation.objects.filter(project=project)
        .filter(Q(accession_due_on__isnull=False) | ~Q(accession=Accession.ACCEDED))
        .select_related("organisation")
        .order_by("position", "id")
    )


def participation_get(*, project: Project, participation_id: int) -> Participation | None:
    """One of the project's participations (the caller has checked that the user sees the
    project), or None."""
    return (
        Participation.objects.filter(project=project, pk=participation_id)
        .select_related("organisation", "project")
        .first()
    )
