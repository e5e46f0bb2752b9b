from tests.frontend.pages import SIGNED_IN, expect

PAGES = {
    "home": {"get": expect(**SIGNED_IN)},
    "project_list": {"get": expect(**SIGNED_IN)},
    "login": {"get": expect(default="ok", anonymous="ok")},
    # signing out leads to the sign-in page, whoever asks
    "logout": {"post": expect(default="login")},
}
