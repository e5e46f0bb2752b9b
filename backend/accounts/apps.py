from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "backend.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # API tokens: a password change or a deactivation ends them; the admin shows no key.
        from backend.accounts import tokens, tokens_admin

        tokens.connect_receivers()
        tokens_admin.register()

        # Sign-ins, failed sign-ins, lockouts and password changes become audit events.
        from backend.accounts import receivers

        receivers.connect()
