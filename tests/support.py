"""Helpers that tests hand to other processes (a Celery worker started as a subprocess), and
one that runs two transactions across each other."""

import threading
import time
from collections.abc import Callable, Sequence

from django.core.mail.message import EmailMessage
from django.db import connection, transaction

from visits.mail import OutboxBackend


class SlowOutboxBackend(OutboxBackend):
    """A mail server outside the database, a tenth of a second per message: slow enough to kill
    a worker mid-batch. Handed one message at a time, as an SMTP server is (the portal's own
    outbox writes a batch in one transaction, which a kill cannot cut in half)."""

    sends_in_transaction = False

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        time.sleep(0.1)
        return super().send_messages(email_messages)


def across_each_other(
    first: Callable[[], object], then: Callable[[], object], meanwhile: Callable[[], object]
) -> list[Exception]:
    """Run ``first`` in a transaction of another thread; while it holds what it wrote, run
    ``meanwhile`` here (it reaches its locks during a second and a half), then ``then`` in the
    other transaction, which commits. The errors of both (a deadlock is one of them)."""
    written, errors = threading.Event(), []

    def other() -> None:
        try:
            with transaction.atomic():
                first()
                written.set()
                time.sleep(1.5)
                then()
        except Exception as error:  # reported with this thread's own
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=other)
    thread.start()
    assert written.wait(5)
    try:
        meanwhile()
    except Exception as error:
        errors.append(error)
    thread.join()
    return errors
