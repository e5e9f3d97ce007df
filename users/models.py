import uuid
import zoneinfo
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from fitcore.api.models import BaseModel, TenantOwned

from .emails import InvalidEmail, canonical_email

# Our own consumer app is simply the first tenant (created by migration 0002).
DEFAULT_TENANT_SLUG = "fitcore"


class Tenant(BaseModel):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"

    class Plan(models.TextChoices):
        FREE = "free", "Free"
        STARTER = "starter", "Starter"
        GROWTH = "growth", "Growth"
        ENTERPRISE = "enterprise", "Enterprise"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=63, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    plan = models.CharField(max_length=16, choices=Plan.choices, default=Plan.FREE)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.slug

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        """The canonical form (users.emails); raises ``InvalidEmail`` (a ValueError) when there is none."""
        return canonical_email(email or "")

    def _create_user(self, email: str, password: str | None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        if "tenant" not in extra and "tenant_id" not in extra:
            extra["tenant"] = Tenant.objects.get(slug=DEFAULT_TENANT_SLUG)
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)  # None gives an unusable password
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> "User":
        # Emails are unique per tenant; staff (admin login, createsuperuser) live in the first-party tenant.
        try:
            email = canonical_email(username or "")
        except InvalidEmail:
            raise self.model.DoesNotExist() from None
        return self.get(tenant__slug=DEFAULT_TENANT_SLUG, email=email)

    def for_tenant(self, tenant: "Tenant | int") -> models.QuerySet["User"]:
        return self.filter(tenant_id=tenant if isinstance(tenant, int) else tenant.pk)


