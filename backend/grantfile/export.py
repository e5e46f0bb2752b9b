"""Writing a project's record back as a grant file that imports into an identical record."""

import datetime
import json
from typing import Any

import yaml

from backend.grants.models import Accession, Participation, Project, ThirdParty
from backend.workplan.models import Deliverable, Milestone, WorkPackage

from .selectors import organisation_history
from .validation import FORMAT, PAYMENT_DAYS_KINDS, HistoryData


def grant_file_data(project: Project) -> dict[str, Any]:
    """The grant file of a project loaded with ``projects_with_record()``, keys in the
    specification's order: the record as amended (its duration, periods, consortium, work plan
    and shares as they are now), with the dated history of its participants. Optional keys
    are written only when they differ from the default, so a grant no amendment touched is
    written as it was signed.

    Dates are ``date`` objects, for ``dump_grant_file`` to write; read a dumped file back with
    ``load_grant_file`` before checking it, as an import does."""
    data: dict[str, Any] = {
        "format": FORMAT,
        "call": project.call.identifier,
        "grant_agreement_number": project.grant_agreement_number,
        "acronym": project.acronym,
        "title": project.title,
        "signed_on": project.signed_on,
        "start_date": project.start_date,
        "duration_months": project.duration_months,
    }
    if project.signed_duration_months is not None:
        data["signed_duration_months"] = project.signed_duration_months
    if project.terminated_on is not None:
        data["terminated_on"] = project.terminated_on
    suspensions = [_suspension(suspension) for suspension in project.suspensions.all()]
    if suspensions:
        data["suspensions"] = suspensions
    data |= {
        "max_grant_eur": str(project.max_grant_eur),
        "payment_schedule": _payment_schedule(project),
        "participants": [
            _participant(participation, project.start_date)
            for participation in project.participations.all()
        ],
    }
    third_parties = [_third_party(third_party) for third_party in project.third_parties.all()]
    if third_parties:
        data["third_parties"] = third_parties
    return data | {
        "work_packages": [_work_package(wp) for wp in project.work_packages.all()],
        "deliverables": [_deliverable(deliverable) for deliverable in project.deliverables.all()],
        "milestones": [_milestone(milestone) for milestone in project.milestones.all()],
    }


def _suspension(suspension) -> dict[str, Any]:
    entry: dict[str, Any] = {"from": suspension.started_on}
    if suspension.ended_on is not None:
        entry["until"] = suspension.ended_on
    if suspension.reason:
        entry["reason"] = suspension.reason
    return entry


def _third_party(third_party: ThirdParty) -> dict[str, Any]:
    organisation = third_party.organisation
    entry: dict[str, Any] = {
        "pic": organisation.pic,
        "legal_name": organisation.legal_name,
        "country": organisation.country_id,
        "types": organisation.types,
        "kind": third_party.kind,
        "from": third_party.started_on,
    }
    if third_party.ended_on is not None:
        entry["until"] = third_party.ended_on
    if third_party.description:
        entry["description"] = third_party.description
    return entry


def _payment_schedule(project: Project) -> dict[str, Any]:
    schedule: dict[str, Any] = {
        "prefinancing_percent": str(project.prefinancing_percent),
        "payments_cap_percent": str(project.payments_cap_percent),
    }
    # Only the deadlines the grant sets itself: the others are the call's.
    payment_days = {
        kind: getattr(project, f"{kind}_payment_days")
        for kind in PAYMENT_DAYS_KINDS
        if getattr(project, f"{kind}_payment_days") is not None
    }
    if payment_days:
        schedule["payment_days"] = payment_days
    schedule["reporting_periods"] = [
        {
            "number": period.number,
            "start_month": period.start_month,
            "end_month": period.end_month,
            "payment": period.payment,
        }
        for period in project.reporting_periods.all()
    ]
    return schedule


def _participant(participation: Participation, start_date: datetime.date) -> dict[str, Any]:
    organisation = participation.organisation
    entry = {
        "short_name": participation.short_name,
        "legal_name": organisation.legal_name,
        "pic": organisation.pic,
        "country": organisation.country_id,
        "types": organisation.types,
        "role": participation.role,
    }
    if participation.joined_on != start_date:
        entry["joined_on"] = participation.joined_on
    if participation.left_on is not None:
        entry["left_on"] = participation.left_on
    if participation.affiliated_to is not None:
        entry["affiliated_to"] = participation.affiliated_to.short_name
    if participation.accession != Accession.ACCEDED:
        entry["accession"] = participation.accession
    if participation.accession_due_on is not None:
        entry["accession_due_on"] = participation.accession_due_on
    if participation.acceded_on is not None:
        entry["acceded_on"] = participation.acceded_on
    history = _history(participation)
    if history:
        entry["history"] = history
    return entry


def _history(participation: Participation) -> list[dict[str, Any]]:
    """The values held before each dated change, oldest first: the organisation's updates
    and the participation's role changes (an update before a role change on the same day)."""
    roles = [
        HistoryData(
            until=change.effective_on - datetime.timedelta(days=1),
            role=change.previous_role,
            source=change.source,
        )
        for change in sorted(participation.role_changes.all(), key=lambda c: c.effective_on)
    ]
    entries = sorted(
        [*organisation_history(participation.organisation), *roles],
        key=lambda item: (item.until, item.role is not None),
    )
    written = []
    for item in entries:
        entry: dict[str, Any] = {"until": item.until}
        for key in ("country", "types", "legal_name", "role"):
            value = getattr(item, key)
            if value is not None:
                entry[key] = list(value) if key == "types" else value
        if item.source:
            entry["source"] = item.source
        written.append(entry)
    return written


def _work_package(wp: WorkPackage) -> dict[str, Any]:
    return {
        "number": wp.number,
        "title": wp.title,
        "clusters": [cluster.code for cluster in wp.clusters.all()],
        "lead": wp.lead.short_name,
        "start_month": wp.start_month,
        "end_month": wp.end_month,
        "lump_sum_eur": str(wp.lump_sum_eur),
        "shares_eur": {
            share.participation.short_name: str(share.amount_eur)
            for share in sorted(wp.shares.all(), key=lambda s: s.participation.position)
        },
    }


def _deliverable(deliverable: Deliverable) -> dict[str, Any]:
    return {
        "code": deliverable.code,
        "title": deliverable.title,
        "work_package": deliverable.work_package.number,
        "lead": deliverable.lead.short_name,
        "type": deliverable.type,
        "dissemination": deliverable.dissemination,
        "due_month": deliverable.due_month,
    }


def _milestone(milestone: Milestone) -> dict[str, Any]:
    return {
        "code": milestone.code,
        "title": milestone.title,
        "work_packages": sorted(wp.number for wp in milestone.work_packages.all()),
        "lead": milestone.lead.short_name,
        "due_month": milestone.due_month,
        "verification": milestone.verification,
    }


class _Dumper(yaml.SafeDumper):
    """Block style, except that short lists of plain values read as ``[a, b]``, as in the
    specification's example."""

    def ignore_aliases(self, data):
        return True


def _represent_list(dumper: yaml.SafeDumper, values: list) -> yaml.Node:
    flow = all(isinstance(value, str | int) for value in values)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", values, flow_style=flow)


_Dumper.add_representer(list, _represent_list)
# Subclasses of str (such as translated messages in an error response) are written as text.
_Dumper.add_multi_representer(str, yaml.representer.SafeRepresenter.represent_str)


def dump_grant_file(data: dict[str, Any], file_format: str = "yaml") -> str:
    """Serialise grant-file data as YAML (dates unquoted, as in the specification) or JSON."""
    if file_format == "json":
        return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
