"""Without a broker, tasks queued after commit run beside the request, not inside it.

So a password-reset request costs the same whether or not the address has an account
(no mail is rendered or sent in it), and a profile image is never decoded by the request.
"""

import threading

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db(transaction=True)  # the task's thread reads what the request committed

RELEASE = threading.Event()
SENDING = threading.Event()


class HeldBackend(EmailBackend):
    """Sends only once the test says so: while it waits, the request must already have answered."""

    def send_messages(self, messages):
        SENDING.set()
        assert RELEASE.wait(timeout=30), "the test never released the mail"
        return super().send_messages(messages)


def _join_task_threads() -> None:
    for thread in threading.enumerate():
        if thread.name.startswith("task "):
            thread.join(timeout=30)


@pytest.fixture
def background(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.TASKS_EAGER_IN_BACKGROUND = True
    settings.EMAIL_BACKEND = "fitcore.api.tests.test_tasks.HeldBackend"
    RELEASE.clear()
    SENDING.clear()
    yield
    RELEASE.set()
    _join_task_threads()


def test_a_password_reset_answers_before_its_mail_is_sent(background, user) -> None:
    response = APIClient().post("/api/v1/auth/password/reset/", {"email": user.email}, HTTP_X_TENANT="acme")

    assert response.status_code == 200  # answered while the mail is still held
    assert SENDING.wait(timeout=30)  # ...by a task that is running beside it
    assert mail.outbox == []
    RELEASE.set()
    _join_task_threads()
    assert [m.to for m in mail.outbox] == [[user.email]]


def test_an_unknown_address_queues_the_same_task_and_sends_nothing(background, tenant) -> None:
    response = APIClient().post("/api/v1/auth/password/reset/", {"email": "nobody@acme.example"}, HTTP_X_TENANT="acme")

    assert response.status_code == 200
    RELEASE.set()
    _join_task_threads()
    assert mail.outbox == []


def test_a_failing_task_is_logged_and_never_reaches_the_request(background, user, settings, caplog) -> None:
    settings.EMAIL_BACKEND = "authapp.tests.failing_mail.RefusingBackend"

    response = APIClient().post("/api/v1/auth/password/reset/", {"email": user.email}, HTTP_X_TENANT="acme")

    assert response.status_code == 200
    _join_task_threads()
    assert any("could not send authapp.send_password_reset" in r.getMessage() for r in caplog.records)
