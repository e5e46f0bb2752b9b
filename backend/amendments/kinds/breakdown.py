"""Annex 2, the lump-sum breakdown (``change_lump_sum_breakdown``): new shares of work packages
among the beneficiaries, and perhaps a new maximum grant.

``details``: ``{"work_packages": {"<number>": {"<short name>": "<amount>", ...}, ...},
"max_grant_eur": "<amount>"}`` (the maximum grant only when it changes). A work package listed
takes the amounts given for the participants named; the participants not named keep their
shares; an amount of 0.00 takes a share away. Work packages not listed are unchanged.

The checks: amounts are decimal strings with two places, not negative; a share goes to the
coordinator, a beneficiary or an affiliated entity (an associated partner receives nothing,
and a participant that left keeps only its shares of work packages already paid, which no
request changes); a work package already paid (in an approved instalment, or declared completed
in an approved report) keeps its shares; the shares of a work package add up to its lump sum,
unless the request changes the maximum grant (``max_grant_eur`` given, perhaps as it is, to move
amounts between work packages), when each listed work package's lump sum becomes the sum of its
shares and all lump sums must add up to the maximum grant exactly. A maximum
grant above the call's (EUR 4 million for CoVE) is refused; any increase is for the officer to
review: the what-if's money shows the maximum grant before and after.

The remaining beneficiaries carry out a leaver's part without extra funding unless the agency
agrees otherwise (brief 4.5), so a reallocation keeps the totals exact.
"""

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from backend.grants.models import Participation, ParticipationRole, Project
from backend.payments.models import Instalment
from backend.payments.rules import ZERO, GrantFacts, WorkPackageFacts
from backend.reporting.models import ReportStatus, WorkPackageDecision, WorkPackageDeclaration
from backend.workplan.models import WorkPackage, WorkPackageShare

from ..models import ADDITIONS, ChangeKind
from . import register

AMOUNT = re.compile(r"^[0-9]+\.[0-9]{2}$")
HOLDING_ROLES = frozenset(
    {
        ParticipationRole.COORDINATOR,
        ParticipationRole.BENEFICIARY,
        ParticipationRole.AFFILIATED_ENTITY,
    }
)
DETAILS_KEYS = ("work_packages", "max_grant_eur")


@dataclass(frozen=True)
class Holder:
    """A participant of the project, as a share's holder."""

    key: str
    role: str
    left_on: datetime.date | None = None
    id: int | None = None  # None: added by the request


@dataclass(frozen=True)
class PackageRecord:
    number: int
    lump_sum: Decimal
    shares: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class BreakdownRecord:
    """What the checks and the what-if of an Annex 2 change need: the work packages with their
    lump sums and shares, the participants, the work packages already paid, and the maximum
    grants (the project's and its call's)."""

    max_grant: Decimal
    call_max_grant: Decimal
    work_packages: Mapping[int, PackageRecord]
    holders: Mapping[str, Holder]
    paid: frozenset[int]


def paid_work_packages(project_ids) -> dict[int, set[int]]:
    """The numbers of each project's work packages already paid: in an approved instalment,
    or declared completed in an approved report and not rejected by the officer (two
    queries)."""
    paid: dict[int, set[int]] = {project_id: set() for project_id in project_ids}
    for project_id, numbers in Instalment.objects.filter(project_id__in=project_ids).values_list(
        "project_id", "work_packages"
    ):
        paid[project_id].update(int(number) for number in numbers or ())
    for project_id, number in (
        WorkPackageDeclaration.objects.filter(
            work_package__project_id__in=project_ids,
            completed=True,
            reporting_period__report__status=ReportStatus.APPROVED,
        )
        .exclude(decision=WorkPackageDecision.REJECTED)
        .values_list("work_package__project_id", "work_package__number")
    ):
        paid[project_id].add(number)
    return paid


def _amount(value) -> Decimal | None:
    """A decimal string with two places, not negative; None if it is not one."""
    if not isinstance(value, str) or not AMOUNT.match(value):
        return None
    try:
        return Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        return None


