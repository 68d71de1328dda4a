"""Offline capture in Debian's Chromium: what a member writes without signal is never lost and
lands exactly once (the service worker, the outbox and the server's replay rule together).

Every row is created before the browser starts; the test body reads the database only to check
what landed (Django is told the browser's event loop is not an async context of its own).
"""

import io

import pytest
from django.contrib.sessions.models import Session
from PIL import Image

from accounts.sessions import SessionStore
from tests.clock import TODAY
from tests.test_browser import CHROMIUM, FLAGS, PHONE
from visits.models import Meeting, Visit

PASSWORD = "secret-pass-123"
MEMBER = "tinh.uv"  # assigned to Xã Thượng Lâm: both its cells


@pytest.fixture
def meetings(oversight, tree) -> list[Meeting]:
    """This month's meetings of the two cells the member oversees."""
    return [
        Meeting.objects.create(cell=cell, kind="regular", date=TODAY, place="Nhà văn hóa")
        for cell in (tree.cell_a, tree.cell_a_2)
    ]


@pytest.fixture
def photo(tmp_path) -> str:
    """A phone's photo: 3000 × 2000 px."""
    path = tmp_path / "anh-buoi-hop.png"
    Image.new("RGB", (3000, 2000), (30, 120, 60)).save(path)
    return str(path)


def sign_in(page, base: str, next_url: str = "/my/") -> None:
    page.goto(f"{base}/login/?next={next_url}")
    page.fill("#id_username", MEMBER)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{next_url}")


def until(page, expression: str, arg=None, seconds: float = 20) -> None:
    """Polls ``expression`` in the page (Playwright's wait_for_function evaluates strings,
    which the portal's CSP rightly refuses; evaluate goes through the devtools protocol)."""
    for _ in range(int(seconds * 10)):
        if page.evaluate(expression, arg):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"never true: {expression} ({arg})")


def controlled(page) -> None:
    until(page, "() => navigator.serviceWorker.controller !== null")


def keep_for_offline(page) -> None:
    before = page.get_by_test_id("offline-kept").inner_text()
    page.get_by_test_id("offline-keep").click()
    until(
        page, "b => document.querySelector('[data-testid=offline-kept]').textContent !== b", before
    )


def waiting(page, count: int) -> None:
    until(
        page,
        "n => (document.querySelector('[data-testid=outbox-count]') || {}).textContent === n",
        str(count),
    )


def item_state(page, state: str, index: int = 0) -> None:
    page.wait_for_selector(
        f"[data-testid=outbox-list] li:nth-child({index + 1})[data-state={state}]"
    )


