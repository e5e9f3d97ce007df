"""Email/password endpoints under /api/v1/auth/: parse the input, call a flow in ``authapp.services``, answer.

Sign-in endpoints run before anyone has a token, so they authenticate nobody: a stale
``Authorization`` header must not stop someone from signing in again.

Refresh token in an httpOnly cookie (web clients): send ``"cookie": true`` to login,
register, token/refresh or password/change. The response then sets the cookie named by
REST_AUTH["JWT_AUTH_REFRESH_COOKIE"] (path /api/v1/auth/, httpOnly, SameSite from
settings) and leaves ``refresh`` out of the body; token/refresh and logout read the cookie
whenever the body carries no refresh token. Mobile apps ignore all of this and keep the
refresh token from the body.
"""

from collections.abc import Mapping
from typing import Any, cast

from dj_rest_auth import views as rest_auth_views
from dj_rest_auth.app_settings import api_settings as rest_auth_settings
from dj_rest_auth.jwt_auth import unset_jwt_cookies
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import exceptions, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from fitcore.api.permissions import IsEndUser
from fitcore.api.schema import ProblemSerializer
from fitcore.api.throttling import PasswordCheckThrottle
from users.models import User
from users.serializers import UserSerializer
from users.services import user_sign_out_everywhere

from .. import services
from ..error_codes import AuthErrorCode, field_error
from ..serializers import (
    AuthMessageSerializer,
    AuthTokensSerializer,
    EmailResendSerializer,
    EmailVerifySerializer,
    LoginSerializer,
    LogoutSerializer,
    PasswordChangeSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetSerializer,
    RegisterSerializer,
    SessionRefreshSerializer,
    TokenPairSerializer,
)
from ..tenants import TENANT_HEADER, tenant_from_header
from ..tokens import FitcoreRefreshToken, issue_token_pair

PROBLEM = "application/problem+json"

TENANT_PARAMETER = OpenApiParameter(
    name=TENANT_HEADER,
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Slug of the tenant (partner app) the account belongs to. Omitted: `fitcore`, our own app.",
)


def _problem(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ProblemSerializer, description=description)


TENANT_PROBLEMS = {
    (403, PROBLEM): _problem("`tenant_suspended`: the tenant named by X-Tenant is suspended."),
    (404, PROBLEM): _problem("`tenant_not_found`: no tenant has the slug given in X-Tenant."),
}
TOKEN_PROBLEMS = {
    (401, PROBLEM): _problem(
        "`token_not_valid`: the refresh token is malformed, expired, already used or revoked; "
        "`password_changed`, `token_revoked` (signed out everywhere), `user_inactive`, "
        "`token_tenant_mismatch`: sign in again."
    ),
    (403, PROBLEM): _problem("`tenant_suspended`: the user's tenant is suspended."),
}


# --- cookie mode ---------------------------------------------------------------------


def _refresh_cookie_name() -> str:
    return str(rest_auth_settings.JWT_AUTH_REFRESH_COOKIE)


def _set_refresh_cookie(response: Response, refresh: str) -> None:
    # Always httpOnly: scripts never see the refresh token. REST_AUTH["JWT_AUTH_HTTPONLY"]
    # stays False because it also makes dj-rest-auth drop the token from every body.
    response.set_cookie(
        _refresh_cookie_name(),
        refresh,
        max_age=int(jwt_settings.REFRESH_TOKEN_LIFETIME.total_seconds()),
        path=rest_auth_settings.JWT_AUTH_REFRESH_COOKIE_PATH,
        domain=rest_auth_settings.JWT_AUTH_COOKIE_DOMAIN,
        secure=rest_auth_settings.JWT_AUTH_SECURE,
        httponly=True,
        samesite=rest_auth_settings.JWT_AUTH_SAMESITE,
    )


def _session_response(
    *, tokens: Mapping[str, str], cookie: bool, user: User | None = None, status_code: int = status.HTTP_200_OK
) -> Response:
    """A token pair (and the user): the refresh token in the body, or in the cookie instead."""
    body: dict[str, Any] = {"access": tokens["access"]}
    if not cookie:
        body["refresh"] = tokens["refresh"]
    if user is not None:
        body["user"] = UserSerializer(user).data
    response = Response(body, status=status_code)
    if cookie:
        _set_refresh_cookie(response, tokens["refresh"])
    return response


