"""Routes under /api/v1/auth/."""

from django.urls import include, path

from .views import auth

app_name = "authapp"

urlpatterns = [
    path("register/", auth.RegisterView.as_view(), name="register"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("logout/all/", auth.LogoutEverywhereView.as_view(), name="logout-all"),
    # Only our refresh view: simplejwt's beside it would add a second "TokenRefresh" schema component.
    path("token/refresh/", auth.TokenRefreshView.as_view(), name="token-refresh"),
    path("password/change/", auth.PasswordChangeView.as_view(), name="password-change"),
    path("password/reset/", auth.PasswordResetView.as_view(), name="password-reset"),
    path("password/reset/confirm/", auth.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
    path("email/verify/", auth.EmailVerifyView.as_view(), name="email-verify"),
    path("email/resend/", auth.EmailResendView.as_view(), name="email-resend"),
    path("", include("authapp.social_urls")),
]
