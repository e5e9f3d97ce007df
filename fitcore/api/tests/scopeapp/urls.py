"""Test URLconf: the real API plus the notes resource (and, separately, two leaky views)."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from fitcore.urls import handler400, handler403, handler404, handler500
from fitcore.urls import urlpatterns as real_urlpatterns

from .views import LeakyNoteListView, NoScopeAreaView, NoteStreamViewSet, NoteViewSet, PublicLeakView

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

router = SimpleRouter()
router.register("notes", NoteViewSet, basename="note")
router.register("note-stream", NoteStreamViewSet, basename="note-stream")

notes_patterns = ([*router.urls, path("no-scope/", NoScopeAreaView.as_view(), name="no-scope")], "scopeapp")

urlpatterns = [path("api/v1/scopeapp/", include(notes_patterns)), *real_urlpatterns]

leaky_patterns = (
    [
        *router.urls,
        path("leaky-notes/", LeakyNoteListView.as_view(), name="leaky-notes"),
        path("public-leak/", PublicLeakView.as_view(), name="public-leak"),
    ],
    "scopeapp",
)
