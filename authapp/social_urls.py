"""Google and Apple sign-in routes, included by authapp/urls.py under /api/v1/auth/."""

from django.urls import URLPattern, path

from .views.social import AppleSignInView, GoogleSignInView

urlpatterns: list[URLPattern] = [
    path("google/", GoogleSignInView.as_view(), name="google-login"),
    path("apple/", AppleSignInView.as_view(), name="apple-login"),
]
