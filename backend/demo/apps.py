from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Development tools above the domain apps: the demo data and its command."""

    name = "backend.demo"
    label = "demo"
    verbose_name = _("Demo")