def _message(detail: str, status_code: int = status.HTTP_200_OK) -> Response:
    return Response({"detail": detail}, status=status_code)


class PublicAuthView(APIView):
    """For endpoints called without a token: nobody is authenticated, anyone may call.

    DRF turns a 401 into a 403 when a view has no authentication class to name a
    challenge, so the challenge (the scheme of the tokens these endpoints hand out) is
    given here.
    """

    authentication_classes = ()
    permission_classes = (AllowAny,)

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


sensitive_password = method_decorator(sensitive_post_parameters("password"))


# --- register, login, logout, refresh ------------------------------------------------


@extend_schema(
    tags=["auth"],
    summary="Create an account with email and password",
    description=(
        "Creates a user in the tenant named by `X-Tenant`. With email verification `mandatory` "
        "the answer carries no tokens, only a `detail`: the user must follow the emailed link "
        "and then sign in. Otherwise it signs the user in (tokens and user); with `optional` a "
        "confirmation link is emailed all the same.\n\n"
        "A taken email (in this tenant, ignoring case) is a 400 with the field code `email_taken`; "
        "a weak password is a 400 on `password` with Django's validator codes."
    ),
    parameters=[TENANT_PARAMETER],
    request=RegisterSerializer,
    responses={
        201: PolymorphicProxySerializer(
            component_name="RegisterResult",
            serializers=[AuthTokensSerializer, AuthMessageSerializer],
            resource_type_field_name=None,
        ),
        **TENANT_PROBLEMS,
    },
)
class RegisterView(PublicAuthView, GenericAPIView):
    serializer_class = RegisterSerializer
    throttle_scope = "auth"

    @sensitive_password
    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return super().dispatch(request, *args, **kwargs)

    def post(self, request: Request) -> Response:
        tenant = tenant_from_header(request)
        data = RegisterSerializer(data=request.data, context={**self.get_serializer_context(), "tenant": tenant})
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        user = services.account_register(
            request=request._request,
            tenant=tenant,
            email=fields["email"],
            password=fields["password"],
            first_name=fields["first_name"],
            last_name=fields["last_name"],
        )
        if services.email_verification_mandatory():
            return _message(
                "Account created. Follow the link we emailed you to confirm your address, then sign in.",
                status.HTTP_201_CREATED,
            )
        return _session_response(
            tokens=issue_token_pair(user), cookie=fields["cookie"], user=user, status_code=status.HTTP_201_CREATED
        )


@extend_schema(
    tags=["auth"],
    summary="Sign in with email and password",
    description=(
        "Returns an access/refresh pair and the user. Every failure of the credentials (wrong "
        "password, unknown email, another tenant's account, disabled account) is the same 401 "
        "`invalid_credentials`. After AXES_FAILURE_LIMIT failures for one email from one IP, "
        "that pair is locked for the cool-off: 429 `too_many_failed_logins` with `Retry-After`, "
        "even for the right password."
    ),
    parameters=[TENANT_PARAMETER],
    request=LoginSerializer,
    responses={
        200: AuthTokensSerializer,
        (401, PROBLEM): _problem("`invalid_credentials`: the email and password do not match an account."),
        (403, PROBLEM): _problem(
            "`email_not_verified`: the password is right but the address is unconfirmed (verification is "
            "mandatory); `tenant_suspended`."
        ),
        (404, PROBLEM): TENANT_PROBLEMS[(404, PROBLEM)],
        (429, PROBLEM): _problem(
            "`too_many_failed_logins` (locked out; see `Retry-After`) or `throttled` (rate limit)."
        ),
    },
)
class LoginView(PublicAuthView, rest_auth_views.LoginView):
    serializer_class = LoginSerializer
    throttle_scope = "auth"
    http_method_names = ["post", "options"]

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        tenant = tenant_from_header(request)
        data = LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.account_authenticate(
            request=request._request,  # axes flags a lockout on the Django request; see authapp.lockout
            tenant=tenant,
            email=data.validated_data["email"],
            password=data.validated_data["password"],
        )
        return _session_response(tokens=issue_token_pair(user), cookie=data.validated_data["cookie"], user=user)


