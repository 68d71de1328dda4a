"""/health/: the database, Redis, the broker and a live worker behind beat, answered to anyone
without detail; 503 as soon as one of them fails."""

import datetime

import pytest

from oversight.models import Heartbeat
from tests.clock import FROZEN_NOW
from tests.test_reminders import wait_for


def test_healthy_when_every_component_answers(client, db, settings):
    Heartbeat.objects.create(name=Heartbeat.CELERY, beat_at=FROZEN_NOW)
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["components"]["database"] == "ok" and body["components"]["celery"] == "ok"
    expected_redis = "ok" if settings.REDIS_URL else "not configured"
    assert body["components"]["redis"] == expected_redis
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.parametrize("age", [None, 600])
def test_no_recent_heartbeat_means_celery_is_failing(client, db, age):
    if age is not None:
        past = FROZEN_NOW - datetime.timedelta(seconds=age)
        Heartbeat.objects.create(name=Heartbeat.CELERY, beat_at=past)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["components"]["celery"] == "failing"
    assert "ago" not in response.text  # the reason goes to the log, not to the caller


def test_an_unreachable_redis_is_failing(client, db, settings):
    Heartbeat.objects.create(name=Heartbeat.CELERY, beat_at=FROZEN_NOW)
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["components"] == {
        "database": "ok",
        "redis": "failing",
        "broker": "ok",
        "celery": "ok",
    }


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_heartbeat_goes_through_a_real_worker(celery_worker, client):
    from oversight.tasks import heartbeat

    heartbeat.delay()
    assert wait_for(lambda: Heartbeat.objects.filter(name=Heartbeat.CELERY).exists())
    assert client.get("/health/").json()["components"]["celery"] == "ok"


def test_beat_schedules_the_heartbeat_every_minute(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="oversight.tasks.heartbeat")
    assert task.enabled and (task.interval.every, task.interval.period) == (1, "minutes")
