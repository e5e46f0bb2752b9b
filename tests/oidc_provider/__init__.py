"""A tiny OpenID Connect provider (django-oauth-toolkit) the sign-in tests run in a second
process on the loopback: its own Django project and SQLite database, not part of Grantwatch."""
