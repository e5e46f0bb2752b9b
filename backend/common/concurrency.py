"""Optimistic concurrency for the record's editable documents (a report's composed part, a
contribution, a work package's declaration, an amendment request).

Each document carries a ``version`` that every save raises by one. A reader takes the version
with the document (the API's ETag, the pages' hidden field); a writer that sends it back has its
write refused with ``StaleVersion`` when the document changed in between, so that the later of
two saves never silently overwrites the earlier. The service compares the version with the row
locked (``select_for_update``) inside its transaction, so the API and the pages share the check.
A write without a version is not checked.
"""

import datetime

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backend.common.errors import Conflict

# The version of a document that does not exist yet: a writer that read it before anyone wrote
# to it sends 0, and is refused if someone created it in between.
NO_VERSION = 0


class Versioned(models.Model):
    """A row version raised by every save (also one that names ``update_fields``)."""

    version = models.PositiveIntegerField(
        gettext_lazy("version"),
        default=1,
        editable=False,
        help_text=gettext_lazy("Raised by one at every save; a stale write is refused."),
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            self.version = (self.version or 0) + 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
        super().save(*args, **kwargs)


class StaleVersion(Conflict):
    """The document changed since the writer read it: nothing was written. The API answers 412
    Precondition Failed; the pages show the message and keep what the user typed."""

    def __init__(
        self,
        *,
        current: int,
        expected: int,
        changed_by: str | None = None,
        changed_at: datetime.datetime | None = None,
    ):
        self.current = current
        self.expected = expected
        self.changed_by = changed_by
        self.changed_at = changed_at
        if changed_by:
            message = _(
                "Someone else changed this document since you opened it (%(who)s); nothing was "
                "saved. Look at the current version and save your changes again."
            ) % {"who": changed_by}
        else:
            message = _(
                "Someone else changed this document since you opened it; nothing was saved. "
                "Look at the current version and save your changes again."
            )
        super().__init__(message)


def current_version(document) -> int:
    """The version a reader sees: ``NO_VERSION`` while the document does not exist."""
    return NO_VERSION if document is None else document.version


def check_version(document, expected: int | None, *, changed_by=None, changed_at=None) -> None:
    """Refuse a write that read ``expected`` when the locked ``document`` is at another version
    (``None`` while it does not exist). ``expected`` None is a write that did not say."""
    if expected is None:
        return
    current = current_version(document)
    if current != expected:
        raise StaleVersion(
            current=current,
            expected=expected,
            changed_by=None if changed_by is None else changed_by.get_username(),
            changed_at=changed_at,
        )
