"""The changes of a grant as a whole (``models.PROJECT_LEVEL``): its duration and reporting
periods, its lump-sum breakdown (Annex 2), its work plan (Annex 1), the suspension and
resumption of the project and the termination of the grant.

Each kind has one handler (``KindHandler``), registered here by its kind, which says which
input fields the change uses, checks it against the record, says what it does to the consortium
(eligibility) and to the payment facts (money) for the what-if, and applies it when the request
is approved. The request's machinery (``validation``, ``whatif``, ``services``) asks the
handler; nothing else knows the kinds' details.
"""

from collections.abc import Mapping
from typing import Any, Protocol

from backend.grants.eligibility.changes import Change
from backend.payments.rules import GrantFacts


class Checker(Protocol):
    """What a handler's check reports to: errors on a field of the change (a name or a path
    under the change, e.g. ``("details", "periods", 0, "end_month")``)."""

    index: int

    def error(self, field: str | tuple, message: str) -> None: ...


class KindHandler(Protocol):
    kind: str
    # The ChangeInput fields it needs and may take besides ``kind`` and ``effective_on``.
    required: frozenset[str]
    optional: frozenset[str]

    def load(self, project_id: int) -> Any:
        """What the checks, the what-if and the application need from the record (read once
        per request, whatever the number of its changes of this kind)."""

    def check(self, change, record: Any, checker: Checker, earlier: list[Mapping]) -> Any:
        """Report the change's errors to ``checker``; return the ``details`` to store (None for
        a kind without). ``earlier``: the request's changes checked before this one, as
        validated values (e.g. an Annex 2 change may give a new work package's lump sum)."""

    # Optional: ``notes(values, record) -> list[str]``, what the officer should know before
    # deciding (shown in the what-if), e.g. a duration above the call's maximum.

    def consortium_changes(self, values: Mapping, record: Any) -> list[Change]:
        """What the change does to the consortium, in the engine's terms ([] if nothing)."""

    def facts_after(self, facts: GrantFacts, values: Mapping, record: Any) -> GrantFacts:
        """The payment facts with the change (the facts unchanged if it touches no money)."""

    def apply(self, *, project, change, user, record: Any) -> set[int]:
        """Write the approved change to the record (``change`` is the stored AmendmentChange);
        return the ids of the projects to check again."""


HANDLERS: dict[str, KindHandler] = {}


def register(handler: KindHandler) -> KindHandler:
    HANDLERS[str(handler.kind)] = handler
    return handler


def handler_for(kind: str) -> KindHandler | None:
    _load_handlers()
    return HANDLERS.get(str(kind))


_loaded = False


def _load_handlers() -> None:
    """Import the handlers' modules once (each registers its kinds)."""
    global _loaded
    if _loaded:
        return
    from . import breakdown, duration, lifecycle, workplan  # noqa: F401

    _loaded = True
