from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import (
    MinimumLengthValidator,
    NumericPasswordValidator,
    get_default_password_validators,
)
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from fitcore.api.serializers import (
    ModelSerializer,
    OutputModelSerializer,
    OutputSerializer,
    RoundedDecimalField,
    RowSerializer,
)

from .emails import InvalidEmail, canonical_email
from .images import ImageErrorCode
from .models import Allergen, Profile, User, timezone_names

PASSWORD_MAX_LENGTH = 128  # User.password's column; longer inputs only cost hashing time


def password_min_length() -> int:
    """The minimum of Django's MinimumLengthValidator as configured (8 by default; 0 if it is off)."""
    for validator in get_default_password_validators():
        if isinstance(validator, MinimumLengthValidator):
            return int(validator.min_length)
    return 0


class NewPasswordField(serializers.CharField):
    """A password being chosen. Validated by AUTH_PASSWORD_VALIDATORS (with their own error codes) in
    the serializer or service that knows the user; the schema states the rules a client can check
    itself (length, not only digits). Whether it is too common or resembles the user's details
    only the server can tell."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("write_only", True)
        kwargs.setdefault("trim_whitespace", False)  # a password is exactly what was typed
        kwargs.setdefault("max_length", PASSWORD_MAX_LENGTH)
        kwargs.setdefault("style", {"input_type": "password"})
        super().__init__(**kwargs)

    @property
    def schema_min_length(self) -> int:
        return max(password_min_length(), 1)


class NewPasswordFieldSchema(OpenApiSerializerFieldExtension):
    target_class = NewPasswordField

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        field: NewPasswordField = self.target
        # minLength: see schema_min_length below (drf-spectacular sets minLength after extensions run).
        schema: dict[str, Any] = {"type": "string", "format": "password", "maxLength": field.max_length}
        if any(isinstance(v, NumericPasswordValidator) for v in get_default_password_validators()):
            # No NUL (refused by every text field), and at least one character that is not a digit.
            schema["pattern"] = r"^[^\x00]*[^\x00\d][^\x00]*$"
        return schema


class CanonicalEmailField(serializers.EmailField):
    """An email address in input, handed on in its canonical form (users.emails).

    Invisible, control or format characters, a non-ASCII local part and an invalid
    domain are field errors here, so no look-alike spelling reaches a look-up.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        try:
            return canonical_email(value)
        except InvalidEmail as exc:
            raise serializers.ValidationError(exc.message, code=exc.code) from None


# --- output -------------------------------------------------------------------------


class UserSerializer(OutputModelSerializer):
    """A user as its owner and its tenant's admins see it (also dj-rest-auth's USER_DETAILS_SERIALIZER)."""

    tenant: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "role", "tenant", "is_active", "date_joined"]
        read_only_fields = ["id", "email", "role", "tenant", "is_active", "date_joined"]


SETTINGS_FIELDS = ["units", "timezone", "language", "marketing_opt_in"]
BODY_FIELDS = [
    "birth_date",
    "age",
    "sex",
    "height_cm",
    "weight_kg",
    "activity_level",
    "fitness_goal",
    "dietary_pattern",
    "allergens",
    "excluded_foods",
]


class ImageErrorSerializer(OutputSerializer):
    code = serializers.ChoiceField(choices=ImageErrorCode.choices)
    message = serializers.CharField()


class ProfileSerializer(OutputModelSerializer):
    """Body data, diet and settings. Measurements are always metric; ``units`` is for display only."""

    age = serializers.IntegerField(read_only=True, allow_null=True, help_text="Whole years, in the user's time zone.")
    height_cm = serializers.DecimalField(
        max_digits=4, decimal_places=1, coerce_to_string=False, read_only=True, allow_null=True
    )
    weight_kg = serializers.DecimalField(
        max_digits=5, decimal_places=2, coerce_to_string=False, read_only=True, allow_null=True
    )
    allergens = serializers.ListField(child=serializers.ChoiceField(choices=Allergen.choices), read_only=True)
    excluded_foods = serializers.ListField(child=serializers.CharField(), read_only=True)
    image = serializers.ImageField(read_only=True, allow_null=True, help_text="Up to 1024 px, WebP.")
    image_thumbnail = serializers.ImageField(read_only=True, allow_null=True, help_text="256x256 px, WebP.")
    image_status = serializers.ChoiceField(
        choices=Profile.ImageStatus.choices,
        read_only=True,
        help_text=(
            "The latest upload to `me/image/`: `processing` until a worker has checked and converted it, "
            "then `ready` (it is now `image`) or `failed` (see `image_error`; `image` is still the previous "
            "one). `none`: no image."
        ),
    )
    image_error = ImageErrorSerializer(
        read_only=True,
        allow_null=True,
        help_text="Why the latest upload failed; null unless `image_status` is `failed`.",
    )

    class Meta:
        model = Profile
        fields = [
            *BODY_FIELDS,
            "image",
            "image_thumbnail",
            "image_status",
            "image_error",
            *SETTINGS_FIELDS,
            "marketing_opt_in_at",
            "updated_at",
        ]
        read_only_fields = fields


