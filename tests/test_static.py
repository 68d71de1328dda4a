"""Static files as production (and `make run`) serve them: hashed names, compressed, cached for
good, every one from the portal itself; a member's first load of "Việc của tôi" stays light."""

import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

FIRST_LOAD_BUDGET = 120 * 1024  # bytes on the wire, the page and what it loads


@pytest.fixture
def collected(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.WHITENOISE_USE_FINDERS = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    return tmp_path


def test_a_members_first_load_is_compressed_cached_and_light(collected, oversight):
    client = Client()  # a new handler: WhiteNoise reads the collected files afresh
    client.force_login(oversight.district_member)
    page = client.get(reverse("my-work"))
    assert page.status_code == 200
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text)
    assert assets and all(re.search(r"\.[0-9a-f]{12}\.\w+$", a) for a in assets), assets
    total = len(page.content)
    for asset in assets:
        response = client.get(asset, HTTP_ACCEPT_ENCODING="gzip, br")
        assert response.status_code == 200, asset
        body = b"".join(response.streaming_content)
        total += len(body)
        assert "immutable" in response["Cache-Control"], asset
        max_age = re.search(r"max-age=(\d+)", response["Cache-Control"])
        assert max_age and int(max_age[1]) >= 365 * 86400, asset
        if asset.endswith((".css", ".js", ".svg")):
            assert response.get("Content-Encoding") in ("gzip", "br"), asset
    assert total < FIRST_LOAD_BUDGET, total
