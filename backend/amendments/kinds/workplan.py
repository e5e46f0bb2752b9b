"""Annex 1, the work plan (``change_work_plan``): work packages, deliverables and milestones
added, changed or removed.

``details``: ``{"work_packages": [{"number", "title", "lead", "clusters", "start_month",
"end_month", "remove"}], "deliverables": [{"code", "title", "work_package", "lead", "due_month",
"type", "dissemination", "remove"}], "milestones": [{"code", "title", "work_packages", "lead",
"due_month", "verification", "remove"}]}``, each list optional. An entry with a number or code
the project has changes the fields it gives; one with a new number or code adds it (then every
field is needed); ``"remove": true`` takes it away.

The checks: months within the project's duration (a work package's end not before its start);
leads are the coordinator or a beneficiary taking part (not one that left); clusters from the
CoVE vocabulary; a deliverable's work package exists (or is added by the same change). Removing
is refused for a deliverable already submitted (it keeps its history), and for a work package
with deliverables, lump-sum shares, declarations in reports or payments, or for an achieved
milestone. A new work package's lump sum is 0.00; an Annex 2 change after this one in the same
request may give it shares. Moving a deliverable's due month moves its due date to the end of
the new month and records the move as a due-date revision, so its history shows.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from backend.grants.models import Participation, ParticipationRole, Project
from backend.payments.rules import ZERO, GrantFacts, WorkPackageFacts
from backend.reporting.models import WorkPackageDeclaration
from backend.workplan.models import (
    ActivityCluster,
    ClusterCode,
    Deliverable,
    DeliverableStatus,
    DeliverableType,
    Dissemination,
    DueDateRevision,
    Milestone,
    WorkPackage,
    WorkPackageShare,
)

from ..models import ChangeKind
from . import register
from .breakdown import paid_work_packages

LEAD_ROLES = frozenset({ParticipationRole.COORDINATOR, ParticipationRole.BENEFICIARY})
SECTIONS = ("work_packages", "deliverables", "milestones")
FIELDS = {
    "work_packages": ("number", "title", "lead", "clusters", "start_month", "end_month"),
    "deliverables": (
        "code",
        "title",
        "work_package",
        "lead",
        "due_month",
        "type",
        "dissemination",
    ),
    "milestones": ("code", "title", "work_packages", "lead", "due_month", "verification"),
}
KEYS = {"work_packages": "number", "deliverables": "code", "milestones": "code"}


@dataclass(frozen=True)
class PlanRecord:
    """What the checks of an Annex 1 change need: the duration, the participants who may lead,
    and the work plan with what stops an item's removal."""

    duration: int
    leads: frozenset[str]  # short names of the coordinator and beneficiaries taking part
    participants: frozenset[str]
    # number -> {"holders": short names with a share, "lump_sum", "declared", "paid",
    # "start_month", "end_month"}
    work_packages: Mapping[int, Mapping]
    deliverables: Mapping[str, Mapping]  # code -> {"work_package", "submitted", "due_month"}
    milestones: Mapping[str, Mapping]  # code -> {"achieved"}


