"""The portal's own outbox: an email backend that keeps messages in the database."""

import uuid
from collections.abc import Sequence

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage, EmailMultiAlternatives

from visits.models import OutboxMessage


class OutboxBackend(BaseEmailBackend):
    """Writes each message to ``OutboxMessage``. A message whose Message-ID is already there is
    counted as sent and not written again: a reminder re-sent after a crash lands once.

    Its messages are rows of the portal's own database, so a sender may write them in its own
    transaction together with its bookkeeping (``sends_in_transaction``)."""

    sends_in_transaction = True

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        rows = []
        for message in email_messages:
            message_id = message.extra_headers.get("Message-ID") or f"<{uuid.uuid4()}@outbox>"
            html = ""
            if isinstance(message, EmailMultiAlternatives):
                html = next(
                    (
                        str(content)
                        for content, mimetype in message.alternatives
                        if mimetype == "text/html"
                    ),
                    "",
                )
            rows.append(
                OutboxMessage(
                    message_id=message_id,
                    to=", ".join(message.to),
                    subject=str(message.subject),
                    body=str(message.body),
                    html=html,
                )
            )
        # One INSERT … ON CONFLICT DO NOTHING: a message delivered before this attempt stays
        # as it was, and counts as sent.
        OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
        return len(rows)
