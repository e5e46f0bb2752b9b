"""Pages of the periodic reports (filled in below)."""

urlpatterns: list = []
