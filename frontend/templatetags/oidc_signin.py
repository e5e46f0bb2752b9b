"""``{% load oidc_signin %}{% oidc_signin as provider %}``: the organisation's identity provider
for the sign-in page's button (``{"name": ...}``), or None while sign-in through it is off."""

from django import template

from frontend.oidc import signin_link

register = template.Library()


@register.simple_tag
def oidc_signin() -> dict | None:
    return signin_link()
