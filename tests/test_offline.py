"""Offline capture, the server's half: the worker and the manifest at the root, the session
probe, the member's pages to keep, and the outbox's replies (ODK Central's rule for replays)."""

import hashlib
import io
import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tests.clock import TODAY
from tests.conftest import fresh
from visits.models import Meeting, Visit

OUTBOX = {"HTTP_X_PORTAL_OUTBOX": "1", "HTTP_ACCEPT": "application/json"}


def jpeg(width=40, height=30, color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "JPEG")
    return out.getvalue()


def post_visit(client, meeting, token, **fields):
    data = {"meeting": meeting.pk, "client_token": token, "submit": "1", "findings": "Họp đủ"}
    data.update(fields)
    return client.post(f"{reverse('visit-create')}?meeting={meeting.pk}", data, **OUTBOX)


def test_the_worker_is_served_from_the_root_never_cached_and_versioned(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    assert 'const VERSION = "' in body and "/static/js/outbox.js" in body
    assert "HX-Request" in body  # partial answers are never kept


def test_the_manifest_makes_the_portal_installable(client):
    manifest = json.loads(client.get("/manifest.webmanifest").content)
    assert manifest["start_url"] == reverse("my-work") and manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_the_session_probe_gives_a_token_or_sends_to_sign_in(client, people):
    assert client.get(reverse("offline-session"))["Location"].startswith(reverse("login"))
    client.force_login(people.district_a_secretary)
    answer = client.get(reverse("offline-session"))
    assert answer.json()["csrf"] and answer["Cache-Control"].startswith("max-age=0")


def test_the_pages_to_keep_are_the_members_own(client, oversight, tree):
    mine = Meeting.objects.create(cell=tree.cell_a, kind="regular", date=TODAY)
    theirs = Meeting.objects.create(cell=tree.cell_b, kind="regular", date=TODAY)
    client.force_login(oversight.district_member)
    urls = client.get(reverse("offline-pages")).json()["urls"]
    assert reverse("my-work") in urls
    assert f"{reverse('visit-create')}?meeting={mine.pk}" in urls
    assert reverse("meeting-detail", args=[mine.pk]) in urls
    assert all(f"meeting={theirs.pk}" not in url for url in urls)  # not their area
    assert all(f"meeting={oversight.meeting_a.pk}" not in url for url in urls)  # last month


def test_a_visit_from_the_outbox_is_acknowledged_by_its_client_id(client, oversight):
    client.force_login(oversight.district_member)
    token = str(uuid.uuid4())
    photo = SimpleUploadedFile("a.jpg", jpeg(), content_type="image/jpeg")
    response = post_visit(client, oversight.meeting_a, token, attachment=photo)
    assert response.status_code == 201
    receipt = response.json()
    visit = Visit.objects.get()
    assert receipt == {
        "client_id": token,
        "visit": visit.pk,
        "url": reverse("visit-detail", args=[visit.pk]),
        "status": "submitted",
    }
    assert str(visit.client_token) == token and visit.attachment


def test_a_replay_of_the_same_content_lands_once(client, oversight):
    client.force_login(oversight.district_member)
    token = str(uuid.uuid4())
    first = post_visit(
        client, oversight.meeting_a, token, attachment=SimpleUploadedFile("a.jpg", jpeg())
    )
    again = post_visit(
        client, oversight.meeting_a, token, attachment=SimpleUploadedFile("b.jpg", jpeg())
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["visit"] == first.json()["visit"] and Visit.objects.count() == 1


def test_the_same_client_id_with_other_content_is_a_conflict_naming_the_fields(client, oversight):
    client.force_login(oversight.district_member)
    token = str(uuid.uuid4())
    post_visit(client, oversight.meeting_a, token, attachment=SimpleUploadedFile("a.jpg", jpeg()))
    other = post_visit(
        client,
        oversight.meeting_a,
        token,
        findings="Nội dung khác",
        attachment=SimpleUploadedFile("a.jpg", jpeg(color=(0, 0, 200))),
    )
    assert other.status_code == 409
    fields = other.json()["errors"]["fields"]
    assert fields == ["Nhận xét, tình hình nắm được", "Ảnh hoặc biên bản"]
    assert Visit.objects.get().findings == "Họp đủ"
    stored = Visit.objects.get().attachment.read()
    assert hashlib.sha256(stored).hexdigest() == hashlib.sha256(jpeg()).hexdigest()


def test_a_refusal_carries_the_reasons_by_field(client, oversight):
    client.force_login(oversight.district_member)
    token = str(uuid.uuid4())
    response = post_visit(client, oversight.meeting_a, token, members_present="-3")
    assert response.status_code == 400
    body = response.json()
    assert body["client_id"] == token and "Đảng viên có mặt" in body["errors"]
    assert not Visit.objects.exists()


def test_a_meeting_already_logged_from_another_phone_is_refused(client, oversight):
    client.force_login(oversight.district_member)
    post_visit(client, oversight.meeting_a, str(uuid.uuid4()))
    second = post_visit(client, oversight.meeting_a, str(uuid.uuid4()))
    assert second.status_code == 409 and "đã ghi nhận" in second.json()["message"]
    assert Visit.objects.count() == 1


def test_an_expired_session_is_sent_to_sign_in_and_nothing_is_written(client, oversight):
    response = post_visit(client, oversight.meeting_a, str(uuid.uuid4()))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not Visit.objects.exists()


def test_the_form_posted_by_hand_still_redirects(client, oversight):
    """Without the outbox's header the form behaves as before: a redirect to the visit."""
    client.force_login(oversight.district_member)
    token = str(uuid.uuid4())
    url = f"{reverse('visit-create')}?meeting={oversight.meeting_a.pk}"
    data = {"meeting": oversight.meeting_a.pk, "client_token": token, "submit": "1"}
    first = client.post(url, data)
    again = client.post(url, data)
    visit = Visit.objects.get()
    assert first["Location"] == again["Location"] == reverse("visit-detail", args=[visit.pk])


@pytest.mark.parametrize("page", ["my-work", "visit-create"])
def test_member_pages_carry_the_outbox(client, oversight, page):
    client.force_login(fresh(oversight.district_member))
    query = {"meeting": oversight.meeting_a.pk} if page == "visit-create" else {}
    html = client.get(reverse(page), query).content.decode()
    assert "js/outbox.js" in html and 'rel="manifest"' in html
    if page == "visit-create":
        assert "data-outbox" in html
    else:
        assert 'data-testid="offline-keep"' in html and 'data-testid="outbox-send"' in html


def test_the_api_treats_a_client_id_sent_again_the_same_way(oversight):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(fresh(oversight.district_member))
    token = str(uuid.uuid4())
    body = {"client_id": token, "kind": "meeting", "meeting": oversight.meeting_a.pk,
            "findings": "Qua API"}  # fmt: skip
    first = api.post("/api/v1/visits/", body, format="json")
    again = api.post("/api/v1/visits/", body, format="json")
    other = api.post("/api/v1/visits/", {**body, "findings": "Khác"}, format="json")
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 409)
    assert first.json()["client_id"] == token and again.json()["id"] == first.json()["id"]
    assert list(other.json()["errors"]) == ["findings"]
    assert Visit.objects.count() == 1
