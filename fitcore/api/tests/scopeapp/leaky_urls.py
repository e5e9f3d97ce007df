"""The notes API with one deliberately unscoped view added: the sweep must fail on it."""

from django.urls import include, path

from fitcore.urls import handler400, handler403, handler404, handler500
from fitcore.urls import urlpatterns as real_urlpatterns

from .urls import leaky_patterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

urlpatterns = [path("api/v1/scopeapp/", include(leaky_patterns)), *real_urlpatterns]
