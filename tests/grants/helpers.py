"""Helpers for grant-record tests: building variants of a grant file and reading a record back
independently of the exporter."""

import copy
from pathlib import Path
from typing import Any

import yaml

from tests.helpers import row_counts  # noqa: F401 - the suite's one row count, used here

DATA_DIR = Path(__file__).parent / "data"
SPEC_EXAMPLE = DATA_DIR / "spec-example.yaml"


def spec_example() -> dict[str, Any]:
    """The specification's example as plain data (dates stay strings, as the reader sees them)."""
    return _typed(yaml.safe_load(SPEC_EXAMPLE.read_text()))


def _typed(value: Any) -> Any:
    """YAML's own date type turned back into ISO strings."""
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(item) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def variant(change) -> dict[str, Any]:
    data = copy.deepcopy(spec_example())
    change(data)
    return data


class _NoAliasDumper(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True


def dump(data: dict[str, Any]) -> bytes:
    return yaml.dump(data, Dumper=_NoAliasDumper, sort_keys=False).encode()


def record_snapshot(project) -> dict[str, Any]:
    """Everything an import writes for a project, by natural keys, read straight from the
    tables (not through the exporter, which is what the round trip tests)."""
    participations = list(
        project.participations.select_related("organisation", "affiliated_to").order_by(
            "short_name"
        )
    )
    return {
        "project": {
            field: str(getattr(project, field))
            for field in (
                "grant_agreement_number",
                "acronym",
                "title",
                "signed_on",
                "start_date",
                "duration_months",
                "max_grant_eur",
                "prefinancing_percent",
                "payments_cap_percent",
            )
        }
        | {"call": project.call.identifier},
        "participants": [
            (
                p.short_name,
                p.organisation.pic,
                p.organisation.legal_name,
                p.organisation.country_id,
                tuple(sorted(t.code for t in p.organisation.type_entries.all())),
                p.role,
                str(p.joined_on),
                str(p.left_on),
                p.affiliated_to.short_name if p.affiliated_to else None,
            )
            for p in participations
        ],
        "work_packages": [
            (
                wp.number,
                wp.title,
                tuple(sorted(c.code for c in wp.clusters.all())),
                wp.lead.short_name,
                wp.start_month,
                wp.end_month,
                str(wp.lump_sum_eur),
                tuple(
                    sorted((s.participation.short_name, str(s.amount_eur)) for s in wp.shares.all())
                ),
            )
            for wp in project.work_packages.order_by("number")
        ],
        "deliverables": [
            (
                d.code,
                d.title,
                d.work_package.number,
                d.lead.short_name,
                d.type,
                d.dissemination,
                d.due_month,
            )
            for d in project.deliverables.order_by("code")
        ],
        "milestones": [
            (
                m.code,
                m.title,
                tuple(sorted(wp.number for wp in m.work_packages.all())),
                m.lead.short_name,
                m.due_month,
                m.verification,
            )
            for m in project.milestones.order_by("code")
        ],
        "reporting_periods": [
            (r.number, r.start_month, r.end_month, r.payment)
            for r in project.reporting_periods.order_by("number")
        ],
    }