class MeSerializer(UserSerializer):
    profile = ProfileSerializer(read_only=True)

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "profile"]
        read_only_fields = fields


class UserSettingsSerializer(OutputModelSerializer):
    class Meta:
        model = Profile
        fields = [*SETTINGS_FIELDS, "marketing_opt_in_at"]
        read_only_fields = ["marketing_opt_in_at"]


class ManagedUserSerializer(UserSerializer):
    """A user as the tenant's API key or admin sees it."""

    has_password = serializers.SerializerMethodField(help_text="False for social-only or partner-managed accounts.")
    profile = ProfileSerializer(read_only=True, allow_null=True)

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "last_login", "has_password", "profile"]
        read_only_fields = fields

    def get_has_password(self, user: User) -> bool:
        return user.has_usable_password()


class ManagedUserListSerializer(RowSerializer):
    """One row of a partner's user list: the account only (the profile is at /users/{id}/).

    Listing is the hot path of a partner sync: a RowSerializer, so the list reads these
    columns with ``.values()`` and maps them without building model instances.
    """

    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    first_name = serializers.CharField(read_only=True)
    last_name = serializers.CharField(read_only=True)
    role = serializers.ChoiceField(choices=User.Role.choices, read_only=True)
    tenant = serializers.CharField(source="tenant.slug", read_only=True, help_text="The tenant's slug.")
    is_active = serializers.BooleanField(read_only=True)
    date_joined = serializers.DateTimeField(read_only=True)
    last_login = serializers.DateTimeField(read_only=True, allow_null=True)


class UserTokenPairSerializer(OutputSerializer):
    access = serializers.CharField(help_text="JWT access token for the user (short-lived).")
    refresh = serializers.CharField(help_text="Refresh token; rotate it at /api/v1/auth/token/refresh/.")


class _MetricSerializer(OutputSerializer):
    unit = serializers.CharField()
    reason = serializers.CharField(allow_null=True, help_text="Why the value is null; null when it is not.")
    missing_fields = serializers.ListField(child=serializers.CharField(), help_text="Profile fields to fill in.")


class BmiSerializer(_MetricSerializer):
    value = serializers.FloatField(allow_null=True, help_text="Body-mass index, kg/m², one decimal.")
    category = serializers.ChoiceField(
        choices=["underweight", "normal", "overweight", "obese"], allow_null=True, help_text="WHO adult category."
    )


class EnergyMetricSerializer(_MetricSerializer):
    value = serializers.IntegerField(allow_null=True, help_text="kcal per day, rounded.")


class DashboardMetricsSerializer(OutputSerializer):
    bmi = BmiSerializer()
    bmr = EnergyMetricSerializer(help_text="Basal metabolic rate, Mifflin-St Jeor.")
    tdee = EnergyMetricSerializer(help_text="Total daily energy expenditure: BMR times the activity factor.")


class DashboardProfileSerializer(OutputSerializer):
    first_name = serializers.CharField()
    age = serializers.IntegerField(allow_null=True)
    sex = serializers.ChoiceField(choices=Profile.Sex.choices, allow_null=True)
    height_cm = serializers.DecimalField(max_digits=4, decimal_places=1, coerce_to_string=False, allow_null=True)
    weight_kg = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=False, allow_null=True)
    activity_level = serializers.ChoiceField(choices=Profile.ActivityLevel.choices, allow_null=True)
    fitness_goal = serializers.ChoiceField(choices=Profile.FitnessGoal.choices, allow_null=True)
    dietary_pattern = serializers.ChoiceField(choices=Profile.DietaryPattern.choices, allow_null=True)
    units = serializers.ChoiceField(choices=Profile.Units.choices)
    timezone = serializers.CharField()


