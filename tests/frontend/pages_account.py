from tests.frontend.pages import SIGNED_IN, expect

PAGES = {
    # the user's own settings: their API tokens and their calendar feed
    "settings": {"get": expect(**SIGNED_IN)},
    # the empty post names no token: the page again with the error (400)
    "settings_token_revoke": {"post": expect(**SIGNED_IN)},
    "settings_tokens_revoke_all": {"post": expect(**SIGNED_IN)},
    # the empty post names no action: the page again with the error (400)
    "settings_calendar": {"post": expect(**SIGNED_IN)},
    # the calendar feed needs no session: a key that opens no feed is not found, for everyone
    "calendar_feed": {"get": expect(anonymous="404")},
}
