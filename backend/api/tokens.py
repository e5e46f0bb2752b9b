"""HTTP API for API tokens: one made with a username and password, each user's own listed and
revoked (backend/accounts/tokens.py). A token's key is shown once, when it is made."""

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.tokens import (
    TOKEN_ID_LENGTH,
    token_create,
    token_revoke,
    tokens_revoke_all,
    user_tokens,
)
from backend.api.errors import PathErrorsSerializer
from backend.api.lookups import parsed, request_body
from backend.common.errors import InvalidInput, PathError

# -- input -------------------------------------------------------------------------------------


class TokenObtainInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, style={"input_type": "password"}
    )


# -- output ------------------------------------------------------------------------------------


class TokenObtainedSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text='The key, shown this once: send it as "Authorization: Token <key>".'
    )
    expiry = serializers.DateTimeField(help_text="When the token ends.")


class TokenSerializer(serializers.Serializer):
    id = serializers.CharField(
        help_text=f"Names the token ({TOKEN_ID_LENGTH} characters of a hash of its key; the "
        "key itself is never shown again)."
    )
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True, help_text="When the token ends.")
    current = serializers.BooleanField(help_text="Whether this request was made with it.")


class TokensRevokedSerializer(serializers.Serializer):
    revoked = serializers.IntegerField(help_text="How many tokens were revoked.")


_NOT_SIGNED_IN = OpenApiResponse(description="Not signed in")


# -- views -------------------------------------------------------------------------------------


def _signed_in(username: str, password: str, request):
    """The user the username and password belong to, through Django's authentication (and so
    through the sign-in lockout); else a 400 that does not say which of the two is wrong."""
    user = authenticate(request=request, username=username, password=password)
    if user is None:
        raise InvalidInput(
            [PathError("", _("The username or the password is not right."))],
            _("No token was made."),
        )
    return user


class TokenApi(APIView):
    def get_permissions(self):
        if self.request.method == "POST":
            return [AllowAny()]
        return [IsAuthenticated()]

    @extend_schema(
        operation_id="auth_token_create",
        summary="A new API token, for your username and password",
        description="The key is shown this once; only a hash of it is kept. Send it as "
        '"Authorization: Token <key>". The token ends at its expiry, when you revoke it, when '
        "your password changes or when your account is deactivated. Repeated wrong passwords "
        "lock the account out for a while.",
        request=TokenObtainInputSerializer,
        responses={200: TokenObtainedSerializer, 400: PathErrorsSerializer},
        auth=[],
        examples=[
            OpenApiExample(
                "Wrong password",
                status_codes=["400"],
                response_only=True,
                value={
                    "detail": "No token was made.",
                    "errors": [
                        {"path": "", "message": "The username or the password is not right."}
                    ],
                },
            )
        ],
    )
    def post(self, request):
        data = parsed(TokenObtainInputSerializer, request_body(request))
        user = _signed_in(data["username"], data["password"], request)
        key, token = token_create(request=request, user=user)
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        return Response(TokenObtainedSerializer({"token": key, "expiry": token.expiry}).data)

    @extend_schema(
        operation_id="auth_token_destroy",
        summary="Revoke the token this request is made with (sign out)",
        request=None,
        responses={
            204: OpenApiResponse(description="Revoked"),
            400: PathErrorsSerializer,
            401: _NOT_SIGNED_IN,
        },
    )
    def delete(self, request):
        current = getattr(request.auth, "digest", None)
        if current is None:
            raise InvalidInput(
                [PathError("", _("This request was not made with an API token."))],
                _("No token was revoked."),
            )
        token_revoke(request=request, user=request.user, token_id=current[:TOKEN_ID_LENGTH])
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenListApi(APIView):
    @extend_schema(
        operation_id="auth_tokens_list",
        summary="Your API tokens that have not ended, the newest first (never their keys)",
        responses={200: TokenSerializer(many=True), 401: _NOT_SIGNED_IN},
    )
    def get(self, request):
        tokens = user_tokens(user=request.user, now=timezone.now(), current=request.auth)
        return Response(TokenSerializer(tokens, many=True).data)

    @extend_schema(
        operation_id="auth_tokens_destroy_all",
        summary="Revoke all your API tokens (sign out everywhere)",
        request=None,
        responses={200: TokensRevokedSerializer, 401: _NOT_SIGNED_IN},
    )
    def delete(self, request):
        revoked = tokens_revoke_all(request=request, user=request.user)
        return Response(TokensRevokedSerializer({"revoked": revoked}).data)


class TokenDetailApi(APIView):
    @extend_schema(
        operation_id="auth_tokens_destroy",
        summary="Revoke one of your API tokens",
        request=None,
        responses={
            204: OpenApiResponse(description="Revoked"),
            401: _NOT_SIGNED_IN,
            404: OpenApiResponse(description="You have no token with this id"),
        },
    )
    def delete(self, request, token_id: str):
        if not token_revoke(request=request, user=request.user, token_id=token_id):
            raise Http404
        return Response(status=status.HTTP_204_NO_CONTENT)