class UserDashboardSerializer(OutputSerializer):
    profile = DashboardProfileSerializer()
    metrics = DashboardMetricsSerializer()
    sections = serializers.DictField(
        child=serializers.JSONField(), help_text="One entry per section other apps register (nutrition, workouts …)."
    )
    unavailable_sections = serializers.ListField(
        child=serializers.CharField(), help_text="Sections that failed this time; retry later."
    )


class PersonalDataExportSerializer(OutputSerializer):
    format = serializers.CharField(help_text="Always `fitcore.personal-data-export`.")
    version = serializers.IntegerField()
    exported_at = serializers.DateTimeField()
    user_id = serializers.IntegerField()
    sections = serializers.DictField(
        child=serializers.JSONField(), help_text="`account`, `profile`, and one entry per app holding the user's data."
    )


# --- input --------------------------------------------------------------------------


class ProfileInputSerializer(ModelSerializer):
    """Validates profile fields; model validators (ranges, time zone, language) run here too.

    Unset choices (sex, activity level, goal, diet) are sent as ``null`` to clear them.
    """

    height_cm = RoundedDecimalField(
        max_digits=4,
        decimal_places=1,
        min_value=Decimal("50"),
        max_value=Decimal("272"),
        allow_null=True,
        required=False,
        help_text="Centimetres, 50-272, rounded to 0.1.",
    )
    weight_kg = RoundedDecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("20"),
        max_value=Decimal("500"),
        allow_null=True,
        required=False,
        help_text="Kilograms, 20-500, rounded to 0.01.",
    )
    timezone = serializers.ChoiceField(
        choices=timezone_names(), required=False, help_text="An IANA time zone name, e.g. `Europe/Berlin`."
    )
    language = serializers.ChoiceField(
        choices=[code for code, _ in settings.LANGUAGES], required=False, help_text="A language code, e.g. `en`."
    )
    allergens = serializers.ListField(
        child=serializers.ChoiceField(choices=Allergen.choices), max_length=len(Allergen.choices), required=False
    )
    excluded_foods = serializers.ListField(
        child=serializers.CharField(max_length=100, trim_whitespace=True), max_length=100, required=False
    )

    class Meta:
        model = Profile
        fields = [field for field in BODY_FIELDS if field != "age"] + SETTINGS_FIELDS

    def validate_allergens(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))  # keep order, drop repeats

    def validate_excluded_foods(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(item for item in value if item))


class UserSettingsInputSerializer(ProfileInputSerializer):
    class Meta(ProfileInputSerializer.Meta):
        fields = SETTINGS_FIELDS


class MeUpdateInputSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=150, allow_blank=True, required=False)
    last_name = serializers.CharField(max_length=150, allow_blank=True, required=False)
    profile = ProfileInputSerializer(required=False)


class AccountDeleteInputSerializer(serializers.Serializer):
    password = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="Required for accounts with a password. Social-only accounts sign in again instead.",
    )


class ProfileImageInputSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="JPEG, PNG or WebP; at most 5 MB, 10,000 px a side and 40 megapixels.")


class ManagedUserCreateInputSerializer(serializers.Serializer):
    email = CanonicalEmailField(help_text="Stored in canonical form: lower case, the domain in IDNA (punycode).")
    password = NewPasswordField(
        required=False,
        help_text="Omit for an account without a password (signs in through the partner or social login).",
    )
    first_name = serializers.CharField(max_length=150, allow_blank=True, required=False, default="")
    last_name = serializers.CharField(max_length=150, allow_blank=True, required=False, default="")
    role = serializers.ChoiceField(
        choices=User.Role.choices,
        required=False,
        default=User.Role.MEMBER,
        help_text="Only a tenant admin (JWT) may create another tenant admin.",
    )


class ManagedUserUpdateInputSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=150, allow_blank=True, required=False)
    last_name = serializers.CharField(max_length=150, allow_blank=True, required=False)
    is_active = serializers.BooleanField(required=False, help_text="False signs the user out everywhere.")
    role = serializers.ChoiceField(
        choices=User.Role.choices, required=False, help_text="Only a tenant admin (JWT) may change roles."
    )
    profile = ProfileInputSerializer(required=False)


def split_profile(validated: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(user fields, profile fields)`` of a validated update payload."""
    data = dict(validated)
    return data, data.pop("profile", None) or {}
