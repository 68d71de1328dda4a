"""Every page, as each role, on a 390 px phone, passes axe-core's WCAG 2.1 AA rules in Chromium.

axe-core comes from the npm registry (package.json, test only); it is evaluated in the page
through the browser's devtools protocol, which the portal's CSP does not govern, so the portal
itself still serves no inline script.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Error as PlaywrightError

from tests.test_browser import browser_context  # noqa: F401 (a fixture)
from tests.test_leaks import concrete
from tests.test_page_fuzz import PAGES, world  # noqa: F401 (a fixture)

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ROLES = ["admin", "tinh.vp", "d01.bithu", "d01.uv", "c01.vp", "c01-01.bithu", "d02.vp",
         "khong.chuc.vu", None]  # fmt: skip
# Pages that are not HTML, or that only redirect: nothing for axe to read.
NOT_PAGES = (
    "calendar/",
    "i18n/setlang/",
    "visits/<int:pk>/attachment/",
    "tasks/<int:pk>/decision/",
    "tasks/<int:pk>/evidence/",
)


@pytest.fixture
def axe_source(require_services) -> str:
    if not AXE.exists():
        assert not require_services, "axe-core is missing: run `npm ci` (package.json)"
        pytest.skip("axe-core is not installed")
    return AXE.read_text()


def session_cookie(username: str | None) -> list[dict]:
    if username is None:
        return []
    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return [{"name": settings.SESSION_COOKIE_NAME, "value": value, "url": "http://localhost"}]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("role", ROLES, ids=lambda role: role or "anonymous")
def test_every_page_passes_wcag_21_aa(live_server, world, axe_source, browser_context, role):  # noqa: F811
    browser_context.add_cookies([{**c, "url": live_server.url} for c in session_cookie(role)])
    page = browser_context.new_page()
    failures, checked = [], 0
    for pattern in PAGES:
        if pattern.startswith(NOT_PAGES):
            continue
        path, _names_object = concrete(pattern, world)
        try:
            response = page.goto(live_server.url + path)
        except PlaywrightError:  # an empty answer (405 to a GET of a form's target): no page
            continue
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        page.evaluate(axe_source)
        result = page.evaluate(
            "r => axe.run(document, {runOnly: {type: 'tag', values: r}})", WCAG_21_AA
        )
        checked += 1
        for violation in result["violations"]:
            targets = [" ".join(node["target"]) for node in violation["nodes"][:3]]
            failures.append(f"{path} → {violation['id']}: {violation['help']} {targets}")
    assert checked > 5
    assert not failures, "\n".join(failures)
