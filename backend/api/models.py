"""The API's own records: nothing of the grant record lives here."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IdempotencyKey(models.Model):
    """A create request sent with an ``Idempotency-Key`` header and the answer it got, kept so
    that a retry with the same key gets the same answer instead of a second record
    (``backend/api/idempotency.py``). Written in the same transaction as what the request
    created; kept for GRANTWATCH_IDEMPOTENCY_KEY_HOURS."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    key = models.CharField(_("key"), max_length=255)
    # SHA-256 of the method, the path and the body as the view read it.
    fingerprint = models.CharField(_("fingerprint"), max_length=64, blank=True)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True)
    content_type = models.CharField(_("content type"), max_length=255, blank=True)
    body = models.BinaryField(_("body"), default=b"")
    created_at = models.DateTimeField(_("created at"), db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="api_idempotency_key_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.key}"
