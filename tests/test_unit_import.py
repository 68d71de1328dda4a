"""The unit importer: both shapes of the official lists, every refusal, nothing half-written."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from oversight.importing import UnitImportError, import_units, read_unit_file
from oversight.models import Level, Unit
from tests.factories import UnitFactory

SEED = Path(settings.BASE_DIR) / "seeds" / "tuyen-quang-3-level.csv"
HEADER = "code,name,level,division_type,parent_code\n"


def write(tmp_path: Path, text: str, name: str = "units.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def refused(path: Path) -> UnitImportError:
    with pytest.raises(UnitImportError) as caught:
        import_units(read_unit_file(path))
    return caught.value


def two_level_text() -> str:
    """Tuyên Quang reshaped as after July 2025: communes straight under the province."""
    lines = SEED.read_text(encoding="utf-8").splitlines()[1:]
    out = [HEADER.strip()]
    for line in lines:
        code, name, level, division_type, parent = line.split(",")
        if level == "district":
            continue
        out.append(",".join([code, name, level, division_type, "P08" if parent else ""]))
    return "\n".join(out) + "\n"


@pytest.mark.django_db
def test_three_level_file_imports_with_paths():
    report = import_units(read_unit_file(SEED))
    assert (report.created, report.updated, report.unchanged) == (145, 0, 0)
    assert Unit.objects.filter(level=Level.DISTRICT).count() == 7
    assert Unit.objects.filter(level=Level.COMMUNE).count() == 137
    commune = Unit.objects.get(code="C02215")
    assert commune.parent.level == Level.DISTRICT
    assert commune.path == f"P08/{commune.parent.code}/C02215/"
    assert Unit.objects.get(code="D071").search_name == "huyen lam binh"
    province = Unit.objects.get(code="P08")
    assert Unit.objects.subtree_of(province).count() == 145


@pytest.mark.django_db
def test_two_level_file_imports_communes_under_province(tmp_path):
    report = import_units(read_unit_file(write(tmp_path, two_level_text())))
    assert (report.created, report.updated) == (138, 0)
    commune = Unit.objects.get(code="C02215")
    assert commune.parent.code == "P08"
    assert commune.path == "P08/C02215/"
    assert not Unit.objects.filter(level=Level.DISTRICT).exists()


@pytest.mark.django_db
def test_reimport_of_unchanged_file_writes_nothing(django_assert_max_num_queries):
    import_units(read_unit_file(SEED))
    rows = read_unit_file(SEED)
    with django_assert_max_num_queries(1):
        report = import_units(rows)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 145)


def seed_with_one_cell() -> Unit:
    """Tuyên Quang imported, plus one cell under commune C02215 (cells are not in the list)."""
    import_units(read_unit_file(SEED))
    return UnitFactory(code="C02215-01", level=Level.CELL, parent=Unit.objects.get(code="C02215"))


@pytest.mark.django_db
def test_reimport_updates_names_and_moves_subtrees(tmp_path):
    cell = seed_with_one_cell()
    old_district = cell.parent.parent.code
    new_district = "D071" if old_district != "D071" else "D072"
    text = HEADER + f"C02215,Xã Đổi Tên,commune,xã,{new_district}\n"
    report = import_units(read_unit_file(write(tmp_path, text)))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    cell.refresh_from_db()
    assert cell.parent.name == "Xã Đổi Tên"
    assert cell.path == f"P08/{new_district}/C02215/C02215-01/"


@pytest.mark.django_db
def test_utf8_with_bom_and_xlsx_both_read(tmp_path):
    bom = write(tmp_path, "\ufeff" + HEADER + "P99,Tỉnh Thử,province,tỉnh,\n")
    assert import_units(read_unit_file(bom)).created == 1

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["code", "name", "level", "division_type", "parent_code"])
    sheet.append(["D99", "Huyện Thử", "district", "huyện", "P99"])
    sheet.append(["C99", "Xã Thử", "commune", "xã", "D99"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    xlsx = tmp_path / "units.xlsx"
    xlsx.write_bytes(buffer.getvalue())
    assert import_units(read_unit_file(xlsx)).created == 2
    assert Unit.objects.get(code="C99").path == "P99/D99/C99/"


@pytest.mark.django_db
def test_dry_run_reports_and_writes_nothing():
    report = import_units(read_unit_file(SEED), dry_run=True)
    assert report.dry_run and report.created == 145
    assert not Unit.objects.exists()


BAD_FILES = {
    "unknown parent": (
        HEADER + "P99,Tỉnh Thử,province,tỉnh,\nD99,Huyện Thử,district,huyện,P404\n",
        ["Dòng 3", "parent_code", "P404", "Row 3", "no parent unit"],
    ),
    "duplicate code": (
        HEADER + "P99,Tỉnh Thử,province,tỉnh,\nP99,Tỉnh Khác,province,tỉnh,\n",
        ["Dòng 3", "code", "P99", "trùng với dòng 2", "repeats row 2"],
    ),
    "unknown level": (
        HEADER + "P99,Tỉnh Thử,province,tỉnh,\nD99,Huyện Thử,county,huyện,P99\n",
        ["Dòng 3", "level", "county", "unknown level"],
    ),
    "parent at a wrong level": (
        HEADER
        + "P99,Tỉnh Thử,province,tỉnh,\nC99,Xã Thử,commune,xã,P99\n"
        + "D99,Huyện Thử,district,huyện,C99\n",
        ["Dòng 4", "parent_code", "C99", "commune", "Row 4"],
    ),
    "cycle": (
        HEADER + "P99,Tỉnh Thử,province,tỉnh,\nC97,Xã A,commune,xã,C98\nC98,Xã B,commune,xã,C97\n",
        ["Dòng 3", "C97 → C98 → C97", "cycle"],
    ),
    "missing column": (
        "code,name,level,parent_code\nP99,Tỉnh Thử,province,\n",
        ["Dòng 1", "division_type", "missing column"],
    ),
    "non-province without parent": (
        HEADER + "D99,Huyện Thử,district,huyện,\n",
        ["Dòng 2", "parent_code", "district", "needs a parent"],
    ),
    "bad code": (
        HEADER + "P 99,Tỉnh Thử,province,tỉnh,\n",
        ["Dòng 2", "code", "P 99", "invalid"],
    ),
    "empty name": (
        HEADER + "P99,,province,tỉnh,\n",
        ["Dòng 2", "name", "must not be empty"],
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_is_refused_with_row_value_and_reason(tmp_path, case):
    import_units(read_unit_file(SEED))
    before = sorted(Unit.objects.values_list("code", "name", "path"))
    text, expected = BAD_FILES[case]
    # A good row too, so a refusal that still wrote something would be seen.
    text += "D070,Tên Mới,district,huyện,P08\n"
    message = str(refused(write(tmp_path, text)))
    for fragment in expected:
        assert fragment in message, (fragment, message)
    assert sorted(Unit.objects.values_list("code", "name", "path")) == before


@pytest.mark.django_db
def test_cycle_through_units_already_in_the_portal_is_refused(tmp_path):
    seed_with_one_cell()
    # Putting the commune under its own cell would close a loop through the portal's tree.
    text = HEADER + "C02215,Xã,commune,xã,C02215-01\n"
    message = str(refused(write(tmp_path, text)))
    assert "C02215 → C02215-01 → C02215" in message


@pytest.mark.django_db
def test_wrong_encoding_names_the_row(tmp_path):
    path = write(tmp_path, HEADER + "P99,Tây Ninh,province,tinh,\n", encoding="latin-1")
    message = str(refused(path))
    assert "Dòng 2" in message and "UTF-8" in message
    assert not Unit.objects.exists()


@pytest.mark.django_db
def test_too_many_rows_are_refused_before_anything(tmp_path, settings):
    settings.UNIT_IMPORT_MAX_ROWS = 2
    text = HEADER + "P99,A,province,tỉnh,\nP98,B,province,tỉnh,\nP97,C,province,tỉnh,\n"
    assert "too many rows" in str(refused(write(tmp_path, text)))


@pytest.mark.django_db
def test_command_prints_counts_and_refuses_bad_files(tmp_path, capsys):
    call_command("import_units", str(SEED), "--dry-run")
    assert "[dry-run] created=145 updated=0 unchanged=0" in capsys.readouterr().out
    assert not Unit.objects.exists()
    call_command("import_units", str(SEED))
    call_command("import_units", str(SEED))
    assert "created=0 updated=0 unchanged=145" in capsys.readouterr().out

    bad = write(tmp_path, HEADER + "D99,Huyện Thử,district,huyện,P404\n")
    with pytest.raises(CommandError, match="nothing written"):
        call_command("import_units", str(bad))
    assert "Row 2, column parent_code" in capsys.readouterr().err
    with pytest.raises(CommandError, match="file not found"):
        call_command("import_units", str(tmp_path / "missing.csv"))


def test_the_seed_files_carry_the_official_types_and_pages_show_them(client, db):
    """The unit files are the corrected NSO lists: a phường is a phường, a town a thị trấn."""
    from pathlib import Path

    from django.conf import settings
    from django.urls import reverse

    from accounts.models import User
    from oversight.importing import import_units, read_unit_file

    rows = read_unit_file(Path(settings.BASE_DIR) / "seeds" / "tuyen-quang-3-level.csv")
    types = {row.code: row.division_type for row in rows}
    assert types["D070"] == "thành phố" and types["C02200"] == "phường"
    assert "thị trấn" in set(types.values())
    import_units(rows)
    admin = User.objects.create_superuser("quantri", "qt@example.vn", "secret-pass-123")
    client.force_login(admin)
    page = client.get(reverse("unit-detail", args=["D070"]))
    assert ">Phường</span>" in page.text  # the wards of the city, not "Xã"
