from tests.frontend.pages import SIGNED_IN, expect

PAGES = {
    # the user's own settings: their API tokens
    "settings": {"get": expect(**SIGNED_IN)},
    # the empty post names no token: the page again with the error (400)
    "settings_token_revoke": {"post": expect(**SIGNED_IN)},
    "settings_tokens_revoke_all": {"post": expect(**SIGNED_IN)},
}
