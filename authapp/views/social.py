"""POST /api/v1/auth/google/ and /api/v1/auth/apple/: the mobile apps trade a provider's id_token for our JWTs."""

from typing import Any, ClassVar

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from fitcore.api.exceptions import PROBLEM_CONTENT_TYPE
from fitcore.api.schema import ProblemSerializer
from users.serializers import UserSerializer

from ..oauth import APPLE, GOOGLE, IdentityProvider, social_sign_in, verify_id_token
from ..tenants import TENANT_HEADER, tenant_from_header
from ..tokens import issue_token_pair

# --- serializers --------------------------------------------------------------------


class IdTokenSerializer(serializers.Serializer):
    """What both providers' SDKs hand the app: an id_token, and the nonce the app chose (if any)."""

    id_token = serializers.CharField(max_length=8192, help_text="The id_token (a JWT) the provider's SDK returned.")
    nonce = serializers.CharField(
        required=False,
        max_length=512,
        help_text=(
            "The nonce the app passed to the SDK, if any. The token's `nonce` claim must equal it, "
            "or equal its SHA-256 hex digest (Sign in with Apple: the app gives Apple the hash "
            "and sends us the raw value)."
        ),
    )


class GoogleSignInSerializer(IdTokenSerializer):
    pass


class AppleSignInSerializer(IdTokenSerializer):
    authorization_code = serializers.CharField(
        required=False,
        max_length=4096,
        help_text=(
            "Accepted and ignored: this server does not exchange it with Apple, and as it is single-use "
            "and expires within minutes it is not stored either."
        ),
    )
    first_name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=150,
        help_text="From the Apple credential's fullName: Apple gives the app the name on the first sign-in only.",
    )
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=150)


class SocialSignInResponseSerializer(serializers.Serializer):
    access = serializers.CharField(help_text="JWT access token: `Authorization: Bearer <access>`.")
    refresh = serializers.CharField(help_text="JWT refresh token for /api/v1/auth/token/refresh/.")
    user = UserSerializer()
    created = serializers.BooleanField(help_text="True when this sign-in created the account (status 201).")


# --- views --------------------------------------------------------------------------


def _problem(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ProblemSerializer, description=description)


def _sign_in_schema(provider: IdentityProvider, request: type[serializers.Serializer]) -> Any:
    return extend_schema_view(post=_sign_in_operation(provider, request))


def _sign_in_operation(provider: IdentityProvider, request: type[serializers.Serializer]) -> Any:
    return extend_schema(
        tags=["auth"],
        auth=[],
        operation_id=f"auth_{provider.id}_sign_in",
        summary=f"Sign in with {provider.name}",
        description=(
            f"Verifies a {provider.name} id_token (signature against {provider.name}'s published keys, "
            "issuer, audience = one of our app client ids, expiry, nonce) and signs the person into the "
            f"tenant named by `{TENANT_HEADER}`: the user already linked to this {provider.name} account, "
            "else the tenant's user with the same verified email (now linked), else a new user. "
            "The same person signing into two tenants' apps gets two separate users."
        ),
        parameters=[
            OpenApiParameter(
                TENANT_HEADER,
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="Slug of the tenant whose app is signing in; default `fitcore`.",
            )
        ],
        request=request,
        responses={
            200: OpenApiResponse(SocialSignInResponseSerializer, description="Signed in as an existing user."),
            201: OpenApiResponse(SocialSignInResponseSerializer, description="A new user was created."),
            (401, PROBLEM_CONTENT_TYPE): _problem(
                "The id_token was not accepted; `code` is one of id_token_malformed, "
                "id_token_unsupported_algorithm, id_token_unknown_key, id_token_invalid_signature, "
                "id_token_expired, id_token_not_yet_valid, id_token_wrong_issuer, id_token_wrong_audience, "
                "id_token_missing_claim, id_token_nonce_mismatch."
            ),
            (403, PROBLEM_CONTENT_TYPE): _problem(
                "A genuine token, but no sign-in: tenant_suspended, id_token_email_unverified, "
                "id_token_email_missing, user_inactive."
            ),
            (404, PROBLEM_CONTENT_TYPE): _problem(f"tenant_not_found: no tenant with the `{TENANT_HEADER}` slug."),
            (503, PROBLEM_CONTENT_TYPE): _problem(
                f"provider_unavailable: {provider.name}'s keys could not be fetched, retry later; "
                "provider_not_configured: no client ids are configured for this provider."
            ),
        },
    )


class _SocialSignInView(APIView):
    """No credentials needed: the id_token in the body is the credential."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"
    provider: ClassVar[IdentityProvider]
    input_serializer: ClassVar[type[IdTokenSerializer]]

    def post(self, request: Request) -> Response:
        # The tenant first: a suspended or unknown tenant never costs a key fetch.
        tenant = tenant_from_header(request)
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        identity = verify_id_token(provider=self.provider, token=values["id_token"], nonce=values.get("nonce"))
        result = social_sign_in(
            tenant=tenant,
            identity=identity,
            first_name=values.get("first_name", ""),
            last_name=values.get("last_name", ""),
        )
        body = {**issue_token_pair(result.user), "user": UserSerializer(result.user).data, "created": result.created}
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        # A 401 names its challenge (RFC 9110), as simplejwt's own login failures do.
        if response.status_code == status.HTTP_401_UNAUTHORIZED and not response.has_header("WWW-Authenticate"):
            response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response


@_sign_in_schema(GOOGLE, GoogleSignInSerializer)
class GoogleSignInView(_SocialSignInView):
    provider = GOOGLE
    input_serializer = GoogleSignInSerializer


@_sign_in_schema(APPLE, AppleSignInSerializer)
class AppleSignInView(_SocialSignInView):
    """``authorization_code`` is accepted and ignored: we do not call Apple's token endpoint, since
    the verified identityToken is all sign-in needs. Revoking a user's Apple tokens when the account
    is deleted (which Apple asks apps to do) will need that exchange, and storing its refresh token."""

    provider = APPLE
    input_serializer = AppleSignInSerializer
