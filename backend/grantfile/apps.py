from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GrantFileConfig(AppConfig):
    name = "backend.grantfile"
    label = "grantfile"
    verbose_name = _("Grant files")
