"""The API routes of each area, included under /api/v1/ by backend/api/urls.py."""
