"""The pure rules of a sign-in through the identity provider: ID token checks, the verified
e-mail address, and which account it leads to."""

import pytest

from backend.accounts import oidc_rules as rules

NOW = 1_800_000_000.0
ISSUER = "https://id.example.org/realms/staff"
GOOD = {"iss": ISSUER, "aud": "grantwatch", "exp": NOW + 60, "sub": "7"}


def _refusal(**changes):
    payload = {**GOOD, **changes}
    payload = {key: value for key, value in payload.items() if value is not None}
    return rules.id_token_refusal(payload, issuer=ISSUER, client_id="grantwatch", now=NOW)


def test_a_good_id_token_passes():
    assert _refusal() is None
    assert _refusal(aud=["grantwatch"]) is None
    assert _refusal(aud=["grantwatch", "other"], azp="grantwatch") is None


@pytest.mark.parametrize(
    "iss",
    [ISSUER + "/", ISSUER.upper(), "https://id.example.org/realms/other", "", None],
)
def test_the_issuer_must_be_the_configured_one_exactly(iss):
    assert _refusal(iss=iss) == rules.ISSUER


@pytest.mark.parametrize("aud", ["other", ["other"], [], None, 42])
def test_the_token_must_be_for_this_client(aud):
    assert _refusal(aud=aud) == rules.AUDIENCE


def test_several_audiences_need_this_client_as_the_authorised_party():
    assert _refusal(aud=["grantwatch", "other"]) == rules.AUDIENCE
    assert _refusal(aud=["grantwatch", "other"], azp="other") == rules.AUDIENCE


@pytest.mark.parametrize("exp", [NOW, NOW - 1, None, "soon", True])
def test_an_expired_token_or_one_without_expiry_is_refused(exp):
    assert _refusal(exp=exp) == rules.EXPIRED


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"email": " Ann@Example.org ", "email_verified": True}, ("Ann@Example.org", None)),
        ({"email": "ann@example.org", "email_verified": False}, ("ann@example.org", "unverified")),
        ({"email": "ann@example.org", "email_verified": "true"}, ("ann@example.org", "unverified")),
        ({"email": "ann@example.org"}, ("ann@example.org", "unverified")),
        ({"email_verified": True}, ("", "no_email")),
        ({"email": "", "email_verified": True}, ("", "no_email")),
        ({"email": "not-an-address", "email_verified": True}, ("", "no_email")),
        ({"email": ["a@b.c"], "email_verified": True}, ("", "no_email")),
    ],
)
def test_only_a_verified_address_identifies_a_person(claims, expected):
    assert rules.verified_email(claims) == expected


@pytest.mark.parametrize(
    ("matches", "may_create", "expected"),
    [
        ([(4, True)], True, rules.AccountChoice(user_id=4)),
        ([(4, True)], False, rules.AccountChoice(user_id=4)),
        ([(4, True), (9, False)], True, rules.AccountChoice(user_id=4)),
        ([(4, True), (9, True)], True, rules.AccountChoice(refusal=rules.AMBIGUOUS)),
        ([(9, False)], True, rules.AccountChoice(refusal=rules.INACTIVE)),
        ([], True, rules.AccountChoice(create=True)),
        ([], False, rules.AccountChoice(refusal=rules.UNKNOWN)),
    ],
)
def test_which_account_an_address_signs_in_to(matches, may_create, expected):
    assert rules.account_choice(matches, may_create=may_create) == expected
