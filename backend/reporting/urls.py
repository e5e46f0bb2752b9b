"""API routes of this app, included under /api/v1/ by backend/api/urls.py."""

urlpatterns: list = []
