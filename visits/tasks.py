from celery import shared_task
from django.utils import timezone

from visits.models import Meeting, add_months


@shared_task
def plan_meetings() -> int:
    """Create this month's and next month's regular meetings from the schedules (idempotent)."""
    this_month = timezone.localdate().replace(day=1)
    return Meeting.objects.plan_month(this_month) + Meeting.objects.plan_month(
        add_months(this_month, 1)
    )