@extend_schema(
    tags=["auth"],
    summary="Sign out: revoke a refresh token",
    description=(
        "Blacklists the refresh token from the body, or else from the refresh cookie, and clears "
        "the cookie. Access tokens already issued stay valid until they expire "
        f"({int(jwt_settings.ACCESS_TOKEN_LIFETIME.total_seconds() // 60)} minutes): drop them on the client."
    ),
    request=LogoutSerializer,
    responses={
        200: AuthMessageSerializer,
        (401, PROBLEM): _problem("`token_not_valid`: not a usable refresh token (malformed, expired, revoked)."),
    },
)
class LogoutView(PublicAuthView, rest_auth_views.LogoutView):
    http_method_names = ["post", "options"]
    throttle_scope = None

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = LogoutSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        raw = data.validated_data.get("refresh") or request.COOKIES.get(_refresh_cookie_name())
        if not raw:
            raise exceptions.NotAuthenticated("Send the refresh token in the body, or the refresh cookie.")
        try:
            FitcoreRefreshToken(raw).blacklist()  # type: ignore[arg-type]
        except TokenError as exc:
            raise InvalidToken(str(exc)) from None
        response = _message("Signed out.")
        unset_jwt_cookies(response)
        return response


@extend_schema(
    tags=["auth"],
    summary="Sign out everywhere",
    description=(
        "Every access and refresh token of the signed-in user stops working at once, on every device, "
        "this one included, and for good. Clears the refresh cookie. Sign in again afterwards."
    ),
    request=None,
    responses={200: AuthMessageSerializer},
)
class LogoutEverywhereView(APIView):
    permission_classes = (IsEndUser,)

    def post(self, request: Request) -> Response:
        user_sign_out_everywhere(user=cast(User, request.user))
        response = _message("Signed out on every device.")
        unset_jwt_cookies(response)
        return response


@extend_schema(
    tags=["auth"],
    summary="Trade a refresh token for a new pair",
    description=(
        "Rotation: the refresh token sent is revoked and a new access/refresh pair is returned; "
        "using the old one again is a 401. Of several concurrent refreshes with one token exactly "
        "one succeeds. Reads the refresh cookie when the body has no `refresh` (and then answers "
        "in cookie mode)."
    ),
    request=SessionRefreshSerializer,
    responses={200: TokenPairSerializer, **TOKEN_PROBLEMS},
)
class TokenRefreshView(PublicAuthView, GenericAPIView):
    serializer_class = SessionRefreshSerializer

    def post(self, request: Request) -> Response:
        body_token = request.data.get("refresh") if isinstance(request.data, Mapping) else None
        context = dict(self.get_serializer_context())
        cookie_token = None if body_token else request.COOKIES.get(_refresh_cookie_name())
        if cookie_token:
            context["refresh_cookie"] = cookie_token
        data = SessionRefreshSerializer(data=request.data, context=context)
        data.is_valid(raise_exception=True)
        pair = data.validated_data
        return _session_response(tokens=pair, cookie=pair["cookie"] or bool(cookie_token))


# --- passwords -----------------------------------------------------------------------


