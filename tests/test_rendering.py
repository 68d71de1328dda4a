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
