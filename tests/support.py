"""Helpers that tests hand to other processes (a Celery worker started as a subprocess)."""

import time
from collections.abc import Sequence

from django.core.mail.message import EmailMessage

from visits.mail import OutboxBackend


class SlowOutboxBackend(OutboxBackend):
    """The outbox, a tenth of a second per message: slow enough to kill a worker mid-batch."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        time.sleep(0.1)
        return super().send_messages(email_messages)