def _is_month(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


class WorkPlanHandler:
    kind = ChangeKind.CHANGE_WORK_PLAN
    required = frozenset({"details"})
    optional = frozenset()

    def load(self, project_id: int) -> PlanRecord:
        project = Project.objects.values("duration_months").get(pk=project_id)
        participations = list(
            Participation.objects.filter(project_id=project_id).values_list(
                "short_name", "role", "left_on"
            )
        )
        paid = paid_work_packages([project_id])[project_id]
        shared: dict[int, set[str]] = {}
        for number, key in WorkPackageShare.objects.filter(
            work_package__project_id=project_id, amount_eur__gt=0
        ).values_list("work_package__number", "participation__short_name"):
            shared.setdefault(number, set()).add(key)
        declared = set(
            WorkPackageDeclaration.objects.filter(work_package__project_id=project_id).values_list(
                "work_package__number", flat=True
            )
        )
        packages = {
            row["number"]: {
                "holders": frozenset(shared.get(row["number"], ())),
                "lump_sum": row["lump_sum_eur"],
                "declared": row["number"] in declared,
                "paid": row["number"] in paid,
                "start_month": row["start_month"],
                "end_month": row["end_month"],
            }
            for row in WorkPackage.objects.filter(project_id=project_id).values(
                "number", "start_month", "end_month", "lump_sum_eur"
            )
        }
        deliverables = {
            row["code"]: {
                "work_package": row["work_package__number"],
                "submitted": row["status"]
                in (DeliverableStatus.SUBMITTED, DeliverableStatus.ACCEPTED),
                "due_month": row["due_month"],
            }
            for row in Deliverable.objects.filter(project_id=project_id).values(
                "code", "work_package__number", "status", "due_month"
            )
        }
        milestones = {
            code: {"achieved": achieved is not None}
            for code, achieved in Milestone.objects.filter(project_id=project_id).values_list(
                "code", "achieved_on"
            )
        }
        return PlanRecord(
            duration=project["duration_months"],
            leads=frozenset(
                key for key, role, left_on in participations if role in LEAD_ROLES and not left_on
            ),
            participants=frozenset(key for key, _role, _left in participations),
            work_packages=packages,
            deliverables=deliverables,
            milestones=milestones,
        )

    # -- the checks -----------------------------------------------------------------------------

    def check(self, change, record: PlanRecord, checker, earlier: list[Mapping]):
        details = change.details
        if not isinstance(details, Mapping):
            checker.error("details", _("Give the changes of the work plan as an object."))
            return None
        for key in details:
            if key not in SECTIONS:
                checker.error(("details", str(key)), _("An Annex 1 change does not use this."))
        if not any(details.get(section) for section in SECTIONS):
            checker.error(
                "details",
                _("Give at least one work package, deliverable or milestone to change."),
            )
            return None
        stored = {}
        for section in SECTIONS:
            entries = details.get(section)
            if entries is None:
                continue
            if not isinstance(entries, list):
                checker.error(("details", section), _("Give a list."))
                continue
            stored[section] = entries
        if checker_found(checker):
            return None
        _Plan(record, checker, stored, _emptied(earlier)).check()
        return None if checker_found(checker) else stored

    # -- what it does ---------------------------------------------------------------------------

    def consortium_changes(self, values: Mapping, record) -> list:
        return []

    def facts_after(self, facts: GrantFacts, values: Mapping, record) -> GrantFacts:
        """Work packages removed leave the payment facts; new ones join with no lump sum."""
        entries = (values["details"] or {}).get("work_packages", ())
        removed = {entry["number"] for entry in entries if entry.get("remove")}
        known = {package.number for package in facts.work_packages}
        added = [
            WorkPackageFacts(entry["number"], ZERO)
            for entry in entries
            if not entry.get("remove") and entry["number"] not in known
        ]
        if not removed and not added:
            return facts
        packages = [p for p in facts.work_packages if p.number not in removed] + added
        return replace(facts, work_packages=tuple(sorted(packages, key=lambda p: p.number)))

    def apply(self, *, project, change, user, record) -> set[int]:
        details = change.details or {}
        leads = {
            p.short_name: p
            for p in Participation.objects.filter(project=project, left_on__isnull=True)
        }
        clusters = {c.code: c for c in ActivityCluster.objects.all()}
        packages = {wp.number: wp for wp in WorkPackage.objects.filter(project=project)}
        for entry in details.get("work_packages", ()):
            package = packages.get(entry["number"])
            if entry.get("remove"):
                package.delete()
                continue
            if package is None:
                package = WorkPackage(project=project, number=entry["number"], lump_sum_eur=ZERO)
            for name in ("title", "start_month", "end_month"):
                if name in entry:
                    setattr(package, name, entry[name])
            if "lead" in entry:
                package.lead = leads[entry["lead"]]
            package.save()
            packages[package.number] = package
            if "clusters" in entry:
                package.clusters.set([clusters[code] for code in entry["clusters"]])
        self.apply_deliverables(project, details, user, leads, packages, change)
        self.apply_milestones(project, details, leads, packages)
        return {project.pk}

    def apply_deliverables(self, project, details, user, leads, packages, change) -> None:
        deliverables = {d.code: d for d in Deliverable.objects.filter(project=project)}
        position = max((d.position for d in deliverables.values()), default=0)
        now = timezone.now()
        for entry in details.get("deliverables", ()):
            deliverable = deliverables.get(entry["code"])
            if entry.get("remove"):
                if deliverable is not None:  # else gone with its work package
                    deliverable.delete()
                continue
            if deliverable is None:
                position += 1
                deliverable = Deliverable(project=project, code=entry["code"], position=position)
            for name in ("title", "type", "dissemination"):
                if name in entry:
                    setattr(deliverable, name, entry[name])
            if "work_package" in entry:
                deliverable.work_package = packages[entry["work_package"]]
            if "lead" in entry:
                deliverable.lead = leads[entry["lead"]]
            moved_from = None
            if "due_month" in entry:
                new_on = project.month_end(entry["due_month"])
                if deliverable.pk is not None and deliverable.due_on != new_on:
                    moved_from = deliverable.due_on
                deliverable.due_month = entry["due_month"]
                deliverable.due_on = new_on
            deliverable.save()
            if moved_from is not None:
                DueDateRevision.objects.create(
                    deliverable=deliverable,
                    previous_on=moved_from,
                    new_on=deliverable.due_on,
                    reason=_("Moved to month %(month)s by amendment request %(number)s.")
                    % {"month": deliverable.due_month, "number": change.request_id},
                    revised_at=now,
                    revised_by=user,
                )

    def apply_milestones(self, project, details, leads, packages) -> None:
        milestones = {m.code: m for m in Milestone.objects.filter(project=project)}
        position = max((m.position for m in milestones.values()), default=0)
        for entry in details.get("milestones", ()):
            milestone = milestones.get(entry["code"])
            if entry.get("remove"):
                if milestone is not None:
                    milestone.delete()
                continue
            if milestone is None:
                position += 1
                milestone = Milestone(project=project, code=entry["code"], position=position)
            for name in ("title", "due_month", "verification"):
                if name in entry:
                    setattr(milestone, name, entry[name])
            if "lead" in entry:
                milestone.lead = leads[entry["lead"]]
            milestone.save()
            if "work_packages" in entry:
                milestone.work_packages.set([packages[n] for n in entry["work_packages"]])


def _emptied(earlier: list[Mapping]) -> dict[int, set[str]]:
    """By work package, the participants whose shares the request's earlier Annex 2 changes
    set to 0.00 (those that give the maximum grant, so that the lump sums follow the shares)."""
    emptied: dict[int, set[str]] = {}
    for values in earlier:
        details = values.get("details") or {}
        if values.get("kind") != ChangeKind.CHANGE_LUMP_SUM_BREAKDOWN:
            continue
        if "max_grant_eur" not in details:
            continue
        for number, shares in details.get("work_packages", {}).items():
            zeroed = {key for key, amount in shares.items() if Decimal(amount) == ZERO}
            emptied.setdefault(int(number), set()).update(zeroed)
    return emptied


def checker_found(checker) -> bool:
    return bool(getattr(checker, "found", None))


class _Plan:
    """The checks of one Annex 1 change's entries against the record."""

    def __init__(self, record: PlanRecord, checker, details: Mapping, emptied: Mapping):
        self.record = record
        # Work packages an earlier Annex 2 change leaves without money: each holder's share set
        # to 0.00, the lump sums following the shares.
        self.emptied = {
            number
            for number, zeroed in emptied.items()
            if number in record.work_packages and record.work_packages[number]["holders"] <= zeroed
        }
        self.checker = checker
        self.details = details
        entries = details.get("work_packages", ())
        valid = [e for e in entries if isinstance(e, Mapping)]
        self.removed_packages = {e.get("number") for e in valid if e.get("remove")}
        self.packages = (set(record.work_packages) | {e.get("number") for e in valid}) - (
            self.removed_packages
        )
        self.removed_deliverables = {
            e.get("code")
            for e in details.get("deliverables", ())
            if isinstance(e, Mapping) and e.get("remove")
        }

    def error(self, path: tuple, message: str) -> None:
        self.checker.error(("details", *path), message)

    def check(self) -> None:
        for section in SECTIONS:
            seen = set()
            for index, entry in enumerate(self.details.get(section, ())):
                path = (section, index)
                if not isinstance(entry, Mapping):
                    self.error(path, _("Give an object."))
                    continue
                key = entry.get(KEYS[section])
                if key in seen:
                    self.error(
                        (*path, KEYS[section]),
                        _("This change already lists this one; list it once."),
                    )
                    continue
                seen.add(key)
                self.check_entry(section, path, entry)

    def check_entry(self, section: str, path: tuple, entry: Mapping) -> None:
        key_name = KEYS[section]
        key = entry.get(key_name)
        unknown = set(entry) - set(FIELDS[section]) - {"remove"}
        for name in sorted(unknown):
            self.error((*path, name), _("An entry of this list does not use this."))
        if section == "work_packages" and not _is_month(key):
            self.error((*path, key_name), _("Give the work package's number, e.g. 3."))
            return
        if section != "work_packages" and (not isinstance(key, str) or not key.strip()):
            self.error((*path, key_name), _("Give the code, e.g. D2.3."))
            return
        existing = {
            "work_packages": self.record.work_packages,
            "deliverables": self.record.deliverables,
            "milestones": self.record.milestones,
        }[section]
        if entry.get("remove") is not None and entry.get("remove") is not True:
            self.error((*path, "remove"), _("Give true to remove it, or leave this out."))
            return
        if entry.get("remove"):
            if key not in existing:
                self.error((*path, key_name), _("The work plan has no such item to remove."))
            else:
                getattr(self, f"check_removal_{section}")(path, key, existing[key])
            return
        if key not in existing:
            for name in FIELDS[section]:
                if name not in entry:
                    self.error((*path, name), _("A new item needs this field."))
        elif set(entry) == {key_name}:
            self.error(path, _("Give at least one field to change."))
        getattr(self, f"check_fields_{section}")(path, entry)

    # -- removals -------------------------------------------------------------------------------

    def check_removal_work_packages(self, path, number, record: Mapping) -> None:
        reasons = []
        deliverables_left = [
            code
            for code, d in self.record.deliverables.items()
            if d["work_package"] == number and code not in self.removed_deliverables
        ]
        if deliverables_left:
            reasons.append(
                _("it has deliverables (%(codes)s)")
                % {"codes": ", ".join(sorted(deliverables_left))}
            )
        emptied = number in self.emptied
        if record["holders"] and not emptied:
            reasons.append(_("it has lump-sum shares (move them with an Annex 2 change first)"))
        elif record["lump_sum"] > ZERO and not emptied:
            reasons.append(_("it has a lump sum (move it with an Annex 2 change first)"))
        if record["declared"]:
            reasons.append(_("reports declare it"))
        if record["paid"]:
            reasons.append(_("it is paid"))
        if reasons:
            self.error(
                (*path, "remove"),
                _("WP%(number)s cannot be removed: %(reasons)s.")
                % {"number": number, "reasons": "; ".join(str(r) for r in reasons)},
            )

    def check_removal_deliverables(self, path, code, record: Mapping) -> None:
        if record["submitted"]:
            self.error(
                (*path, "remove"),
                _("%(code)s is already submitted; it keeps its history and cannot be removed.")
                % {"code": code},
            )

    def check_removal_milestones(self, path, code, record: Mapping) -> None:
        if record["achieved"]:
            self.error(
                (*path, "remove"),
                _("%(code)s is already achieved; it cannot be removed.") % {"code": code},
            )

    # -- fields ---------------------------------------------------------------------------------

    def check_month(self, path, entry, name) -> None:
        if name in entry:
            value = entry[name]
            if not _is_month(value) or value > self.record.duration:
                self.error(
                    (*path, name),
                    _("Give a month of the project, from 1 to %(duration)s.")
                    % {"duration": self.record.duration},
                )

    def check_lead(self, path, entry) -> None:
        if "lead" in entry and entry["lead"] not in self.record.leads:
            self.error(
                (*path, "lead"),
                _(
                    "The lead must be the coordinator or a beneficiary taking part in the "
                    "project; %(value)s is not."
                )
                % {"value": f'"{entry["lead"]}"'},
            )

    def check_title(self, path, entry, name="title") -> None:
        if name in entry and (not isinstance(entry[name], str) or not entry[name].strip()):
            self.error((*path, name), _("Give a text."))

    def check_fields_work_packages(self, path, entry) -> None:
        self.check_title(path, entry)
        self.check_lead(path, entry)
        self.check_month(path, entry, "start_month")
        self.check_month(path, entry, "end_month")
        recorded = self.record.work_packages.get(entry.get("number"), {})
        start = entry.get("start_month", recorded.get("start_month"))
        end = entry.get("end_month", recorded.get("end_month"))
        if _is_month(start) and _is_month(end) and end < start:
            self.error((*path, "end_month"), _("The end month cannot be before the start month."))
        if "clusters" in entry:
            clusters = entry["clusters"]
            if (
                not isinstance(clusters, list)
                or not clusters
                or any(code not in ClusterCode.values for code in clusters)
            ):
                self.error(
                    (*path, "clusters"),
                    _("Give one or more activity clusters: %(values)s.")
                    % {"values": ", ".join(ClusterCode.values)},
                )

    def check_fields_deliverables(self, path, entry) -> None:
        self.check_title(path, entry)
        self.check_lead(path, entry)
        self.check_month(path, entry, "due_month")
        if "work_package" in entry and entry["work_package"] not in self.packages:
            self.error(
                (*path, "work_package"),
                _("The work plan has no work package %(number)s.")
                % {"number": entry["work_package"]},
            )
        if "type" in entry and entry["type"] not in DeliverableType.values:
            self.error(
                (*path, "type"),
                _("Give one of %(values)s.") % {"values": ", ".join(DeliverableType.values)},
            )
        if "dissemination" in entry and entry["dissemination"] not in Dissemination.values:
            self.error(
                (*path, "dissemination"),
                _("Give one of %(values)s.") % {"values": ", ".join(Dissemination.values)},
            )

    def check_fields_milestones(self, path, entry) -> None:
        self.check_title(path, entry)
        self.check_title(path, entry, "verification")
        self.check_lead(path, entry)
        self.check_month(path, entry, "due_month")
        if "work_packages" in entry:
            numbers = entry["work_packages"]
            if (
                not isinstance(numbers, list)
                or not numbers
                or any(n not in self.packages for n in numbers)
            ):
                self.error(
                    (*path, "work_packages"),
                    _("Give the numbers of one or more work packages of the work plan."),
                )


HANDLER = register(WorkPlanHandler())
