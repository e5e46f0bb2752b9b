"""API routes of API tokens, included under /api/v1/ by backend/api/urls.py."""

from django.urls import path

from backend.api import tokens as apis

urlpatterns = [
    path("auth/token", apis.TokenApi.as_view(), name="api-token"),
    path("auth/tokens", apis.TokenListApi.as_view(), name="api-token-list"),
    path("auth/tokens/<str:token_id>", apis.TokenDetailApi.as_view(), name="api-token-detail"),
]
