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
    """A beneficiary becomes the coordinator from ``effective_on``; the coordinator becomes a
    beneficiary. Earlier days keep the earlier roles."""

    key: str
    effective_on: datetime.date = datetime.date.min


@dataclass(frozen=True, slots=True)
class ChangeOrganisation:
    """An organisation's country or types change from ``effective_on`` (a move of its seat, a
    merger, a re-classification); every participation of the organisation sees it, and
    earlier days keep the earlier values."""

    pic: str
    country: str | None = None
    types: frozenset[str] | None = None
    effective_on: datetime.date = datetime.date.min


@dataclass(frozen=True, slots=True)
class ChangeEnd:
    """The action's last day changes: a change of duration, or the grant's termination."""

    end_date: datetime.date


Change = AddParticipant | EndParticipation | ChangeCoordinator | ChangeOrganisation | ChangeEnd


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
            day = change.effective_on
            participants = [
                p.with_value_from("role", COORDINATOR, day)
                if p.key == change.key
                else p.with_value_from("role", BENEFICIARY, day)
                if p.value_on("role", day) == COORDINATOR
                else p
                for p in participants
            ]
        elif isinstance(change, ChangeOrganisation):
            participants = [
                _organisation_changed(p, change) if p.pic == change.pic else p for p in participants
            ]
        elif isinstance(change, ChangeEnd):
            consortium = replace(consortium, end_date=change.end_date)
        else:  # pragma: no cover - the union above is closed
            raise TypeError(f"not a consortium change: {change!r}")
    return replace(consortium, participants=tuple(participants))


def _organisation_changed(participant: Participant, change: ChangeOrganisation) -> Participant:
    if change.country is not None:
        participant = participant.with_value_from("country", change.country, change.effective_on)
    if change.types is not None:
        participant = participant.with_value_from("types", change.types, change.effective_on)
    return participant
