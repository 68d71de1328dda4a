"""Security promises (SECURITY.md): headers, login throttling, the second factor, deployment."""

import datetime
import io
import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts import two_factor
from assignments.models import BreakthroughTask, TaskKind, TaskStatus
from tests.clock import frozen_command, frozen_environment
from tests.conftest import fresh
from tests.files import POLYGLOTS, SCRIPT, image_bytes, pdf_bytes
from visits.models import Visit

PASSWORD = "secret-pass-123"


@pytest.fixture(autouse=True)
def fresh_throttles():
    """The API's login throttle counts in the cache, across tests unless emptied."""
    from django.core.cache import cache

    cache.clear()


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """What the phone shows now (or ``steps_ahead`` periods later: each code works once)."""
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + steps_ahead)
    return f"{value:0{device.digits}d}"


def sign_in(client, username: str, password: str = PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


# -- headers ------------------------------------------------------------------------------


def test_every_page_carries_a_strict_content_security_policy(client, people):
    for response in [client.get(reverse("login")), client.get("/health/")]:
        policy = response["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["script-src"] == "'self'"
        assert directives["style-src"] == "'self'"
        assert directives["frame-ancestors"] == "'none'"
        assert "http" not in policy and "unsafe" not in policy
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Content-Type-Options"] == "nosniff"


TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Emails are read in mail programs, which need inline styles; the CSP covers pages only.
EMAIL_TEMPLATES = TEMPLATES / "reminders"


@pytest.mark.parametrize(
    "path",
    [p for p in sorted(TEMPLATES.rglob("*.html")) if EMAIL_TEMPLATES not in p.parents],
    ids=lambda p: str(p.relative_to(TEMPLATES)),
)
def test_no_template_carries_inline_script_or_style(path):
    text = path.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", text), "an on… event attribute"
    assert not re.search(r"\sstyle\s*=", text), "a style attribute"
    assert "<style" not in text
    assert not re.search(r"(src|href)=\"(https?:)?//", text), "a resource from another origin"


# -- passwords and login throttling ----------------------------------------------------------


@pytest.mark.parametrize("weak", ["12345678901", "password1234", "nguyenvana01"])
def test_weak_passwords_are_refused(people, weak):
    person = fresh(people.commune_a_staff)
    person.username = "nguyenvana01"
    with pytest.raises(ValidationError):
        validate_password(weak, person)


def test_five_failures_lock_the_login_out_even_with_the_right_password(client, people):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "c01.vp", "wrong-password").status_code == 200
    assert sign_in(client, "c01.vp", "wrong-password").status_code == 429
    locked = sign_in(client, "c01.vp")
    assert locked.status_code == 429 and "Tạm khóa đăng nhập" in locked.text
    # Another person signing in from the same address is not locked out.
    assert sign_in(client, "d01.bithu").status_code == 302


def test_the_api_token_login_counts_failures_too(people):
    api = APIClient()
    url = reverse("api:token")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api.post(url, {"username": "d01.bithu", "password": "x"}, format="json")
    locked = api.post(url, {"username": "d01.bithu", "password": PASSWORD}, format="json")
    assert locked.status_code == 429 and set(locked.json()) == {"detail", "errors"}


def test_a_session_ends_with_the_browser_and_after_a_working_day():
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.SESSION_COOKIE_HTTPONLY


# -- the second factor -----------------------------------------------------------------------


@pytest.fixture
def required(settings):
    settings.TWO_FACTOR_REQUIRED = True
    # A wrong code makes the device refuse every code for a second (then two, four…); the tests
    # that try a wrong code and then the right one turn that off, one test checks it.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def test_after_a_wrong_code_even_the_right_one_must_wait(client, people, settings):
    settings.TWO_FACTOR_REQUIRED = True
    device = TOTPDevice.objects.create(user=people.commune_a_staff, name="Điện thoại")
    sign_in(client, "c01.vp")
    assert client.post(reverse("two-factor-verify"), {"code": "000000"}).status_code == 400
    right_too_soon = client.post(reverse("two-factor-verify"), {"code": code_for(device)})
    assert right_too_soon.status_code == 400


def test_office_staff_must_set_up_a_second_factor_before_anything_else(client, people, required):
    assert sign_in(client, "c01.vp").status_code == 302
    blocked = client.get(reverse("review-queue"))
    assert blocked.status_code == 302
    assert blocked["Location"].startswith(reverse("two-factor"))
    assert client.get("/api/v1/visits/").status_code == 403  # the session's API calls too
    page = client.get(reverse("two-factor"))
    assert page.status_code == 200 and "data:image/svg+xml" in page.text
    device = TOTPDevice.objects.get(user=people.commune_a_staff, confirmed=False)
    wrong = client.post(reverse("two-factor"), {"code": "000000"})
    assert wrong.status_code == 400
    done = client.post(
        reverse("two-factor"), {"code": code_for(device), "next": reverse("review-queue")}
    )
    assert done.status_code == 302 and done["Location"] == reverse("review-queue")
    assert client.get(reverse("review-queue")).status_code == 200


def test_with_a_device_signing_in_asks_for_the_code(client, people, required):
    device = TOTPDevice.objects.create(user=people.district_a_secretary, name="Điện thoại")
    sign_in(client, "d01.bithu")
    assert client.get(reverse("my-work"))["Location"].startswith(reverse("two-factor-verify"))
    assert client.post(reverse("two-factor-verify"), {"code": "12345"}).status_code == 400
    assert client.post(reverse("two-factor-verify"), {"code": "000000"}).status_code == 400
    passed = client.post(reverse("two-factor-verify"), {"code": code_for(device)})
    assert passed.status_code == 302
    assert client.get(reverse("my-work")).status_code == 200


def test_a_member_without_a_device_needs_no_second_factor(client, people, oversight, required):
    sign_in(client, "d01.uv")
    assert client.get(reverse("my-work")).status_code == 200
    assert not two_factor.requires_two_factor(oversight.district_member)
    assert two_factor.requires_two_factor(people.admin)
    assert two_factor.requires_two_factor(people.commune_a_staff)


def test_a_next_address_off_the_site_is_not_followed(client, people, required):
    device = TOTPDevice.objects.create(user=people.commune_a_staff, name="Điện thoại")
    sign_in(client, "c01.vp")
    response = client.post(
        reverse("two-factor-verify"), {"code": code_for(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


def test_the_api_token_asks_the_second_factor_of_those_who_have_one(people, required):
    api = APIClient()
    url = reverse("api:token")
    body = {"username": "c01.vp", "password": PASSWORD}
    not_set_up = api.post(url, body, format="json")
    assert not_set_up.status_code == 401 and "otp" in not_set_up.json()["errors"]
    device = TOTPDevice.objects.create(user=people.commune_a_staff, name="Điện thoại")
    assert api.post(url, body, format="json").status_code == 401
    granted = api.post(url, {**body, "otp": code_for(device)}, format="json")
    assert granted.status_code == 200 and granted.json()["token"]
    replayed = api.post(url, {**body, "otp": code_for(device)}, format="json")
    assert replayed.status_code == 401  # a code works once


def test_setting_up_a_new_phone_removes_the_old_one(client, people, required):
    old = TOTPDevice.objects.create(user=people.commune_a_staff, name="Điện thoại cũ")
    client.force_login(people.commune_a_staff)
    client.post(reverse("two-factor-verify"), {"code": code_for(old)})
    client.get(reverse("two-factor"))
    new = TOTPDevice.objects.get(user=people.commune_a_staff, confirmed=False)
    assert client.post(reverse("two-factor"), {"code": code_for(new)}).status_code == 302
    assert list(TOTPDevice.objects.filter(user=people.commune_a_staff)) == [new]


# -- deployment ------------------------------------------------------------------------------


def manage(tmp_path, *arguments: str, **environment: str) -> subprocess.CompletedProcess:
    """``manage.py <arguments>`` in a process of its own, with only the given settings on top
    of a bare environment (none of the suite's development defaults)."""
    bare = {
        k: v
        for k, v in frozen_environment().items()
        if k not in ("DEBUG", "SECRET_KEY", "SECURE_COOKIES", "ALLOWED_HOSTS", "DATABASE_URL")
    }
    return subprocess.run(
        frozen_command("manage.py", *arguments),
        cwd=settings.BASE_DIR,
        env={**bare, "DATABASE_URL": f"sqlite:///{tmp_path / 'check.sqlite3'}", **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k" * 20 + "-a-long-and-random-production-key-0123456789",
    "ALLOWED_HOSTS": "portal.example.vn",
}


def test_the_production_settings_are_secure_by_default(tmp_path):
    """Only DEBUG=0, a key and the host: HSTS, the HTTPS redirect and Secure cookies are on."""
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    shown = manage(
        tmp_path, "diffsettings", "--all", **PRODUCTION
    ).stdout  # the values the running portal has
    for line in [
        "SESSION_COOKIE_SECURE = True",
        "CSRF_COOKIE_SECURE = True",
        "SECURE_SSL_REDIRECT = True",
        "SECURE_HSTS_SECONDS = 31536000",
    ]:
        assert line in shown


def test_plain_http_must_be_asked_for_and_the_deploy_check_then_warns(tmp_path):
    result = manage(
        tmp_path, "check", "--deploy", "--fail-level", "WARNING", SECURE_COOKIES="0", **PRODUCTION
    )
    assert result.returncode != 0
    for warning in ["security.W004", "security.W008", "security.W012", "security.W016"]:
        assert warning in result.stderr + result.stdout


def test_the_portal_refuses_to_start_without_a_secret_key(tmp_path):
    """The server refuses (runserver loads the same WSGI entry point as gunicorn) while a tool
    that signs nothing still runs, so that `makemigrations --check` needs no key."""
    result = manage(
        tmp_path, "runserver", "--noreload", "127.0.0.1:8799", DEBUG="0", ALLOWED_HOSTS="x.vn"
    )
    assert result.returncode != 0
    assert "SECRET_KEY chưa được đặt" in result.stderr and "SECRET_KEY is not set" in result.stderr
    assert manage(tmp_path, "check", DEBUG="1").returncode == 0  # a developer's DEBUG run starts
    assert manage(tmp_path, "makemigrations", "--check", "--dry-run", DEBUG="0").returncode == 0


# -- uploads ---------------------------------------------------------------------------------


def test_uploads_live_outside_what_is_served_statically(client, people):
    media = Path(settings.MEDIA_ROOT).resolve()
    for served in [Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)]:
        served = served.resolve()
        assert media != served and served not in media.parents and media not in served.parents
    # No URL serves the media folder; files go out only through views that check the record.
    client.force_login(people.province_office)
    for url in ["/media/visits/scan.pdf", "/var/media/visits/scan.pdf", "/static/../media/x"]:
        assert client.get(url).status_code == 404


# -- bad input is a 4xx with a message, never a 500 -----------------------------------------


@pytest.mark.parametrize(
    "query",
    [{"meeting": "abc"}, {"meeting": "1e3"}, {"member": "abc"}, {"meeting": "9" * 40}],
)
def test_the_visit_form_answers_a_malformed_id_with_404(client, people, oversight, query):
    client.force_login(people.commune_a_staff)  # who may log for others, so ?member= is read
    assert client.get(reverse("visit-create"), query).status_code == 404


def test_a_client_token_that_is_not_a_uuid_is_a_400_naming_it(client, oversight):
    client.force_login(oversight.district_member)
    response = client.post(
        reverse("visit-create") + f"?meeting={oversight.meeting_a.pk}",
        {"client_token": "không-phải-uuid", "findings": "x"},
    )
    assert response.status_code == 400 and "client_token" in response.text
    assert not Visit.objects.exists()


def test_a_meeting_outside_ones_areas_is_refused_above_the_form(client, oversight):
    """The meeting is in the member's scope (their district) but in no area of theirs: the
    model names the meeting, which the form does not show; the reason goes above the form."""
    client.force_login(oversight.district_member)
    response = client.post(
        reverse("visit-create") + f"?meeting={oversight.meeting_a2.pk}", {"findings": "Đã dự"}
    )
    assert response.status_code == 400
    assert "không được phân công phụ trách" in response.text
    assert not Visit.objects.exists()


# -- uploads cannot run ------------------------------------------------------------------------


def upload(content: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/html")


@pytest.mark.parametrize("polyglot", list(POLYGLOTS))
def test_a_polyglot_is_refused_on_a_visit(client, oversight, settings, tmp_path, polyglot):
    settings.MEDIA_ROOT = tmp_path
    content, name = POLYGLOTS[polyglot]
    client.force_login(oversight.district_member)
    url = reverse("visit-create") + f"?meeting={oversight.meeting_a.pk}"
    response = client.post(url, {"findings": "Đã dự", "attachment": upload(content, name)})
    assert response.status_code == 400 and "Chỉ nhận ảnh" in response.text
    assert not Visit.objects.exists() and not any(tmp_path.rglob("*.*"))


@pytest.mark.parametrize("polyglot", list(POLYGLOTS))
def test_a_polyglot_is_refused_as_a_tasks_decision_or_evidence(
    client, people, tree, settings, tmp_path, polyglot
):
    settings.MEDIA_ROOT = tmp_path
    content, name = POLYGLOTS[polyglot]
    task = BreakthroughTask.objects.create(
        title="Xóa lò gạch", kind=TaskKind.COMMISSIONED, cadre=people.district_a_secretary,
        owner_unit=tree.district_a, year=2026, deadline=datetime.date(2026, 12, 15),
        expected_result="Xong", status=TaskStatus.APPROVED,
    )  # fmt: skip
    url = reverse("task-detail", args=[task.pk])
    client.force_login(people.district_a_secretary)
    evidence = {"action": "progress", "percent": "50", "narrative": "x"}
    response = client.post(url, {**evidence, "evidence": upload(content, name)}, follow=True)
    assert "Chỉ nhận ảnh" in response.text and not task.progress_reports.exists()
    BreakthroughTask.objects.filter(pk=task.pk).update(status=TaskStatus.PROPOSED)
    client.force_login(people.province_office)
    approval = {"action": "approve", "decision_number": "15-QĐ/TU", "decision_date": "10/01/2026"}
    client.post(url, {**approval, "decision_file": upload(content, name)}, follow=True)
    assert not BreakthroughTask.objects.get(pk=task.pk).decision_file
    assert not any(tmp_path.rglob("*.*"))


def test_an_accepted_file_is_named_and_served_by_its_content_and_cannot_run(
    client, people, oversight, settings, tmp_path
):
    """A real photo with a script appended (decoders ignore what follows the image) is kept, but
    under the portal's own name, as a download of an image, sandboxed and never sniffed."""
    settings.MEDIA_ROOT = tmp_path
    photo = image_bytes("JPEG") + SCRIPT
    client.force_login(oversight.district_member)
    url = reverse("visit-create") + f"?meeting={oversight.meeting_a.pk}"
    client.post(url, {"findings": "Đã dự", "attachment": upload(photo, "anh.html")})
    visit = Visit.objects.get()
    stored = str(visit.attachment.name)
    assert stored.endswith(".jpg") and "anh" not in stored
    client.force_login(people.commune_a_staff)
    served = client.get(reverse("visit-attachment", args=[visit.pk]))
    assert served["Content-Type"] == "image/jpeg"
    assert served["Content-Disposition"].startswith("attachment;")
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Security-Policy"].startswith("sandbox")


def test_a_file_stored_before_the_checks_goes_out_as_bytes_to_save(
    client, people, oversight, settings, tmp_path
):
    """Files kept under the person's own name before: served by their content, not their name."""
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "visits").mkdir()
    (tmp_path / "visits" / "cu.html").write_bytes(SCRIPT)
    visit = Visit.objects.create(
        member=oversight.district_member, logged_by=oversight.district_member, kind="meeting",
        meeting=oversight.meeting_a, unit=oversight.meeting_a.cell, date=oversight.meeting_a.date,
        attachment="visits/cu.html",
    )  # fmt: skip
    client.force_login(people.commune_a_staff)
    served = client.get(reverse("visit-attachment", args=[visit.pk]))
    assert served["Content-Type"] == "application/octet-stream"
    assert served["Content-Disposition"] == f'attachment; filename="ghi-nhan-{visit.pk}.bin"'
    assert served["Content-Security-Policy"].startswith("sandbox")


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_every_accepted_photo_type_passes_the_whole_check(image_format):
    from oversight.uploads import ACCEPTED, detect_type

    content = image_bytes(image_format)
    assert image_format in ACCEPTED and detect_type(io.BytesIO(content)) == image_format
    assert detect_type(io.BytesIO(pdf_bytes())) == "PDF"
    assert detect_type(io.BytesIO(content[: len(content) // 2])) is None  # cut short
