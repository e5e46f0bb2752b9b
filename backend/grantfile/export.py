"""Writing a project's record back as a grant file that imports into an identical record."""

import datetime
import json
from typing import Any

import yaml

from backend.grants.models import Participation, Project
from backend.workplan.models import Deliverable, Milestone, WorkPackage

from .validation import FORMAT, PAYMENT_DAYS_KINDS


def grant_file_data(project: Project) -> dict[str, Any]:
    """The grant file of a project loaded with ``projects_with_record()``, keys in the
    specification's order. Optional keys are written only when they differ from the default.

    Dates are ``date`` objects, for ``dump_grant_file`` to write; read a dumped file back with
    ``load_grant_file`` before checking it, as an import does."""
    return {
        "format": FORMAT,
        "call": project.call.identifier,
        "grant_agreement_number": project.grant_agreement_number,
        "acronym": project.acronym,
        "title": project.title,
        "signed_on": project.signed_on,
        "start_date": project.start_date,
        "duration_months": project.duration_months,
        "max_grant_eur": str(project.max_grant_eur),
        "payment_schedule": _payment_schedule(project),
        "participants": [
            _participant(participation, project.start_date)
            for participation in project.participations.all()
        ],
        "work_packages": [_work_package(wp) for wp in project.work_packages.all()],
        "deliverables": [_deliverable(deliverable) for deliverable in project.deliverables.all()],
        "milestones": [_milestone(milestone) for milestone in project.milestones.all()],
    }


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
    return entry


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
