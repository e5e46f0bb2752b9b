"""Planned changes to a consortium, applied to its plain data for a what-if. Pure."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, replace

from .facts import BENEFICIARY, COORDINATOR, Consortium, Participant


@dataclass(frozen=True, slots=True)
class AddParticipant:
    participant: Participant  # joined_on is the change's effective date


@dataclass(frozen=True, slots=True)
class EndParticipation:
    key: str
    left_on: datetime.date  # the last day of the participation


@dataclass(frozen=True, slots=True)
class ChangeCoordinator:
    """A beneficiary becomes the coordinator; the coordinator becomes a beneficiary."""

    key: str


@dataclass(frozen=True, slots=True)
class ChangeOrganisation:
    """An organisation's country or types change (a move of its seat, a merger, a
    re-classification); every participation of the organisation sees it."""

    pic: str
    country: str | None = None
    types: frozenset[str] | None = None


Change = AddParticipant | EndParticipation | ChangeCoordinator | ChangeOrganisation


def apply_changes(consortium: Consortium, changes: Iterable[Change]) -> Consortium:
    participants = list(consortium.participants)
    for change in changes:
        if isinstance(change, AddParticipant):
            participants.append(change.participant)
        elif isinstance(change, EndParticipation):
            participants = [
                replace(p, left_on=change.left_on) if p.key == change.key else p
                for p in participants
            ]
        elif isinstance(change, ChangeCoordinator):
            participants = [
                replace(p, role=COORDINATOR)
                if p.key == change.key
                else replace(p, role=BENEFICIARY)
                if p.role == COORDINATOR
                else p
                for p in participants
            ]
        elif isinstance(change, ChangeOrganisation):
            participants = [
                replace(
                    p,
                    country=change.country or p.country,
                    types=change.types if change.types is not None else p.types,
                )
                if p.pic == change.pic
                else p
                for p in participants
            ]
        else:  # pragma: no cover - the union above is closed
            raise TypeError(f"not a consortium change: {change!r}")
    return replace(consortium, participants=tuple(participants))
