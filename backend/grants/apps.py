from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GrantsConfig(AppConfig):
    name = "backend.grants"
    label = "grants"
    verbose_name = _("Grants")
