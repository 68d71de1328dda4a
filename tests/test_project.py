"""The project's own machinery: the production compose file, the catalogue, the services."""

import gettext
import re
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app

ROOT = Path(settings.BASE_DIR)


def test_compose_file_parses_and_names_every_service():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat", "migrate"} <= set(services)
    assert "gunicorn" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    assert services["beat"]["deploy"]["replicas"] == 1
    # Graceful shutdown: gunicorn finishes its requests, a worker its task (tasks are
    # acknowledged only when done, so one cut short is redelivered, see test_reminders.py).
    assert "--graceful-timeout" in services["web"]["command"]
    assert int(services["worker"]["stop_grace_period"].rstrip("s")) >= 30
    assert celery_app.conf.task_acks_late and celery_app.conf.task_reject_on_worker_lost
    for name in ("web", "worker", "beat"):
        assert services[name]["environment"]["CELERY_BROKER_URL"].startswith("redis://")
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://")
    assert (ROOT / "Dockerfile").exists()


def po_entries(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    pairs = re.findall(r'^msgid "(.+)"\nmsgstr "(.*)"$', text, flags=re.MULTILINE)
    return dict(pairs)


def test_english_catalogue_is_complete_and_compiled():
    po = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
    entries = po_entries(po)
    assert entries, "the catalogue is empty"
    assert "#, fuzzy" not in po.read_text(encoding="utf-8"), "a guessed translation is left"
    untranslated = [msgid for msgid, msgstr in entries.items() if not msgstr]
    assert not untranslated
    with (po.with_suffix(".mo")).open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    stale = [msgid for msgid, msgstr in entries.items() if catalogue.gettext(msgid) != msgstr]
    assert not stale, "django.mo is older than django.po: run `make messages`"


def test_settings_speak_vietnamese_in_hanoi_time():
    assert settings.LANGUAGE_CODE == "vi"
    assert settings.TIME_ZONE == settings.CELERY_TIMEZONE == "Asia/Ho_Chi_Minh"
    assert settings.USE_TZ


@pytest.mark.parametrize("language", ["vi", "en"])
def test_dates_read_day_month_year_in_both_languages(language):
    import datetime

    from django.utils import formats, translation

    with translation.override(language):
        assert formats.date_format(datetime.date(2026, 11, 5)) == "05/11/2026"
        assert formats.date_format(datetime.date(2026, 11, 5), "SHORT_DATE_FORMAT") == "05/11/2026"


@pytest.mark.django_db
def test_database_is_postgresql_when_services_are_required(require_services):
    if require_services:
        assert connection.vendor == "postgresql"
    else:
        assert connection.vendor in {"postgresql", "sqlite"}


def test_broker_is_reachable():
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=2)
        assert conn.connected


def test_redis_is_reachable_when_configured(require_services):
    if not settings.REDIS_URL:
        assert not require_services, "REQUIRE_SERVICES is set but REDIS_URL is not"
        pytest.skip("no REDIS_URL: the embedded setup has no Redis")
    import redis

    assert redis.Redis.from_url(settings.REDIS_URL).ping()


def test_production_logs_are_one_json_object_per_line():
    import json
    import logging

    from config.logging import JsonFormatter

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name in ("web", "worker", "beat"):
        assert compose["services"][name]["environment"]["LOG_FORMAT"] == "json"
    try:
        raise ValueError("hỏng")
    except ValueError:
        record = logging.getLogger("visits.tasks").makeRecord(
            "visits.tasks", logging.ERROR, __file__, 1, "gửi %s thư", (3,), sys.exc_info(),
            extra={"reminder_id": 42},
        )  # fmt: skip
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "gửi 3 thư" and entry["level"] == "ERROR"
    assert entry["logger"] == "visits.tasks" and entry["reminder_id"] == 42
    assert entry["time"].endswith("+07:00") and "ValueError: hỏng" in entry["exception"]
