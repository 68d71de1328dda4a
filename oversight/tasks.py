from celery import shared_task
from django.utils import timezone

from oversight.models import Heartbeat


@shared_task(ignore_result=True)
def heartbeat() -> None:
    """Queued by beat every minute, recorded by whichever worker takes it: a recent row means
    beat, the broker and a worker are all working (``/health/``)."""
    Heartbeat.objects.update_or_create(name=Heartbeat.CELERY, defaults={"beat_at": timezone.now()})