def form_url(base: str, meeting: Meeting) -> str:
    return f"{base}/visits/new/?meeting={meeting.pk}"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_written_offline_survives_a_reload_and_a_restart_then_lands_once(
    live_server, meetings, photo, chromium, tmp_path
):
    base, profile = live_server.url, tmp_path / "profile"

    def launch():
        return chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=FLAGS, viewport=PHONE,
            service_workers="allow",
        )  # fmt: skip

    context = launch()
    page = context.new_page()
    sign_in(page, base)
    controlled(page)
    errors = context.new_cdp_session(page).send("Page.getInstallabilityErrors")
    assert errors["installabilityErrors"] == []  # a manifest, icons, a worker: installable
    keep_for_offline(page)

    context.set_offline(True)
    page.goto(form_url(base, meetings[0]))  # from the worker's cache
    page.fill("#id_findings", "Ghi ngoại tuyến ở nhà văn hóa")
    page.set_input_files("#id_attachment", photo)
    page.click("button[name=submit]")
    page.wait_for_url(f"{base}/my/")
    waiting(page, 1)
    item_state(page, "waiting")
    page.reload()
    waiting(page, 1)
    context.close()
    assert not Visit.objects.exists()

    context = launch()  # the browser restarts, still without signal
    context.set_offline(True)
    page = context.new_page()
    page.goto(f"{base}/my/")
    waiting(page, 1)
    context.set_offline(False)
    page.get_by_test_id("outbox-send").click()
    page.wait_for_selector("[data-testid=outbox-list] li[data-state=login], "
                           "[data-testid=outbox-list] li[data-state=sent]")  # fmt: skip
    if page.locator("[data-testid=outbox-list] li[data-state=login]").count():
        sign_in(page, base)  # the session did not outlive the browser
    item_state(page, "sent")
    waiting(page, 0)
    # Nothing waits now: signing out is allowed, and leaves no page or record on the phone.
    page.evaluate("() => document.querySelector('form[data-logout]').requestSubmit()")
    page.wait_for_url(f"{base}/login/**")
    left = page.evaluate(
        """async () => ({caches: await caches.keys(),
                         databases: (await indexedDB.databases()).map(d => d.name)})"""
    )
    assert "portal-pages" not in left["caches"] and "portal-outbox" not in left["databases"]
    context.close()
    visit = Visit.objects.get()
    assert visit.findings == "Ghi ngoại tuyến ở nhà văn hóa" and visit.status == "submitted"
    with Image.open(io.BytesIO(visit.attachment.read())) as stored:
        assert stored.format == "JPEG" and max(stored.size) == 1600


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_reply_lost_after_the_server_saved_still_ends_with_one_visit(
    live_server, meetings, chromium
):
    base = live_server.url
    browser = chromium.launch(executable_path=CHROMIUM, args=FLAGS)
    # No worker here, so that the page's own requests can be intercepted.
    context = browser.new_context(viewport=PHONE, service_workers="block")
    page = context.new_page()
    sign_in(page, base)
    lost: list[str] = []

    def lose_the_first_reply(route):
        if route.request.method == "POST" and not lost:
            route.fetch()  # reaches the server, which saves the visit
            lost.append(route.request.url)
            route.abort("connectionreset")  # and the phone never hears back
        else:
            route.continue_()

    page.route("**/visits/new/**", lose_the_first_reply)
    page.goto(form_url(base, meetings[0]))
    page.fill("#id_findings", "Sóng yếu giữa chừng")
    page.click("button[name=submit]")
    page.wait_for_url(f"{base}/my/")
    item_state(page, "sent")  # sent again with its client id: the server's replay rule
    browser.close()
    assert lost and Visit.objects.count() == 1
    assert Visit.objects.get().findings == "Sóng yếu giữa chừng"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_expired_session_keeps_the_item_until_signing_in_again(live_server, meetings, chromium):
    base = live_server.url
    browser = chromium.launch(executable_path=CHROMIUM, args=FLAGS)
    context = browser.new_context(viewport=PHONE, service_workers="block")
    page = context.new_page()
    sign_in(page, base)
    page.goto(form_url(base, meetings[0]))
    page.fill("#id_findings", "Viết lâu, phiên đã hết")
    for key in Session.objects.values_list("session_key", flat=True):
        SessionStore(key).delete()  # eight hours later: gone from the cache and the database
    page.click("button[name=submit]")
    page.wait_for_url(f"{base}/login/?next=/my/")  # "Việc của tôi" asks to sign in first
    kept = page.evaluate(
        """() => new Promise(resolve => {
            const open = indexedDB.open("portal-outbox", 1);
            open.onsuccess = () => {
                const read = open.result.transaction("items").objectStore("items").getAll();
                read.onsuccess = () => resolve(read.result.map(i => i.state));
            };
        })"""
    )
    assert kept == ["login"] and not Visit.objects.exists()
    page.fill("#id_username", MEMBER)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/my/")
    item_state(page, "sent")
    browser.close()
    assert Visit.objects.get().findings == "Viết lâu, phiên đã hết"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_refused_item_is_kept_with_its_reason_and_the_next_still_goes(
    live_server, meetings, chromium, tmp_path
):
    base = live_server.url
    context = chromium.launch_persistent_context(
        tmp_path / "profile", executable_path=CHROMIUM, args=FLAGS, viewport=PHONE,
        service_workers="allow",
    )  # fmt: skip
    page = context.new_page()
    sign_in(page, base)
    controlled(page)
    keep_for_offline(page)
    context.set_offline(True)
    page.goto(f"{base}/my/")  # the member's pages open without signal
    assert page.locator("h1").inner_text().startswith("Việc của tôi")
    page.goto(form_url(base, meetings[0]))
    assert meetings[0].cell.name in page.content()
    page.fill("#id_members_present", "-3")  # the portal will refuse this one
    page.click("button[name=submit]")
    page.wait_for_url(f"{base}/my/")
    page.goto(form_url(base, meetings[1]))
    page.fill("#id_findings", "Buổi thứ hai, đúng giờ")
    page.click("button[name=submit]")
    page.wait_for_url(f"{base}/my/")
    waiting(page, 2)
    messages: list[str] = []

    def answer(dialog) -> None:
        messages.append(dialog.message)
        dialog.accept()

    page.once("dialog", answer)
    # "Đăng xuất", as the folded phone menu's button sends it.
    page.evaluate("() => document.querySelector('form[data-logout]').requestSubmit()")
    for _ in range(50):
        if messages:
            break
        page.wait_for_timeout(100)
    assert messages and "chưa gửi" in messages[0]  # no signing out while items wait
    assert page.url == f"{base}/my/"

    context.set_offline(False)
    page.get_by_test_id("outbox-send").click()
    item_state(page, "refused", 0)
    item_state(page, "sent", 1)
    reason = page.locator("[data-testid=outbox-list] li:nth-child(1) [data-outbox-reason]")
    assert "Đảng viên có mặt" in reason.inner_text()
    waiting(page, 1)
    context.close()
    visit = Visit.objects.get()
    assert visit.meeting_id == meetings[1].pk


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_answer_that_does_not_name_the_item_does_not_complete_it(
    live_server, meetings, chromium
):
    """A village's Wi-Fi login page answers 200 to anything: the item is not done until the
    portal's own reply names its client id."""
    base = live_server.url
    browser = chromium.launch(executable_path=CHROMIUM, args=FLAGS)
    context = browser.new_context(viewport=PHONE, service_workers="block")
    page = context.new_page()
    sign_in(page, base)

    def captive_portal(route):
        if route.request.method == "POST":
            route.fulfill(status=200, content_type="text/html", body="<p>Đăng nhập Wi-Fi</p>")
        else:
            route.continue_()

    page.route("**/visits/new/**", captive_portal)
    page.goto(form_url(base, meetings[0]))
    page.fill("#id_findings", "Qua mạng của nhà văn hóa")
    page.click("button[name=submit]")
    page.wait_for_url(f"{base}/my/")
    item_state(page, "waiting")
    assert not Visit.objects.exists()
    page.unroute("**/visits/new/**")
    page.get_by_test_id("outbox-send").click()
    item_state(page, "sent")
    browser.close()
    assert Visit.objects.count() == 1
