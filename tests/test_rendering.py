"""The pages render what their views read: no query runs while a template renders. A lazy
queryset in a template is a query on every request that the view's query counts never show,
and one more per row when it sits in a loop. The one exception is a form's choices from the
database, which Django's ``ModelChoiceField`` reads as the form renders, every time."""

import traceback

import pytest
from django.db import connection
from django.template import base as template_base

from tests.test_leaks import concrete
from tests.test_page_fuzz import PAGES, world  # noqa: F401 (a fixture)

ROLES = ["admin", "tinh.vp", "d01.bithu", "d01.uv", "c01.vp", "c01-01.bithu"]


def reading_form_choices() -> bool:
    return any(
        frame.filename.endswith("django/forms/models.py") and frame.name == "__iter__"
        for frame in traceback.extract_stack()
    )


@pytest.fixture
def no_query_while_rendering(monkeypatch):
    """Every template, included ones too, renders with the database refused."""
    rendering = template_base.Template.render

    def refuse(execute, sql, params, many, context):
        if reading_form_choices():
            return execute(sql, params, many, context)
        raise AssertionError(f"a query while a template rendered: {sql}")

    def render(self, context):
        with connection.execute_wrapper(refuse):
            return rendering(self, context)

    monkeypatch.setattr(template_base.Template, "render", render)


@pytest.mark.parametrize("role", ROLES)
def test_no_page_queries_while_its_template_renders(
    client,
    world,  # noqa: F811 (the fixture imported above)
    role,
    no_query_while_rendering,
):
    from accounts.models import User

    client.force_login(User.objects.get(username=role))
    failures, rendered = [], 0
    for pattern in PAGES:
        path, _names_object = concrete(pattern, world)
        try:
            response = client.get(path)
        except AssertionError as error:
            failures.append(f"{path}: {str(error)[:200]}")
            continue
        rendered += response.status_code == 200
    assert rendered > 20
    assert not failures, "\n".join(failures)


def test_a_visits_status_badge_and_choice_labels_follow_the_language():
    """Badges and labels are kept per status and language: after a Vietnamese page, an English
    one says "Accepted", and an unknown value shows as itself, as ``get_*_display`` does."""
    from django.template import engines
    from django.utils import translation

    from visits.models import Rating, Visit, VisitStatus

    page = engines["django"].from_string(
        '{% load portal visit_tags %}{% visit_status visit %}|{{ visit|label:"rating" }}'
    )
    expected = {
        VisitStatus.ACCEPTED: ("text-bg-success", "Đã duyệt", "Accepted"),
        VisitStatus.RETURNED: ("text-bg-danger", "Bị trả lại", "Returned"),
        VisitStatus.SUBMITTED: ("text-bg-warning", "Chờ duyệt", None),
        VisitStatus.DRAFT: ("text-bg-secondary", "Nháp", None),
    }
    for status, (colour, vietnamese, english) in expected.items():
        visit = Visit(status=status, rating=Rating.POOR)
        with translation.override("vi"):
            assert page.render({"visit": visit}) == (
                f'<span class="badge {colour}" data-testid="visit-status">{vietnamese}</span>|Kém'
            )
        with translation.override("en"):
            html = page.render({"visit": visit})
            assert html.endswith("|Poor") and vietnamese not in html
            if english:
                assert f">{english}</span>" in html
    with translation.override("vi"):
        assert page.render({"visit": Visit(status="lost<b>", rating="")}) == (
            '<span class="badge text-bg-secondary" data-testid="visit-status">lost&lt;b&gt;</span>|'
        )
