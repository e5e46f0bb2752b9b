"""The rules of a sign-in through the organisation's OpenID Connect provider, over plain data:
which ID tokens are accepted, which claims identify a person, and which account they lead to.

Each check returns the reason of a refusal (one of the constants below) or None."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Why a sign-in through the provider was refused.
STATE = "state"  # the callback's state is not one this browser's session started
DENIED = "denied"  # the provider answered with an error (refused, cancelled)
PROVIDER = "provider"  # the provider could not be reached or answered nonsense
TOKEN = "token"  # the ID token's signature, nonce or subject did not verify
ISSUER = "issuer"  # the ID token's ``iss`` is not the configured issuer
AUDIENCE = "audience"  # the ID token is not for this client
EXPIRED = "expired"  # the ID token has expired (or says no expiry)
NO_EMAIL = "no_email"  # the provider gave no e-mail address
UNVERIFIED = "unverified"  # the provider has not verified the e-mail address
AMBIGUOUS = "ambiguous"  # more than one active account has the e-mail address
INACTIVE = "inactive"  # the only accounts with the e-mail address are deactivated
UNKNOWN = "unknown"  # no account has the e-mail address and none may be made

REASONS = (
    STATE,
    DENIED,
    PROVIDER,
    TOKEN,
    ISSUER,
    AUDIENCE,
    EXPIRED,
    NO_EMAIL,
    UNVERIFIED,
    AMBIGUOUS,
    INACTIVE,
    UNKNOWN,
)


def _audiences(claim: Any) -> list[str]:
    if isinstance(claim, str):
        return [claim]
    if isinstance(claim, Sequence):
        return [value for value in claim if isinstance(value, str)]
    return []


def id_token_refusal(
    payload: Mapping[str, Any], *, issuer: str, client_id: str, now: float
) -> str | None:
    """The ID token (its signature and nonce already verified) must come from exactly the
    configured issuer, be meant for this client and not have expired at ``now`` (seconds since
    the epoch)."""
    if payload.get("iss") != issuer:
        return ISSUER
    audiences = _audiences(payload.get("aud"))
    if client_id not in audiences:
        return AUDIENCE
    if len(audiences) > 1 and payload.get("azp") != client_id:
        return AUDIENCE
    expiry = payload.get("exp")
    if isinstance(expiry, bool) or not isinstance(expiry, int | float) or expiry <= now:
        return EXPIRED
    return None


def verified_email(claims: Mapping[str, Any]) -> tuple[str, str | None]:
    """The e-mail address the claims give (stripped) and the refusal, if any: there must be an
    address, and the provider must say it verified it (``email_verified`` exactly true)."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email.strip():
        return "", NO_EMAIL
    email = email.strip()
    if claims.get("email_verified") is not True:
        return email, UNVERIFIED
    return email, None


@dataclass(frozen=True)
class AccountChoice:
    """Which account a verified e-mail address signs in to: ``user_id``, or a new plain
    account (``create``), or a refusal."""

    user_id: int | None = None
    create: bool = False
    refusal: str | None = None


def account_choice(matches: Sequence[tuple[int, bool]], *, may_create: bool) -> AccountChoice:
    """``matches``: (id, is_active) of every account whose e-mail address equals the verified
    one, case aside. One active account is the one; two or more are ambiguous; a deactivated
    account keeps its person out (no new account is made beside it); none makes a plain account
    when ``may_create``."""
    active = [user_id for user_id, is_active in matches if is_active]
    if len(active) > 1:
        return AccountChoice(refusal=AMBIGUOUS)
    if active:
        return AccountChoice(user_id=active[0])
    if matches:
        return AccountChoice(refusal=INACTIVE)
    if may_create:
        return AccountChoice(create=True)
    return AccountChoice(refusal=UNKNOWN)
