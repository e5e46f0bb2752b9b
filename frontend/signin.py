"""What a locked-out sign-in gets (django-axes' AXES_LOCKOUT_CALLABLE): 429 with Retry-After,
as a page in the browser (the sign-in page, the admin's) and in the API's error shape
``{"detail": ..., "errors": []}`` for POST /api/v1/auth/token."""

import math

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import ngettext

from backend.accounts.backends import lockout_seconds_left

API_PREFIX = "/api/"


def lockout_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many failed sign-ins: signing in with this user name from here is locked for "
        "%(minutes)d more minute.",
        "Too many failed sign-ins: signing in with this user name from here is locked for "
        "%(minutes)d more minutes.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    seconds = lockout_seconds_left(request, credentials)
    detail = lockout_message(seconds)
    if request.path_info.startswith(API_PREFIX):
        response = JsonResponse({"detail": detail, "errors": []}, status=429)
    else:
        response = render(
            request,
            "frontend/locked_out.html",
            {"detail": detail, "minutes": max(1, math.ceil(seconds / 60))},
            status=429,
        )
    response["Retry-After"] = str(seconds)
    return response
