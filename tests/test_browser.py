"""In a real browser (Debian's Chromium, headless): log in, see one's own tree, switch tenant."""

import datetime

import pytest

from accounts.roles import Role
from tests.clock import TODAY
from tests.conftest import CHROMIUM
from tests.factories import PositionFactory
from visits.models import Meeting

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def browser_context(chromium):
    browser = chromium.launch(executable_path=CHROMIUM, args=FLAGS)
    yield browser.new_context(viewport=PHONE)
    browser.close()


@pytest.fixture
def browser_page(browser_context):
    return browser_context.new_page()


@pytest.fixture
def member_of_two_committees(people, tree):
    """The district secretary who also sits on the provincial committee."""
    PositionFactory(
        user=people.district_a_secretary, unit=tree.province, role=Role.EXECUTIVE_MEMBER
    )
    return people.district_a_secretary


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_member_logs_in_browses_own_subtree_and_switches_tenant(
    live_server, member_of_two_committees, browser_page
):
    # Every row exists before the browser starts: the test body itself touches no ORM.
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    assert page.locator("h1").inner_text() == "Đăng nhập"
    page.fill("#id_username", "d01.bithu")
    page.fill("#id_password", "secret-pass-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    # The highest position is the default tenant: the province.
    assert page.get_by_test_id("working-tenant").inner_text() == "Tỉnh Thử Nghiệm"

    page.goto(f"{live_server.url}/tenant/")
    page.click("button[value=D01]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_test_id("working-tenant").inner_text() == "Huyện Lâm Bình"

    page.goto(f"{live_server.url}/units/")
    page.locator(".list-group-item", has_text="Huyện Lâm Bình").click()
    page.locator(".list-group-item", has_text="Xã Thượng Lâm").click()
    # Until the page has loaded, htmx is not listening to the search box yet.
    page.wait_for_url(f"{live_server.url}/units/C01/", wait_until="load")
    assert page.locator(".list-group-item", has_text="Chi bộ thôn Nà Mô").is_visible()

    page.fill("input[type=search]", "son phu")  # another district: nothing found
    page.wait_for_selector("#search-results >> text=Không tìm thấy")
    page.fill("input[type=search]", "khuon ha")
    page.wait_for_selector("#search-results >> text=Xã Khuôn Hà")

    # Bootstrap and htmx came from the portal itself, and they run.
    assert page.evaluate("typeof htmx") == "object"
    assert page.evaluate("typeof bootstrap") == "object"

    response = page.goto(f"{live_server.url}/units/C02/")
    assert response is not None and response.status == 404
    assert "Không tìm thấy trang" in page.content()


@pytest.fixture
def meeting_today(oversight, tree):
    """A regular meeting of cell C01-01 held today, in the district member's area."""
    today = TODAY
    return Meeting.objects.create(cell=tree.cell_a, kind="regular", date=today, place="Nhà văn hóa")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_member_logs_a_meeting_staff_accepts_member_sees_it(
    live_server, oversight, meeting_today, browser_context
):
    member = browser_context.new_page()
    member.goto(f"{live_server.url}/login/?next=/my/")
    member.fill("#id_username", "d01.uv")
    member.fill("#id_password", "secret-pass-123")
    member.click("button[type=submit]")
    member.wait_for_url(f"{live_server.url}/my/")

    member.get_by_test_id("log-C01-01").click()  # tap 1
    member.fill("#id_findings", "Chi bộ sinh hoạt đúng giờ, 18/20 đảng viên dự, thảo luận sôi nổi.")
    member.click("button[name=submit]")  # tap 2
    member.wait_for_selector("[data-testid=visit-status]")
    assert member.get_by_test_id("visit-status").inner_text() == "Chờ duyệt"

    staff = browser_context.browser.new_context(viewport=PHONE).new_page()
    staff.goto(f"{live_server.url}/login/?next=/review/")
    staff.fill("#id_username", "c01.vp")
    staff.fill("#id_password", "secret-pass-123")
    staff.click("button[type=submit]")
    staff.wait_for_url(f"{live_server.url}/review/")
    staff.locator("label.list-group-item", has_text="Chi bộ thôn Nà Mô").locator("input").check()
    staff.get_by_test_id("accept-selected").click()
    staff.wait_for_selector("text=Đã duyệt 1 bản ghi")

    member.goto(f"{live_server.url}/my/")
    row = member.get_by_test_id("meetings").locator(
        ".list-group-item", has_text="Chi bộ thôn Nà Mô"
    )
    assert row.get_by_test_id("visit-status").inner_text() == "Đã duyệt"


@pytest.fixture
def logged_visit(oversight):
    """The district member's visit to last month's meeting of cell C01-01, sent for review."""
    from tests.conftest import fresh
    from visits.models import Visit
    from visits.services import do_save_visit

    member = oversight.district_member
    visit = Visit(member=member, logged_by=member, kind="meeting", meeting=oversight.meeting_a)
    return do_save_visit(fresh(member), visit, submit=True)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_staff_opens_compliance_drills_down_and_downloads(
    live_server, oversight, logged_visit, browser_page, tmp_path
):
    page = browser_page
    month = oversight.month.strftime("%Y-%m")
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "d01.bithu")
    page.fill("#id_password", "secret-pass-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/reports/compliance/?start={month}&end={month}")
    row = page.get_by_test_id("compliance-table").locator(
        "tr", has_text=oversight.district_member.full_name
    )
    row.get_by_test_id("member-total").click()
    page.wait_for_selector("[data-testid=visit-list]")
    page.get_by_test_id("visit-list").locator("a").first.click()
    page.wait_for_selector("[data-testid=visit-status]")
    assert page.get_by_test_id("visit-status").inner_text() == "Chờ duyệt"

    page.goto(f"{live_server.url}/reports/compliance/?start={month}&end={month}")
    with page.expect_download() as caught:
        page.get_by_test_id("export-xlsx").click()
    path = tmp_path / caught.value.suggested_filename
    caught.value.save_as(path)
    from openpyxl import load_workbook

    sheet = load_workbook(path).active
    assert sheet.cell(row=1, column=1).value == "Cấp ủy viên"
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert oversight.district_member.full_name in names


@pytest.fixture
def approved_task(people, tree):
    from assignments.models import BreakthroughTask, TaskStatus

    return BreakthroughTask.objects.create(
        title="Xóa bỏ lò gạch thủ công",
        kind="commissioned",
        cadre=people.district_a_secretary,
        owner_unit=tree.district_a,
        year=TODAY.year,
        deadline=TODAY + datetime.timedelta(days=30),
        expected_result="Không còn lò gạch thủ công",
        status=TaskStatus.APPROVED,
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_cadre_reports_progress_and_the_office_evaluates(
    live_server, approved_task, browser_context
):
    cadre = browser_context.new_page()
    cadre.goto(f"{live_server.url}/login/?next=/tasks/mine/")
    cadre.fill("#id_username", "d01.bithu")
    cadre.fill("#id_password", "secret-pass-123")
    cadre.click("button[type=submit]")
    cadre.wait_for_url(f"{live_server.url}/tasks/mine/")
    cadre.get_by_test_id("task-list").locator("a", has_text="Xóa bỏ lò gạch").click()
    cadre.fill("#percent", "60")
    cadre.fill("#narrative", "Đã đóng 59 trên 98 lò")
    cadre.get_by_test_id("report-progress").click()
    cadre.wait_for_selector("text=Đã đóng 59 trên 98 lò")
    assert cadre.get_by_test_id("task-status").inner_text() == "Đang thực hiện"

    office = browser_context.browser.new_context(viewport=PHONE).new_page()
    office.goto(f"{live_server.url}/login/?next=/tasks/{approved_task.pk}/")
    office.fill("#id_username", "tinh.vp")
    office.fill("#id_password", "secret-pass-123")
    office.click("button[type=submit]")
    office.wait_for_url(f"{live_server.url}/tasks/{approved_task.pk}/")
    assert "Đã đóng 59 trên 98 lò" in office.get_by_test_id("timeline").inner_text()
    office.select_option("select[name=result]", "completed")
    office.fill("textarea[name=comment]", "Hoàn thành theo sản phẩm")
    office.get_by_test_id("evaluate").click()
    office.wait_for_selector("[data-testid=task-result]")
    assert "Hoàn thành" in office.get_by_test_id("task-result").inner_text()
    assert office.get_by_test_id("task-status").inner_text() == "Hoàn thành"


def csp_violations(page) -> list[str]:
    """The Content Security Policy violations Chromium reports on ``page`` from now on."""
    found: list[str] = []
    page.on(
        "console",
        lambda message: (
            found.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return found


@pytest.fixture
def second_factor_required(settings, people, oversight):
    settings.TWO_FACTOR_REQUIRED = True
    return people.province_office


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_office_sets_up_its_second_factor_and_no_page_breaks_the_csp(
    live_server, second_factor_required, browser_page
):
    """The provincial office signs in, must set up its authenticator first (the test reads the
    secret off the page as a phone would scan it), then walks the main pages: the browser
    reports no Content Security Policy violation on any of them."""
    from base64 import b32decode

    from django_otp.oath import totp

    page = browser_page
    violations = csp_violations(page)
    page.goto(f"{live_server.url}/login/?next=/review/")
    page.fill("#id_username", "tinh.vp")
    page.fill("#id_password", "secret-pass-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/account/two-factor/**")
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.fill("#id_code", f"{totp(b32decode(secret)):06d}")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/review/")
    for path in ["/", "/units/", "/units/P01/", "/my/", "/reports/compliance/",
                 "/reports/coverage/", "/reports/quality/", "/tasks/", "/visits/",
                 "/imports/assignments/", "/api/docs/"]:  # fmt: skip
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        assert "Xác thực hai lớp" not in page.title(), path
    assert violations == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_admin_breaks_no_csp_either(live_server, people, oversight, browser_page):
    page = browser_page
    violations = csp_violations(page)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "secret-pass-123")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    for path in ["/admin/visits/visit/", "/admin/visits/visit/add/", "/admin/accounts/user/",
                 f"/admin/accounts/user/{people.commune_a_staff.pk}/change/",
                 "/admin/oversight/unit/"]:  # fmt: skip
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        assert page.locator("#content").count() == 1, path
    assert violations == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_office_walks_a_reorganisation_from_dry_run_to_confirm(
    live_server, oversight, browser_page, tmp_path
):
    """The province's office uploads the new tree and the crosswalk, reads the dry run, places
    a cell of the split commune by hand, confirms, and finds the lineage on the unit page."""
    from tests.test_reform import CROSSWALK, TREE

    (tmp_path / "cay-moi.csv").write_text(TREE, encoding="utf-8")
    (tmp_path / "chuyen-doi.csv").write_text(CROSSWALK, encoding="utf-8")
    page = browser_page
    page.goto(f"{live_server.url}/login/?next=/reorganisations/")
    page.fill("#id_username", "tinh.vp")
    page.fill("#id_password", "secret-pass-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/reorganisations/")
    page.fill("#id_effective_date", "01/07/2026")
    page.fill("#id_basis_number", "99/NQ-UBTVQH15")
    page.fill("#id_basis_date", "17/06/2026")
    page.set_input_files("#id_tree", str(tmp_path / "cay-moi.csv"))
    page.set_input_files("#id_crosswalk", str(tmp_path / "chuyen-doi.csv"))
    page.get_by_test_id("upload-plan").click()
    page.wait_for_selector("[data-testid=plan-totals]")
    totals = page.get_by_test_id("plan-totals")
    assert totals.locator("[data-total=created]").inner_text() == "3"
    assert totals.locator("[data-total=cells_moved]").inner_text() == "3"
    assert totals.locator("[data-total=districts_dissolved]").inner_text() == "2"
    assert page.get_by_test_id("plan-status").inner_text() == "Chưa áp dụng"
    # The split commune's cell goes to its primary part unless placed elsewhere.
    page.select_option("#place-C02-01", "C05")
    page.get_by_test_id("save-choices").click()
    page.wait_for_selector("text=Đã lưu lựa chọn")
    assert page.locator("#place-C02-01").input_value() == "C05"
    page.get_by_test_id("apply-plan").click()
    page.wait_for_selector("text=Đã áp dụng phương án")
    assert page.get_by_test_id("plan-status").inner_text() == "Đã áp dụng"
    assert page.get_by_test_id("apply-plan").count() == 0  # nothing left to confirm

    page.goto(f"{live_server.url}/units/C05/")
    came_from = page.get_by_test_id("came-from").inner_text()
    assert "Xã Sơn Phú" in came_from and "Chia tách" in came_from
    assert page.locator(".unit-row", has_text="Chi bộ thôn Khuổi Lừa").is_visible()
    page.goto(f"{live_server.url}/units/C01/?on=2026-06-30")
    assert "Xã Thượng Lâm" in page.locator("h1").inner_text()
    assert "Xã Lâm Bình" in page.get_by_test_id("went-to").inner_text()
