"""Login, home, the unit browser and the tenant switcher, as a person uses them."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from oversight.models import Level, Unit
from tests.conftest import fresh
from tests.factories import PositionFactory, UnitFactory, UserFactory


def test_login_page_speaks_vietnamese_and_english_on_request(client, db):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US")
    assert response.status_code == 200
    assert "Đăng nhập" in response.text
    assert 'href="/static/bootstrap/css/bootstrap.min.css"' in response.text
    client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    assert "Log in" in client.get(reverse("login")).text


def test_login_with_good_and_bad_password(client, people):
    response = client.post(reverse("login"), {"username": "d01.bithu", "password": "wrong"})
    assert response.status_code == 200 and "Đăng nhập" in response.text
    response = client.post(
        reverse("login"), {"username": "d01.bithu", "password": "secret-pass-123"}
    )
    assert response.status_code == 302 and response.url == reverse("home")


def test_pages_need_login(client, tree):
    for url in [reverse("home"), reverse("unit-roots"), reverse("unit-detail", args=["C01"])]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_home_shows_tenant_and_coverage(client, people):
    client.force_login(people.district_a_secretary)
    response = client.get(reverse("home"))  # its query counts: test_home.py
    assert "Huyện Lâm Bình" in response.text
    coverage = dict((label, count) for label, count in response.context["coverage"])
    assert coverage == {"Tỉnh": 0, "Huyện": 1, "Xã": 2, "Chi bộ": 2}


def test_unit_browser_drills_down_within_scope(client, people):
    client.force_login(people.district_a_secretary)
    roots = client.get(reverse("unit-roots"))
    assert [u.code for u in roots.context["roots"]] == ["D01"]
    district = client.get(reverse("unit-detail", args=["D01"]))
    assert [u.code for u in district.context["page"]] == ["C01", "C03"]
    commune = client.get(reverse("unit-detail", args=["C01"]))
    assert [u.code for u in commune.context["ancestors"]] == ["D01"]
    assert "Tỉnh Thử Nghiệm" not in commune.text  # the province is above this scope
    assert [u.code for u in commune.context["page"]] == ["C01-01", "C01-02"]


@pytest.mark.parametrize(
    ("username", "code"),
    [
        ("d01.bithu", "C02"),
        ("d01.bithu", "P01"),
        ("d02.vp", "C01-01"),
        ("c01.vp", "C03"),
        ("c01-01.bithu", "C01-02"),
        ("khong.chuc.vu", "C01"),
        ("d01.bithu", "NO-SUCH"),
    ],
)
def test_out_of_scope_units_answer_404(client, people, username, code):
    client.force_login(fresh(people.admin).__class__.objects.get(username=username))
    response = client.get(reverse("unit-detail", args=[code]))
    assert response.status_code == 404
    assert "Xã Sơn Phú" not in response.text


def grow(tree, districts: int) -> None:
    for n in range(districts):
        district = UnitFactory(code=f"DX{n}", level=Level.DISTRICT, parent=tree.district_a.parent)
        for m in range(3):
            UnitFactory(code=f"CX{n}-{m}", level=Level.COMMUNE, parent=district)
    for m in range(20):
        UnitFactory(code=f"C01-X{m}", level=Level.CELL, parent=tree.commune_a)


@pytest.mark.parametrize("extra", [0, 15])
def test_unit_browser_query_counts_stay_flat(
    client, people, tree, extra, django_assert_max_num_queries
):
    grow(tree, extra)
    client.force_login(people.province_office)
    for url in [
        reverse("unit-roots"),
        reverse("unit-detail", args=["P01"]),
        reverse("unit-detail", args=["C01"]),
        reverse("unit-search") + "?q=xa",
    ]:
        # 17: a unit page also reads its lineage (where it came from, where it went).
        with django_assert_max_num_queries(17):
            assert client.get(url).status_code == 200


def test_search_ignores_diacritics_and_scope(client, people):
    client.force_login(people.district_a_secretary)
    response = client.get(reverse("unit-search"), {"q": "thuong lam"})
    assert [u.code for u in response.context["results"]] == ["C01"]
    response = client.get(reverse("unit-search"), {"q": "son phu"})
    assert list(response.context["results"]) == []
    partial = client.get(reverse("unit-search"), {"q": "na mo"}, HTTP_HX_REQUEST="true")
    assert "Chi bộ thôn Nà Mô" in partial.text and "<html" not in partial.text


def test_children_are_paged(client, people, tree):
    for m in range(105):
        UnitFactory(code=f"C01-P{m:03d}", level=Level.CELL, parent=tree.commune_a)
    client.force_login(people.commune_a_staff)
    first = client.get(reverse("unit-detail", args=["C01"]))
    assert len(first.context["page"]) == 100
    second = client.get(reverse("unit-detail", args=["C01"]), {"page": 2})
    assert len(second.context["page"]) == 7


def test_tenant_switcher_changes_the_scope(client, people, tree):
    user = people.district_a_secretary
    PositionFactory(user=user, unit=tree.province, role=Role.EXECUTIVE_MEMBER)
    client.force_login(user)
    page = client.get(reverse("switch-tenant"))
    assert [t.code for t in page.context["tenants"]] == ["P01", "D01"]
    # The highest unit is the default tenant.
    assert client.get(reverse("unit-detail", args=["C02"])).status_code == 200

    response = client.post(reverse("switch-tenant"), {"unit": "D01", "next": "/units/"})
    assert response.status_code == 302 and response.url == "/units/"
    assert fresh(user).current_tenant.code == "D01"
    assert client.get(reverse("unit-detail", args=["C02"])).status_code == 404
    assert "Huyện Lâm Bình" in client.get(reverse("home")).text


def test_the_kept_menu_is_each_persons_own(client, people, tree, settings):
    """The menu is rendered once per language and set of rights, and kept (templates/base.html):
    people alike but for one thing, one after the other, each see their own menu."""
    staff = UserFactory(username="d01.vp.quantri", is_staff=True)
    PositionFactory(user=staff, unit=tree.district_a, role=Role.OFFICE_STAFF)
    two_units = UserFactory(username="d01.vp.haidonvi")
    PositionFactory(user=two_units, unit=tree.district_a, role=Role.OFFICE_STAFF)
    PositionFactory(user=two_units, unit=tree.district_b, role=Role.OFFICE_STAFF)
    admin_link, switch = (
        f'class="nav-link" href="{reverse(name)}"' for name in ("admin:index", "switch-tenant")
    )

    def menu(person, language="vi"):
        client.force_login(person)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        return client.get(reverse("reminder-settings")).text

    assert admin_link in menu(staff) and switch not in menu(staff)
    assert admin_link not in menu(people.district_b_office)
    assert switch in menu(two_units) and switch not in menu(people.district_b_office)
    assert "Việc của tôi" in menu(staff) and "My work" not in menu(staff)
    assert "My work" in menu(staff, "en") and "Việc của tôi" not in menu(staff, "en")


def test_tenant_switcher_refuses_units_without_a_position(client, people):
    client.force_login(people.district_a_secretary)
    response = client.post(reverse("switch-tenant"), {"unit": "D02"})
    assert response.status_code == 400
    assert "D02" in response.text
    assert fresh(people.district_a_secretary).current_tenant is None
    response = client.post(
        reverse("switch-tenant"), {"unit": "D01", "next": "https://evil.example/"}
    )
    assert response.url == reverse("home")


def test_stale_tenant_choice_falls_back_to_a_held_position(people, tree):
    user = fresh(people.district_a_secretary)
    user.current_tenant = tree.district_b  # e.g. a position that has since ended
    user.save()
    assert fresh(user).working_tenant() == tree.district_a
    assert not Unit.objects.visible_to(fresh(user)).filter(code="C02").exists()


def test_nul_characters_are_refused_on_pages_too(client, people, oversight):
    from visits.models import Visit
    from visits.services import do_save_visit

    client.force_login(people.district_a_secretary)
    assert client.get(reverse("unit-search"), {"q": "a\x00b"}).status_code == 400
    visit = do_save_visit(
        fresh(oversight.district_member),
        Visit(member=oversight.district_member, logged_by=oversight.district_member,
              kind="meeting", meeting=oversight.meeting_a),
        submit=True,
    )  # fmt: skip
    client.force_login(people.commune_a_staff)
    response = client.post(
        reverse("visit-review", args=[visit.pk]), {"action": "return", "review_comment": "x\x00"}
    )
    assert response.status_code == 400
    assert Visit.objects.get(pk=visit.pk).status == "submitted"