@extend_schema(
    tags=["auth"],
    summary="Change the password (signed in)",
    description=(
        "Needs the current password. Every token issued before stops working, on every device; "
        "the answer carries a fresh pair so this device stays signed in.\n\n"
        "A wrong `old_password` is a 400 `password_incorrect` and counts as a failed sign-in: after "
        "AXES_FAILURE_LIMIT of them from one IP the account is locked for that IP (429 "
        "`too_many_failed_logins`, even for the right password). Password checks of one user, here and "
        "in `DELETE /users/me/`, share a budget of 10 an hour (429 `throttled`)."
    ),
    request=PasswordChangeSerializer,
    responses={
        200: TokenPairSerializer,
        (429, PROBLEM): _problem("`too_many_failed_logins` (locked out; see `Retry-After`) or `throttled`."),
    },
)
class PasswordChangeView(rest_auth_views.PasswordChangeView):
    serializer_class = PasswordChangeSerializer
    permission_classes = (IsEndUser,)
    throttle_scope = "auth"

    def get_throttles(self) -> list[Any]:
        return [*super().get_throttles(), PasswordCheckThrottle()]

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = PasswordChangeSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        # Through the lockout: the Django request carries axes' flag to its middleware.
        if not services.account_password_check(
            request=request._request, user=cast(User, request.user), password=data.validated_data["old_password"]
        ):
            raise field_error(
                "old_password", "Your current password was entered incorrectly.", AuthErrorCode.PASSWORD_INCORRECT
            )
        user = services.account_password_change(
            request=request._request,
            user=cast(User, request.user),
            new_password=data.validated_data["new_password1"],
        )
        return _session_response(tokens=issue_token_pair(user), cookie=data.validated_data["cookie"])


@extend_schema(
    tags=["auth"],
    summary="Email a password reset link",
    description=(
        "Always 200 with the same answer, whether or not the tenant has an account with this "
        "email. If it has, the email links to `{FRONTEND_URL}/reset-password?uid=…&token=…`; the "
        "app posts those to password/reset/confirm/."
    ),
    parameters=[TENANT_PARAMETER],
    request=PasswordResetSerializer,
    responses={200: AuthMessageSerializer, **TENANT_PROBLEMS},
)
class PasswordResetView(PublicAuthView, rest_auth_views.PasswordResetView):
    serializer_class = PasswordResetSerializer
    throttle_scope = "password_reset"

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        tenant = tenant_from_header(request)
        data = PasswordResetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.account_password_reset_send(
            request=request._request, tenant=tenant, email=data.validated_data["email"]
        )
        return _message("If an account uses this email address, we have sent it a link to reset the password.")


@extend_schema(
    tags=["auth"],
    summary="Set a new password from a reset link",
    description=(
        "`uid` and `token` come from the emailed link. A bad, expired or used link is a 400 on "
        "`token` (`invalid_token`). Success signs out every device and confirms "
        "the email address."
    ),
    request=PasswordResetConfirmSerializer,
    responses={200: AuthMessageSerializer},
)
class PasswordResetConfirmView(PublicAuthView, rest_auth_views.PasswordResetConfirmView):
    serializer_class = PasswordResetConfirmSerializer
    throttle_scope = "auth"

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = PasswordResetConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.account_password_reset_confirm(
            request=request._request,
            user=data.validated_data["user"],
            new_password=data.validated_data["new_password1"],
        )
        return _message("Your password has been reset. Sign in with the new one.")


# --- email verification --------------------------------------------------------------


@extend_schema(
    tags=["auth"],
    summary="Confirm an email address",
    description="Posts the `key` from the emailed confirmation link. A bad, expired or used key is a 400 on `key`.",
    request=EmailVerifySerializer,
    responses={200: AuthMessageSerializer},
)
class EmailVerifyView(PublicAuthView, GenericAPIView):
    serializer_class = EmailVerifySerializer

    def post(self, request: Request) -> Response:
        data = EmailVerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.email_address_verify(request=request._request, key=data.validated_data["key"])
        return _message("Your email address is confirmed.")


@extend_schema(
    tags=["auth"],
    summary="Send the confirmation email again",
    description="Always 200 with the same answer; an email goes out only for an unconfirmed address of this tenant.",
    parameters=[TENANT_PARAMETER],
    request=EmailResendSerializer,
    responses={200: AuthMessageSerializer, **TENANT_PROBLEMS},
)
class EmailResendView(PublicAuthView, GenericAPIView):
    serializer_class = EmailResendSerializer
    # Both endpoints make us email whatever address an anonymous caller names: one budget.
    throttle_scope = "password_reset"

    def post(self, request: Request) -> Response:
        tenant = tenant_from_header(request)
        data = EmailResendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.email_verification_resend(request=request._request, tenant=tenant, email=data.validated_data["email"])
        return _message("If this address is waiting for confirmation, we have sent a new link.")