def _eur(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _work_packages(details: Mapping) -> dict[int, dict[str, Decimal]]:
    """Checked details' new shares, by work package number."""
    return {
        int(number): {key: Decimal(amount) for key, amount in shares.items()}
        for number, shares in (details.get("work_packages") or {}).items()
    }


def _new_max_grant(details: Mapping) -> Decimal | None:
    value = details.get("max_grant_eur")
    return None if value is None else Decimal(value)


def _merged(current: Mapping[str, Decimal], new: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """The shares with the new amounts; a share of 0.00 is gone."""
    merged = {**current, **new}
    return {key: amount for key, amount in merged.items() if amount != ZERO}


class BreakdownHandler:
    kind = ChangeKind.CHANGE_LUMP_SUM_BREAKDOWN
    required = frozenset({"details"})
    optional = frozenset()

    def load(self, project_id: int) -> BreakdownRecord:
        project = Project.objects.values("max_grant_eur", "call__max_grant_eur").get(pk=project_id)
        packages = {
            row["id"]: row
            for row in WorkPackage.objects.filter(project_id=project_id).values(
                "id", "number", "lump_sum_eur"
            )
        }
        shares: dict[int, dict[str, Decimal]] = {pk: {} for pk in packages}
        for wp_id, key, amount in WorkPackageShare.objects.filter(
            work_package__project_id=project_id
        ).values_list("work_package_id", "participation__short_name", "amount_eur"):
            shares[wp_id][key] = amount
        holders = {
            key: Holder(key, role, left_on, pk)
            for pk, key, role, left_on in Participation.objects.filter(
                project_id=project_id
            ).values_list("pk", "short_name", "role", "left_on")
        }
        return BreakdownRecord(
            max_grant=project["max_grant_eur"],
            call_max_grant=project["call__max_grant_eur"],
            work_packages={
                row["number"]: PackageRecord(row["number"], row["lump_sum_eur"], shares[pk])
                for pk, row in packages.items()
            },
            holders=holders,
            paid=frozenset(paid_work_packages([project_id])[project_id]),
        )

    # -- the checks -----------------------------------------------------------------------------

    def check(self, change, record: BreakdownRecord, checker, earlier: list[Mapping]):
        details = change.details
        if not isinstance(details, Mapping):
            checker.error("details", _("Give the new shares as an object of work packages."))
            return None
        for key in details:
            if key not in DETAILS_KEYS:
                checker.error(("details", str(key)), _("An Annex 2 change does not use this."))
        packages = details.get("work_packages")
        if not isinstance(packages, Mapping) or not packages:
            checker.error(
                ("details", "work_packages"),
                _(
                    "Give the new shares: for each work package changed, its number and the "
                    "amount of each participant whose share changes."
                ),
            )
            packages = {}
        max_grant = None
        if "max_grant_eur" in details:
            max_grant = self.check_max_grant(details["max_grant_eur"], record, checker)
        new_lump_sums = self.check_packages(
            packages, record, earlier, "max_grant_eur" in details, checker
        )
        if max_grant is not None and not checker_has_errors(checker):
            self.check_total(record, new_lump_sums, max_grant, checker)
        if checker_has_errors(checker):
            return None
        stored = {
            "work_packages": {
                str(int(number)): dict(shares) for number, shares in packages.items()
            },
        }
        if max_grant is not None:
            stored["max_grant_eur"] = f"{max_grant:.2f}"
        return stored

    def check_packages(self, packages, record, earlier, lump_sums_change, checker) -> dict:
        """Each work package's new shares checked; the new lump sums when they change."""
        holders = self.holders(record, earlier)
        added = _added_work_packages(earlier)
        new_lump_sums: dict[int, Decimal] = {}
        for number_text, shares in packages.items():
            number = self.check_package(number_text, shares, record, added, holders, checker)
            if number is None:
                continue
            current = record.work_packages.get(number)
            current_shares = current.shares if current else {}
            new = {key: Decimal(amount) for key, amount in shares.items()}
            total = sum(_merged(current_shares, new).values(), ZERO)
            lump_sum = current.lump_sum if current else ZERO
            if lump_sums_change:
                new_lump_sums[number] = total
            elif total != lump_sum:
                checker.error(
                    ("details", "work_packages", number_text),
                    _(
                        "The shares of WP%(number)s would add up to EUR %(total)s; its lump sum "
                        "is EUR %(lump_sum)s. Move amounts between participants, or change the "
                        "maximum grant in the same change."
                    )
                    % {"number": number, "total": _eur(total), "lump_sum": _eur(lump_sum)},
                )
        return new_lump_sums

    def check_total(self, record, new_lump_sums, max_grant, checker) -> None:
        """With a new maximum grant, the lump sums add up to it exactly."""
        lump_sums = {n: wp.lump_sum for n, wp in record.work_packages.items()}
        lump_sums.update(new_lump_sums)
        total = sum(lump_sums.values(), ZERO)
        if total != max_grant:
            checker.error(
                ("details", "max_grant_eur"),
                _(
                    "The work packages' lump sums would add up to EUR %(total)s; they must "
                    "add up to the maximum grant of EUR %(max_grant)s exactly."
                )
                % {"total": _eur(total), "max_grant": _eur(max_grant)},
            )

    def check_max_grant(self, value, record: BreakdownRecord, checker) -> Decimal | None:
        path = ("details", "max_grant_eur")
        amount = _amount(value)
        if amount is None or amount == ZERO:
            checker.error(path, _("Give an amount in EUR with two decimals, e.g. 1250000.00."))
            return None
        if amount > record.call_max_grant:
            # Edge case 27: above the call's maximum (EUR 4 million for CoVE) is non-compliant.
            checker.error(
                path,
                _(
                    "EUR %(amount)s is above the call's maximum grant of EUR %(maximum)s; no "
                    "amendment can raise the grant beyond it."
                )
                % {"amount": _eur(amount), "maximum": _eur(record.call_max_grant)},
            )
            return None
        return amount

    def holders(self, record: BreakdownRecord, earlier: list[Mapping]) -> dict[str, Holder]:
        """The participants as the request's earlier changes leave them: those it adds may
        hold shares, those it ends may not."""
        holders = dict(record.holders)
        for values in earlier:
            kind = values.get("kind")
            if kind in ADDITIONS and values.get("short_name"):
                holders[values["short_name"]] = Holder(values["short_name"], str(ADDITIONS[kind]))
            elif kind == ChangeKind.TERMINATE_PARTICIPATION:
                for key, holder in list(holders.items()):
                    if holder.id is not None and holder.id == values.get("participation_id"):
                        holders[key] = replace(holder, left_on=values["effective_on"])
        return holders

    def check_package(self, number_text, shares, record, added, holders, checker) -> int | None:
        path = ("details", "work_packages", str(number_text))
        number = int(number_text) if str(number_text).isdigit() else None
        if number is None or (number not in record.work_packages and number not in added):
            checker.error(
                path,
                _("The project has no work package %(number)s.") % {"number": number_text},
            )
            return None
        if not isinstance(shares, Mapping) or not shares:
            checker.error(
                path,
                _("Give the participants' new shares: short name and amount in EUR."),
            )
            return None
        found = False
        current = record.work_packages.get(number)
        current_shares = current.shares if current else {}
        for key, value in shares.items():
            amount = _amount(value)
            if amount is None:
                found = True
                checker.error(
                    (*path, str(key)),
                    _("Give an amount in EUR with two decimals, not negative, e.g. 12500.00."),
                )
                continue
            holder = holders.get(key)
            if holder is None:
                found = True
                checker.error(
                    (*path, str(key)),
                    _("No participant of this project has the short name %(value)s.")
                    % {"value": f'"{key}"'},
                )
            elif holder.role not in HOLDING_ROLES and amount != ZERO:
                found = True
                checker.error(
                    (*path, str(key)),
                    _(
                        "%(value)s is an associated partner; an associated partner receives no "
                        "share of the lump sum."
                    )
                    % {"value": key},
                )
            elif holder.left_on is not None and amount != ZERO:
                found = True
                checker.error(
                    (*path, str(key)),
                    _(
                        "%(value)s left the project on %(date)s; it keeps only its shares of "
                        "work packages already paid. Give 0.00 and move its share to the others."
                    )
                    % {"value": key, "date": holder.left_on.isoformat()},
                )
        if found:
            return None
        if number in record.paid and any(
            Decimal(value) != current_shares.get(key, ZERO) for key, value in shares.items()
        ):
            checker.error(
                path,
                _("WP%(number)s is already paid; its shares cannot change.") % {"number": number},
            )
            return None
        return number

    # -- what it does ---------------------------------------------------------------------------

    def consortium_changes(self, values: Mapping, record) -> list:
        return []

    def facts_after(self, facts: GrantFacts, values: Mapping, record) -> GrantFacts:
        details = values["details"] or {}
        changes = _work_packages(details)
        max_grant = _new_max_grant(details)
        packages = []
        for package in facts.work_packages:
            new = changes.pop(package.number, None)
            if new is None:
                packages.append(package)
                continue
            shares = _merged(package.shares, new)
            lump_sum = sum(shares.values(), ZERO) if max_grant is not None else package.lump_sum
            packages.append(replace(package, lump_sum=lump_sum, shares=shares))
        for number, new in sorted(changes.items()):  # work packages the request adds
            shares = _merged({}, new)
            packages.append(WorkPackageFacts(number, sum(shares.values(), ZERO), shares))
        return replace(
            facts,
            work_packages=tuple(packages),
            max_grant=facts.max_grant if max_grant is None else max_grant,
        )

    def apply(self, *, project, change, user, record) -> set[int]:
        details = change.details or {}
        max_grant = _new_max_grant(details)
        changes = _work_packages(details)
        packages = {
            wp.number: wp
            for wp in WorkPackage.objects.filter(project=project, number__in=list(changes))
        }
        names = {key for shares in changes.values() for key in shares}
        participations = {
            p.short_name: p
            for p in Participation.objects.filter(project=project, short_name__in=names)
        }
        for number, new in changes.items():
            package = packages[number]
            for key, amount in new.items():
                participation = participations[key]
                if amount == ZERO:
                    WorkPackageShare.objects.filter(
                        work_package=package, participation=participation
                    ).delete()
                else:
                    WorkPackageShare.objects.update_or_create(
                        work_package=package,
                        participation=participation,
                        defaults={"amount_eur": amount},
                    )
        if max_grant is not None:
            for number in changes:
                total = sum(
                    WorkPackageShare.objects.filter(work_package=packages[number]).values_list(
                        "amount_eur", flat=True
                    ),
                    ZERO,
                )
                WorkPackage.objects.filter(pk=packages[number].pk).update(lump_sum_eur=total)
            Project.objects.filter(pk=project.pk).update(max_grant_eur=max_grant)
            project.max_grant_eur = max_grant
        return {project.pk}


def checker_has_errors(checker) -> bool:
    """Whether the change has errors so far (the request's checker keeps them in ``found``)."""
    return bool(getattr(checker, "found", None))


def _added_work_packages(earlier: list[Mapping]) -> set[int]:
    """The numbers of the work packages the request's earlier Annex 1 changes add."""
    added = set()
    for values in earlier:
        if values.get("kind") == ChangeKind.CHANGE_WORK_PLAN:
            for entry in (values.get("details") or {}).get("work_packages", ()):
                if not entry.get("remove"):
                    added.add(int(entry["number"]))
    return added


HANDLER = register(BreakdownHandler())
