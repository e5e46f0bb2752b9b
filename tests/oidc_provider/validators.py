"""The provider's ID tokens and user info carry the user's e-mail address and whether it was
verified (scope ``email``): the user's ``first_name`` holds "verified" or "unverified" (the
test provider has no field of its own for it)."""

from oauth2_provider.oauth2_validators import OAuth2Validator


class EmailClaimsValidator(OAuth2Validator):
    def get_additional_claims(self, request):
        return {
            "email": request.user.email,
            "email_verified": request.user.first_name == "verified",
        }
