"""Makes the test provider's database: ``python -m tests.oidc_provider.seed <redirect URI>``
(with DJANGO_SETTINGS_MODULE=tests.oidc_provider.settings) migrates it and adds Grantwatch as a
confidential client (authorization code, RS256, no consent screen) and the provider's users."""

import sys

import django

CLIENT_ID = "grantwatch-test"
CLIENT_SECRET = "grantwatch-test-secret"
PASSWORD = "provider-pass"

# user name -> (e-mail address, whether the provider verified it)
USERS = {
    # The demo's project manager (manager@example.org), in other letters' case.
    "jozols": ("Manager@Example.ORG", True),
    # Nobody in Grantwatch has this address.
    "newcomer": ("newcomer@example.net", True),
    # The demo's officer's address, which the provider has not verified.
    "unverified": ("officer@example.org", False),
    # An address a test gives to two Grantwatch accounts.
    "twin": ("twins@example.org", True),
    # An address a test gives to a deactivated Grantwatch account.
    "former": ("former@example.org", True),
}


def seed(redirect_uri: str) -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0, interactive=False)
    Application.objects.create(
        name="Grantwatch",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        algorithm=Application.RS256_ALGORITHM,
        redirect_uris=redirect_uri,
        skip_authorization=True,
    )
    users = get_user_model().objects
    for username, (email, verified) in USERS.items():
        users.create_user(
            username,
            email=email,
            password=PASSWORD,
            first_name="verified" if verified else "unverified",
        )


if __name__ == "__main__":
    django.setup()
    seed(sys.argv[1])
