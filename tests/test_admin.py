"""The Django admin: every model's pages open; the unit import previews and refuses."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from oversight.models import Unit

HEADER = "code,name,level,division_type,parent_code\n"


def upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("units.csv", text.encode("utf-8"), content_type="text/csv")


def import_form(client, text: str):
    return client.post(
        reverse("admin:oversight_unit_import"),
        {"import_file": upload(text), "format": "0", "resource": "0"},
    )


def test_every_registered_model_has_working_admin_pages(admin_client, people):
    for model in apps.get_models():
        if model not in admin.site._registry:
            continue
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert admin_client.get(changelist).status_code == 200, changelist
        add = reverse(f"admin:{meta.app_label}_{meta.model_name}_add")
        addable = admin.site._registry[model].has_add_permission(admin_client.get(add).wsgi_request)
        assert admin_client.get(add).status_code == (200 if addable else 403), add
        obj = model.objects.first()
        if obj is not None:
            change = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
            assert admin_client.get(change).status_code == 200, change


def test_admin_import_previews_then_confirms(admin_client, db):
    text = HEADER + "P99,Tỉnh Thử,province,tỉnh,\nD99,Huyện Thử,district,huyện,P99\n"
    preview = import_form(admin_client, text)
    assert preview.status_code == 200
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert [row.import_type for row in result.rows] == ["new", "new"]
    assert not Unit.objects.exists()  # a preview writes nothing

    confirm = preview.context["confirm_form"]
    response = admin_client.post(
        reverse("admin:oversight_unit_process_import"), confirm.initial, follow=True
    )
    assert response.status_code == 200
    assert Unit.objects.get(code="D99").path == "P99/D99/"


def test_admin_import_refuses_bad_rows_with_reasons_and_writes_nothing(admin_client, db):
    text = HEADER + "P99,Tỉnh Thử,province,tỉnh,\nD99,Huyện Thử,district,huyện,P404\n"
    preview = import_form(admin_client, text)
    result = preview.context["result"]
    assert result.has_validation_errors()
    assert "confirm_form" not in preview.context or preview.context["confirm_form"] is None
    assert "Dòng 3" in preview.text and "P404" in preview.text
    assert not Unit.objects.exists()


def test_admin_changelist_is_scoped_for_office_staff(client, people):
    people.district_b_office.is_staff = True
    people.district_b_office.save()
    client.force_login(people.district_b_office)
    response = client.get(reverse("admin:oversight_unit_changelist"))
    assert response.status_code == 200
    codes = [unit.code for unit in response.context["cl"].result_list]
    assert codes == ["D02", "C02", "C02-01"]  # in tree order
    assert "— — Chi bộ thôn Khuổi Lừa" in response.text
    other = Unit.objects.get(code="C01")
    response = client.get(reverse("admin:oversight_unit_change", args=[other.pk]))
    assert response.status_code == 302  # the admin's answer for an object it cannot find


@pytest.mark.parametrize("username", ["d02.vp"])
def test_import_needs_the_add_permission(client, people, username):
    people.district_b_office.is_staff = True
    people.district_b_office.save()
    people.district_b_office.groups.clear()
    client.force_login(people.district_b_office)
    response = client.get(reverse("admin:oversight_unit_import"))
    assert response.status_code == 403


def test_admin_import_refuses_rows_outside_the_importers_scope(client, people):
    office = people.district_b_office
    office.is_staff = True
    office.save()
    client.force_login(office)
    text = HEADER + "C02-09,Chi bộ mới,cell,chi bộ,C02\nC01-09,Chi bộ lạ,cell,chi bộ,C01\n"
    preview = import_form(client, text)
    result = preview.context["result"]
    assert [row.import_type for row in result.rows] == ["new", "invalid"]
    assert "C01-09" in preview.text and "ngoài phạm vi" in preview.text
    assert not Unit.objects.filter(code__in=["C01-09", "C02-09"]).exists()
