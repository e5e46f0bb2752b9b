from tests.frontend.pages import OFFICERS, SIGNED_IN, expect, see_but

# Placeholders until each area lists its own pages in its own module.
PAGES = {
    "portfolio": {"get": expect(**OFFICERS)},
    "project_home": {"get": see_but()},
    "my_tasks": {"get": expect(**SIGNED_IN)},
}
