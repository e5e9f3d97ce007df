from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers

from fitcore.api.scopes import ALL_SCOPES, WILDCARDS

from . import services
from .models import ApiKey

SCOPE_CHOICES = [(s, s) for s in sorted([*WILDCARDS, *ALL_SCOPES])]


class ApiKeyAddForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=SCOPE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=(
            "Leave empty for a key with every scope except users:tokens (minting user tokens), "
            "which must be ticked by name."
        ),
    )

    class Meta:
        model = ApiKey
        fields = ["tenant", "name", "scopes", "expires_at"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "tenant", "prefix", "scope_list", "last_used_at", "expires_at", "status"]
    list_filter = ["tenant", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "tenant__slug"]
    list_select_related = ["tenant"]
    readonly_fields = [
        "prefix",
        "scopes",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
        "rotated_at",
        "rotated_from",
    ]
    fields = [
        "tenant",
        "name",
        "prefix",
        "scopes",
        "expires_at",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
        "rotated_at",
        "rotated_from",
    ]
    actions = ["revoke"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = ApiKeyAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ApiKeyAddForm.Meta.fields if obj is None else self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else [*self.readonly_fields, "tenant"]

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        issued = services.api_key_create(
            tenant=form.cleaned_data["tenant"],
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"] or None,
            created_by=request.user,
            expires_at=form.cleaned_data["expires_at"],
        )
        obj.pk = issued.api_key.pk
        # Held on this request only, rendered by response_add, then gone: never in a
        # message (cookie/session storage) or in the database.
        request._issued_api_key = issued  # type: ignore[attr-defined]

    def response_add(self, request: HttpRequest, obj: ApiKey, post_url_continue: str | None = None) -> HttpResponse:
        issued = getattr(request, "_issued_api_key", None)
        if issued is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "API key created",
            "api_key": issued.api_key,
            "secret": issued.secret,
        }
        response = TemplateResponse(request, "admin/authapp/apikey/created.html", context)
        add_never_cache_headers(response)
        return response

    @admin.display(description="scopes")
    def scope_list(self, obj: ApiKey) -> str:
        return ", ".join(obj.scopes)

    @admin.display(description="status")
    def status(self, obj: ApiKey) -> str:
        if obj.is_revoked:
            return "revoked"
        return "expired" if obj.is_expired else "active"

    @admin.action(description="Revoke selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        count = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            services.api_key_revoke(api_key=api_key)  # a save: cached copies are forgotten at once
            count += 1
        messages.success(request, f"Revoked {count} key(s).")
