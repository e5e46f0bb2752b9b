"""Pages of the consortium area (filled in below)."""

urlpatterns: list = []