class User(AbstractBaseUser, PermissionsMixin):
    """An end user (or staff member). Email is the login, unique within a tenant.

    ``email`` is always stored in its canonical form (users.emails), so uniqueness and
    every look-up are plain equality on this column. ``auth_generation`` is copied into
    every token issued for the user; authentication refuses a token whose generation is
    not the current one, so bumping it signs the user out everywhere, for good.
    """

    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        TENANT_ADMIN = "tenant_admin", "Tenant admin"

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="users")
    email = models.EmailField(max_length=254)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Can log into the FitCore staff admin.")
    date_joined = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    auth_generation = models.PositiveIntegerField(
        default=0,
        db_default=0,
        editable=False,
        help_text="Tokens carry the generation they were issued in; a bump signs the user out everywhere.",
    )

    objects: ClassVar[UserManager] = UserManager()

    # What the row held when loaded: a change of access (see save()) retires every token.
    _ACCESS_FIELDS = ("is_active", "role")
    _loaded_access: tuple[Any, ...] | None = None
    # The email as loaded: a change is announced (users.signals.email_changed) after the save.
    _loaded_email: str | None = None

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["id"]
        constraints = [
            # Plain equality on the canonical column: the same rule on SQLite and PostgreSQL.
            models.UniqueConstraint(fields=["tenant", "email"], name="users_user_unique_email_per_tenant"),
        ]

    def __str__(self) -> str:
        return self.email

    @classmethod
    def from_db(cls, *args: Any, **kwargs: Any) -> "User":
        user = super().from_db(*args, **kwargs)
        if all(name in user.__dict__ for name in cls._ACCESS_FIELDS):
            user._loaded_access = tuple(getattr(user, name) for name in cls._ACCESS_FIELDS)
        if "email" in user.__dict__:
            user._loaded_email = user.email
        return user

    def clean(self) -> None:
        super().clean()
        try:
            self.email = canonical_email(self.email)
        except InvalidEmail as exc:
            raise ValidationError({"email": ValidationError(exc.message, code=exc.code)}) from None

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Keeps two row invariants on every path (API, admin, shell, commands).

        The email is stored canonical; and a change of ``is_active`` or ``role`` bumps
        ``auth_generation``, so tokens issued before a deactivation or a role change stay
        dead even after the user is reactivated. (``QuerySet.update()`` bypasses this:
        use ``users.services.user_sign_out_everywhere`` beside such bulk writes.)
        """
        update_fields = kwargs.get("update_fields")
        fields = set(update_fields) if update_fields is not None else None
        if fields is None or "email" in fields:
            self.email = canonical_email(self.email)
        loaded = self._loaded_access
        stored = loaded
        if loaded is not None:
            # Read from __dict__: a deferred field was not changed, and must not cost a query here.
            current = tuple(
                self.__dict__.get(name, before) for name, before in zip(self._ACCESS_FIELDS, loaded, strict=True)
            )
            # What the row holds once this save is done: only the fields being written change.
            stored = tuple(
                now if fields is None or name in fields else before
                for name, before, now in zip(self._ACCESS_FIELDS, loaded, current, strict=True)
            )
            if stored != loaded:
                # In SQL, so a concurrent bump (another save, a sign-out everywhere) is never lost.
                self.auth_generation = models.F("auth_generation") + 1
                if fields is not None:
                    kwargs["update_fields"] = [*fields, "auth_generation"]
        changed_from = self._loaded_email if fields is None or "email" in fields else None
        super().save(*args, **kwargs)
        if changed_from is not None and changed_from != self.email:
            from .signals import email_changed

            email_changed.send(sender=User, user=self, old_email=changed_from)
        if "email" in self.__dict__:
            self._loaded_email = self.email
        if isinstance(self.__dict__.get("auth_generation"), models.expressions.Combinable):
            self.refresh_from_db(fields=["auth_generation"])
        if stored is None and all(name in self.__dict__ for name in self._ACCESS_FIELDS):
            stored = tuple(self.__dict__[name] for name in self._ACCESS_FIELDS)  # a new row: tracked from now on
        self._loaded_access = stored

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email

    @property
    def is_tenant_admin(self) -> bool:
        return self.role == self.Role.TENANT_ADMIN


# --- Profile ------------------------------------------------------------------------
# Validators are module-level functions so migrations can reference them by path.

EARLIEST_BIRTH_DATE = date(1900, 1, 1)


def validate_birth_date(value: date) -> None:
    """No future dates (and nothing before 1900): BMR needs a believable age."""
    if value > timezone.localdate():
        raise ValidationError("A birth date cannot be in the future.", code="future_date")
    if value < EARLIEST_BIRTH_DATE:
        raise ValidationError("A birth date before 1900 is not plausible.", code="min_value")


@cache
def timezone_names() -> tuple[str, ...]:
    """The IANA zone names we accept, sorted: those of the pinned ``tzdata`` package.

    Not ``zoneinfo.available_timezones()``: that also lists whatever the host's own tz
    database holds ("localtime", zones a newer system release added), so the list, and
    with it the API schema that publishes it, would change from one machine to the next.
    """
    return tuple(sorted(resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8").split()))


@cache
def _known_timezones() -> frozenset[str]:
    return frozenset(timezone_names())


def validate_timezone(value: str) -> None:
    """An IANA name from the tz database ("Europe/Berlin"); abbreviations like "CET" are ambiguous."""
    if value not in _known_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone name.", code="invalid_timezone")


def validate_language(value: str) -> None:
    if value not in dict(settings.LANGUAGES):
        raise ValidationError(f"{value!r} is not a supported language code.", code="invalid_language")


class Allergen(models.TextChoices):
    """The 14 allergens EU law requires labelling (Regulation 1169/2011, Annex II)."""

    GLUTEN = "gluten", "Cereals containing gluten"
    CRUSTACEANS = "crustaceans", "Crustaceans"
    EGGS = "eggs", "Eggs"
    FISH = "fish", "Fish"
    PEANUTS = "peanuts", "Peanuts"
    SOY = "soy", "Soybeans"
    MILK = "milk", "Milk"
    TREE_NUTS = "tree_nuts", "Tree nuts"
    CELERY = "celery", "Celery"
    MUSTARD = "mustard", "Mustard"
    SESAME = "sesame", "Sesame"
    SULPHITES = "sulphites", "Sulphur dioxide and sulphites"
    LUPIN = "lupin", "Lupin"
    MOLLUSCS = "molluscs", "Molluscs"


MAX_EXCLUDED_FOODS = 100
MAX_EXCLUDED_FOOD_LENGTH = 100


def validate_allergens(value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("Allergens are a list of allergen codes.", code="invalid")
    unknown = sorted(set(value) - set(Allergen.values))
    if unknown:
        raise ValidationError(f"Unknown allergen(s): {', '.join(unknown)}.", code="invalid_choice")


def validate_excluded_foods(value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("Excluded foods are a list of names.", code="invalid")
    if len(value) > MAX_EXCLUDED_FOODS:
        raise ValidationError(f"At most {MAX_EXCLUDED_FOODS} excluded foods.", code="max_length")
    if any(len(item) > MAX_EXCLUDED_FOOD_LENGTH for item in value):
        raise ValidationError(f"A food name has at most {MAX_EXCLUDED_FOOD_LENGTH} characters.", code="max_length")


def profile_image_upload_to(instance: "Profile", filename: str) -> str:
    # A random name: the client's file name may carry personal data, and it must not be guessable.
    suffix = Path(filename).suffix.lower() or ".webp"
    return f"profiles/{instance.tenant_id}/{uuid.uuid4().hex}{suffix}"


class Profile(TenantOwned):
    """Body data, diet and display preferences of one user; one row per user, created with the user.

    Measurements are stored metric; ``units`` only tells clients how to display them.
    ``tenant`` repeats the user's tenant so the row is scoped like every tenant-owned table.
    """

    class Sex(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        OTHER = "other", "Other"

    class ActivityLevel(models.TextChoices):
        SEDENTARY = "sedentary", "Sedentary (little or no exercise)"
        LIGHT = "light", "Lightly active (1-3 days a week)"
        MODERATE = "moderate", "Moderately active (3-5 days a week)"
        ACTIVE = "active", "Active (6-7 days a week)"
        VERY_ACTIVE = "very_active", "Very active (hard exercise or physical job)"

    class FitnessGoal(models.TextChoices):
        LOSE = "lose", "Lose weight"
        MAINTAIN = "maintain", "Maintain weight"
        GAIN = "gain", "Gain weight"
        PERFORMANCE = "performance", "Improve performance"

    class DietaryPattern(models.TextChoices):
        OMNIVORE = "omnivore", "Omnivore"
        VEGETARIAN = "vegetarian", "Vegetarian"
        VEGAN = "vegan", "Vegan"
        PESCATARIAN = "pescatarian", "Pescatarian"
        KETO = "keto", "Ketogenic"
        PALEO = "paleo", "Paleo"
        MEDITERRANEAN = "mediterranean", "Mediterranean"
        LOW_CARB = "low_carb", "Low carb"
        GLUTEN_FREE = "gluten_free", "Gluten free"
        HALAL = "halal", "Halal"
        KOSHER = "kosher", "Kosher"

    class Units(models.TextChoices):
        METRIC = "metric", "Metric (kg, cm)"
        IMPERIAL = "imperial", "Imperial (lb, ft/in)"

    class ImageStatus(models.TextChoices):
        NONE = "none", "No image"
        PROCESSING = "processing", "Processing an upload"
        READY = "ready", "Ready"
        FAILED = "failed", "The latest upload failed"

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    birth_date = models.DateField(null=True, blank=True, validators=[validate_birth_date])
    sex = models.CharField(max_length=8, choices=Sex.choices, blank=True)
    height_cm = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("50.0")), MaxValueValidator(Decimal("272.0"))],
    )
    weight_kg = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("20.00")), MaxValueValidator(Decimal("500.00"))],
    )
    activity_level = models.CharField(max_length=16, choices=ActivityLevel.choices, blank=True)
    fitness_goal = models.CharField(max_length=16, choices=FitnessGoal.choices, blank=True)
    dietary_pattern = models.CharField(max_length=16, choices=DietaryPattern.choices, blank=True)
    allergens = models.JSONField(default=list, blank=True, validators=[validate_allergens])
    excluded_foods = models.JSONField(default=list, blank=True, validators=[validate_excluded_foods])
    image = models.ImageField(upload_to=profile_image_upload_to, blank=True, max_length=200)
    image_thumbnail = models.ImageField(upload_to=profile_image_upload_to, blank=True, max_length=200)
    # An upload is processed by a worker (users.tasks); these say how the latest one went.
    image_status = models.CharField(
        max_length=16, choices=ImageStatus.choices, default=ImageStatus.NONE, editable=False
    )
    image_error_code = models.CharField(max_length=32, blank=True, editable=False)
    image_error_message = models.CharField(max_length=200, blank=True, editable=False)
    # Storage name of the original still being processed; the task compares it with its own
    # so that an older upload never overwrites a newer one. Never shown to anyone.
    image_pending = models.CharField(max_length=200, blank=True, editable=False)

    # Settings: display and communication preferences.
    units = models.CharField(max_length=8, choices=Units.choices, default=Units.METRIC)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    language = models.CharField(max_length=16, default="en", validators=[validate_language])
    marketing_opt_in = models.BooleanField(default=False)
    # When consent was last given: the record a consent audit asks for.
    marketing_opt_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Profile of user {self.user_id}"

    def age_on(self, day: date) -> int | None:
        if self.birth_date is None:
            return None
        had_birthday = (day.month, day.day) >= (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - (0 if had_birthday else 1)

    @property
    def local_today(self) -> date:
        """Today in the user's own time zone: a birthday starts at the user's midnight."""
        return datetime.now(zoneinfo.ZoneInfo(self.timezone)).date()

    @property
    def age(self) -> int | None:
        return self.age_on(self.local_today)

    @property
    def image_error(self) -> dict[str, str] | None:
        """Why the latest upload failed, or ``None``."""
        if not self.image_error_code:
            return None
        return {"code": self.image_error_code, "message": self.image_error_message}
