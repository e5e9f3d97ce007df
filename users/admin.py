"""Staff admin (Jazzmin) for tenants, users and profiles. Staff see every tenant."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from .emails import InvalidEmail, canonical_email
from .models import Profile, Tenant, User
from .services import user_sign_out_everywhere


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "status", "plan", "user_count", "created_at"]
    list_filter = ["status", "plan"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at", "updated_at"]
    ordering = ["name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tenant]:
        return super().get_queryset(request).annotate(user_count=Count("users"))

    @admin.display(description="Users", ordering="user_count")
    def user_count(self, tenant: Tenant) -> int:
        return int(getattr(tenant, "user_count", 0))


class UserCreationForm(AdminUserCreationForm):
    """Django's admin add form, for a login that is an email unique within a tenant."""

    class Meta:
        model = User
        fields = ["tenant", "email"]


class UserChangeForm(forms.ModelForm):
    """No password field at all: the hash is never shown; "Set password" is a separate page."""

    class Meta:
        model = User
        fields = [
            "email",
            "first_name",
            "last_name",
            "role",
            "is_active",
            "is_staff",
            "is_superuser",
            "groups",
            "user_permissions",
        ]

    def clean_email(self) -> str:
        # The tenant is not a field of this form, so Django cannot run the per-tenant
        # unique constraint itself; without this a clash is an IntegrityError (500).
        try:
            email = canonical_email(self.cleaned_data["email"])
        except InvalidEmail as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
        clash = User._default_manager.filter(tenant_id=self.instance.tenant_id, email=email)
        if clash.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Another user of this tenant already has this email address.")
        return email


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    extra = 0
    max_num = 1
    fk_name = "user"
    exclude = ["tenant"]  # always the user's tenant
    readonly_fields = [
        "image_preview",
        "image_status",
        "image_error",
        "marketing_opt_in_at",
        "created_at",
        "updated_at",
    ]

    @admin.display(description="Image error")
    def image_error(self, profile: Profile) -> str:
        error = profile.image_error
        return "-" if error is None else f"{error['code']}: {error['message']}"

    @admin.display(description="Image preview")
    def image_preview(self, profile: Profile) -> str:
        if not profile.image_thumbnail:
            return "-"
        return format_html('<img src="{}" width="96" height="96" alt="">', profile.image_thumbnail.url)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    list_display = ["email", "tenant", "first_name", "last_name", "role", "is_active", "is_staff", "date_joined"]
    list_filter = ["tenant", "role", "is_active", "is_staff", "is_superuser"]
    list_select_related = ["tenant"]
    search_fields = ["email", "first_name", "last_name"]
    ordering = ["email"]
    readonly_fields = ["tenant", "password_status", "last_login", "date_joined", "updated_at"]
    fieldsets = [
        (None, {"fields": ["tenant", "email", "password_status"]}),
        ("Personal info", {"fields": ["first_name", "last_name"]}),
        ("Access", {"fields": ["role", "is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined", "updated_at"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["tenant", "email", "usable_password", "password1", "password2"]}),
    ]
    inlines = [ProfileInline]
    actions = ["sign_out_everywhere"]

    @admin.action(description="Sign out everywhere (retire every token of the selected users)")
    def sign_out_everywhere(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = 0
        for user in queryset:
            user_sign_out_everywhere(user=user)
            count += 1
        messages.success(request, f"Signed {count} user(s) out everywhere.")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return []  # the add form chooses the tenant; afterwards a user never moves
        return super().get_readonly_fields(request, obj)

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> Any:
        # On "add", the post_save signal creates the profile; an inline would try to create a second.
        if obj is None:
            return []
        return super().get_inline_instances(request, obj)

    @admin.display(description="Password")
    def password_status(self, user: User) -> str:
        url = reverse("admin:auth_user_password_change", args=[user.pk])
        label = "Set" if user.has_usable_password() else "No password (social or partner sign-in). Set"
        return format_html('{} <a href="{}">a new password</a>.', label, url)
