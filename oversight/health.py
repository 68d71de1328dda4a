"""``/health/``: whether the portal can do its work now: the database answers, Redis answers,
the broker takes messages, and beat and a worker are alive (the worker wrote the heartbeat that
beat asked for, recently). For load balancers and monitoring: no login, and no detail beyond
each component's state, so that it tells an outsider nothing about the installation.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from oversight.models import Heartbeat

logger = logging.getLogger(__name__)


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def check_redis() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
    client.ping()
    return "ok"


def check_broker() -> str:
    from config.celery import app

    with app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, timeout=2)
    return "ok"


def check_celery() -> str:
    """Beat queues ``oversight.tasks.heartbeat`` every minute and a worker records it; an old
    heartbeat means one of them is down (or the broker between them)."""
    beat_at = Heartbeat.objects.filter(name=Heartbeat.CELERY).values_list("beat_at", flat=True)
    last = beat_at.first()
    if last is None:
        raise RuntimeError("no heartbeat yet")
    age = timezone.now() - last
    if age > datetime.timedelta(seconds=settings.HEALTH_HEARTBEAT_MAX_AGE):
        raise RuntimeError(f"last heartbeat {int(age.total_seconds())} s ago")
    return "ok"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "redis": check_redis,
    "broker": check_broker,
    "celery": check_celery,
}


def component_states() -> dict[str, str]:
    """Each component's state: ``ok``, ``not configured`` or ``failing``; failures are logged
    with their reason (the log is for the operators, the answer for anyone)."""
    states = {}
    for name, check in CHECKS.items():
        try:
            states[name] = check()
        except Exception as error:  # any failure of a component is its state, not a crash
            logger.warning("health: %s failing: %s", name, error)
            states[name] = "failing"
    return states


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    states = component_states()
    healthy = all(state != "failing" for state in states.values())
    return JsonResponse(
        {"status": "ok" if healthy else "failing", "components": states},
        status=200 if healthy else 503,
    )
