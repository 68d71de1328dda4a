"""Party documents: opened as a person gets them (the DOCX parsed, the PDF's text and fonts
read), their figures against the compliance report, issuing and its numbers, and the scope."""

import datetime
import hashlib
import io
import threading
import unicodedata
from pathlib import Path
from typing import cast

import docx
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from docx.shared import Pt
from pypdf import PdfReader
from pypdf.generic import DictionaryObject
from reportlab.pdfbase.ttfonts import TTFontFile

from accounts.roles import Role
from assignments.models import BreakthroughTask, TaskKind, TaskResult, TaskStatus
from oversight.models import Level, Unit
from oversight.reporting import reports
from oversight.reporting.documents import content, layout, pdf, word
from oversight.reporting.models import DocumentKind, IssuedDocument
from oversight.reporting.services import do_issue_document
from tests.clock import TODAY
from tests.conftest import fresh
from tests.factories import AssignmentFactory, PositionFactory, UnitFactory, UserFactory
from visits.models import ScoreSheet, Visit, VisitKind
from visits.services import do_accept_visit, do_save_visit, do_score_meeting

YEAR = TODAY.year
SECRETARY = "Hoàng Thị Thư"


@pytest.fixture
def signed(tree):
    """The province has a secretary who signs, and a visit of each overseer last month."""
    PositionFactory(
        user=UserFactory(username="tinh.bithu", full_name=SECRETARY),
        unit=tree.province,
        role=Role.SECRETARY,
    )


def log(member, meeting, **fields) -> Visit:
    visit = Visit(
        member=member, logged_by=member, kind=VisitKind.MEETING, meeting=meeting, **fields
    )
    return do_save_visit(fresh(member), visit, submit=True)


def sign_off(unit, day=TODAY) -> content.SignOff:
    return content.default_sign_off(unit, day)


def year_report(unit) -> content.Request:
    return content.Request(DocumentKind.ATTENDANCE_REPORT, unit, span=content.Span("year", YEAR))


def docx_text(data: bytes) -> tuple[docx.document.Document, list[str], list[list[list[str]]]]:
    """The parsed DOCX, its paragraphs' text (cells included) and its tables as rows of text."""
    parsed = docx.Document(io.BytesIO(data))
    tables = [[[cell.text for cell in row.cells] for row in t.rows] for t in parsed.tables]
    lines = [p.text for p in parsed.paragraphs]
    for table in parsed.tables:
        for row in table.rows:
            for cell in row.cells:
                lines += [p.text for p in cell.paragraphs]
    return parsed, lines, tables


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def pdf_fonts(data: bytes) -> set[tuple[str, bool]]:
    """Each font the PDF uses, and whether its program is embedded."""
    fonts = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        resources = cast(DictionaryObject, page["/Resources"].get_object())
        for reference in cast(DictionaryObject, resources["/Font"]).values():
            font = cast(DictionaryObject, reference.get_object())
            descriptor = font.get("/FontDescriptor")
            embedded = descriptor is not None and "/FontFile2" in descriptor.get_object()
            fonts.add((str(font["/BaseFont"]), embedded))
    return fonts


def covered_by_the_fonts(text: str) -> set[str]:
    """The characters of ``text`` that some face of the embedded family lacks."""
    missing = set()
    for face in pdf.FACES.values():
        glyphs = TTFontFile(str(pdf.FONTS / face)).charToGlyph
        missing |= {ch for ch in set(text) if not ch.isspace() and ord(ch) not in glyphs}
    return missing


def header(unit) -> tuple[str, str, str]:
    issuer = layout.issuer_of(unit)
    return issuer.parent, issuer.name, issuer.symbol


def test_issuers_follow_the_level_and_the_reform(db):
    province = UnitFactory(code="P90", name="Tỉnh Tuyên Quang", level=Level.PROVINCE)
    city = UnitFactory(
        code="D90", name="Thành phố Tuyên Quang", level=Level.DISTRICT, division_type="thành phố",
        parent=province,
    )  # fmt: skip
    district = UnitFactory(
        code="D91", name="Huyện Lâm Bình", level=Level.DISTRICT, division_type="huyện",
        parent=province,
    )  # fmt: skip
    old_commune = UnitFactory(
        code="C90", name="Xã Thượng Lâm", level=Level.COMMUNE, parent=district
    )
    new_commune = UnitFactory(code="C91", name="Xã Lâm Bình", level=Level.COMMUNE, parent=province)
    assert layout.issuer_of(province) == layout.Issuer(
        "", "TỈNH ỦY TUYÊN QUANG", "TU", "Tuyên Quang", "Tỉnh ủy Tuyên Quang"
    )
    assert header(city) == ("TỈNH ỦY TUYÊN QUANG", "THÀNH ỦY TUYÊN QUANG", "TU")
    assert header(district) == ("TỈNH ỦY TUYÊN QUANG", "HUYỆN ỦY LÂM BÌNH", "HU")
    assert header(old_commune) == (
        "HUYỆN ỦY LÂM BÌNH",
        "ĐẢNG ỦY XÃ THƯỢNG LÂM",
        "ĐU",
    )
    # Since 2025 a commune sits right under the province.
    assert header(new_commune) == (
        "ĐẢNG BỘ TỈNH TUYÊN QUANG",
        "ĐẢNG ỦY XÃ LÂM BÌNH",
        "ĐU",
    )


def test_the_date_line_pads_what_could_be_forged():
    assert layout.date_line("Tuyên Quang", datetime.date(2027, 1, 5)) == (
        "Tuyên Quang, ngày 05 tháng 01 năm 2027"
    )
    assert layout.date_line("Hà Giang", datetime.date(2026, 3, 18)) == (
        "Hà Giang, ngày 18 tháng 3 năm 2026"
    )


@pytest.mark.usefixtures("signed")
def test_the_attendance_report_as_issued_carries_the_form_and_the_report_figures(
    people, oversight, tree
):
    log(oversight.district_member, oversight.meeting_a, findings="Chi bộ họp đúng giờ.")
    accepted = log(oversight.province_member, oversight.meeting_a2, recommendations="Thêm tài liệu")
    do_accept_visit(fresh(people.commune_a_staff), accepted)
    office = fresh(people.province_office)
    issued = do_issue_document(office, year_report(tree.province), sign_off(tree.province))
    figures = reports.compliance(
        office, tree.province, datetime.date(YEAR, 1, 1), datetime.date(YEAR, 12, 31), today=TODAY
    )
    assert figures.total.required > 0 and figures.total.logged > 0  # something to compare
    expected_total = [
        str(figures.total.required),
        str(figures.total.logged),
        str(figures.total.accepted),
    ]

    parsed, lines, tables = docx_text(issued.docx.read())
    section = parsed.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert parsed.styles["Normal"].font.name == "Times New Roman"
    header = tables[0][0]
    assert header[0].split("\n") == ["TỈNH ỦY THỬ NGHIỆM", "*", "Số 01-BC/TU"]
    assert header[1].split("\n") == [
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        f"Thử Nghiệm, ngày {TODAY.day} tháng {TODAY.month} năm {TODAY.year}",
    ]
    party = parsed.tables[0].rows[0].cells[1].paragraphs[0]
    assert party.runs[0].bold and party.runs[0].font.size == Pt(15)
    assert party._p.pPr.find(docx.oxml.ns.qn("w:pBdr")) is not None  # the rule under it
    date_run = parsed.tables[0].rows[0].cells[1].paragraphs[1].runs[0]
    assert date_run.italic
    assert "BÁO CÁO" in lines and f"kết quả cấp ủy viên dự sinh hoạt chi bộ năm {YEAR}" in lines
    by_unit = tables[1]
    assert by_unit[0][:5] == ["STT", "Đơn vị", "Phải dự", "Đã dự", "Được duyệt"]
    assert by_unit[-1][2:5] == expected_total
    first_row = parsed.tables[1].rows[0]._tr
    assert first_row.trPr.find(docx.oxml.ns.qn("w:tblHeader")) is not None  # repeated
    by_member = {row[1]: row[3:6] for row in tables[2][1:]}
    for row in figures.rows:
        assert by_member[row.name] == [
            str(row.total.required), str(row.total.logged), str(row.total.accepted)
        ]  # fmt: skip
    footer = tables[-1][0]
    assert footer[0].startswith("Nơi nhận:\n- Ban Tổ chức Trung ương (để báo cáo),")
    assert [line for line in footer[1].split("\n") if line] == [
        "T/M BAN THƯỜNG VỤ",
        "BÍ THƯ",
        SECRETARY,
    ]
    assert any("Chi bộ họp đúng giờ." in line for line in lines)
    assert any("Thêm tài liệu" in line for line in lines)
    # Nobody attended Khuổi Lừa this year; the members short of the policy are listed.
    assert "Có 1 chi bộ chưa có cấp ủy viên dự sinh hoạt trong kỳ." in lines
    assert ["1", "Chi bộ thôn Khuổi Lừa", "Xã Sơn Phú"] in tables[3]
    short = [row for row in figures.rows if row.total.logged < row.total.required]
    assert short and [row[1] for row in tables[4][1:]] == [row.name for row in short]

    data = issued.pdf.read()
    text = pdf_text(data)
    for expected in [
        "TỈNH ỦY THỬ NGHIỆM",
        "Số 01-BC/TU",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        f"Thử Nghiệm, ngày {TODAY.day} tháng {TODAY.month} năm {TODAY.year}",
        "BÁO CÁO",
        f"kết quả cấp ủy viên dự sinh hoạt chi bộ năm {YEAR}",
        "T/M BAN THƯỜNG VỤ",
        SECRETARY,
        "Nơi nhận:",
    ]:
        assert expected in text, expected
    assert "DỰ THẢO" not in text
    # The total row, read cell by cell down the text layer.
    words = text.split()
    at = words.index("Cộng")
    assert words[at + 1 : at + 4] == expected_total
    fonts = pdf_fonts(data)
    assert fonts and all(embedded and "LiberationSerif" in name for name, embedded in fonts)
    assert covered_by_the_fonts(text) == set()
    assert PdfReader(io.BytesIO(data)).pages[0].mediabox.width == pytest.approx(595.28, abs=0.5)


def test_a_glyph_missing_from_the_font_is_caught():
    """The coverage check can fail: a character no Liberation face draws is reported."""
    assert covered_by_the_fonts("Tuyên Quang ✓ 𝔄") == {"✓", "𝔄"}


@pytest.mark.usefixtures("signed")
def test_names_print_in_nfc_as_stored(people, oversight, tree):
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Hường")
    member = oversight.district_member
    member.full_name = decomposed
    member.save()
    document = content.attendance_report(
        fresh(people.province_office),
        tree.province,
        content.Span("year", YEAR),
        sign_off(tree.province),
    )
    _parsed, lines, tables = docx_text(word.render(document))
    names = [row[1] for row in tables[2][1:]]
    assert unicodedata.normalize("NFC", decomposed) in names
    assert all(unicodedata.is_normalized("NFC", line) for line in lines)
    assert unicodedata.normalize("NFC", decomposed) in pdf_text(pdf.render(document))


@pytest.mark.usefixtures("signed")
def test_periods_in_progress_are_left_out_and_said_so(people, oversight, tree):
    document = content.attendance_report(
        fresh(people.province_office),
        tree.province,
        content.Span("quarter", YEAR, 4),
        sign_off(tree.province),
    )
    notes = [b.text for b in document.body if isinstance(b, layout.Text) and b.style == "note"]
    assert notes == [f"Số liệu không tính các tháng chưa khóa sổ (11/{YEAR}, 12/{YEAR})."]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("signed")
def test_two_offices_issuing_at_once_get_two_numbers(people, tree):
    second = PositionFactory(
        user=UserFactory(username="tinh.vp2"), unit=tree.province, role=Role.OFFICE_STAFF
    ).user
    offices = [fresh(people.province_office), fresh(second)]
    # The counter exists already: the two then race on its row, not on inserting it.
    do_issue_document(offices[0], year_report(tree.province), sign_off(tree.province))
    start = threading.Barrier(2)
    numbers, errors = [], []

    def issue(office) -> None:
        try:
            start.wait()
            issued = do_issue_document(office, year_report(tree.province), sign_off(tree.province))
            numbers.append(issued.number)
        except Exception as error:  # reported below, with the other thread's result
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(office,)) for office in offices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(numbers) == [2, 3]
    assert sorted(IssuedDocument.objects.values_list("number", flat=True)) == [1, 2, 3]


@pytest.mark.usefixtures("signed")
def test_a_correction_is_a_new_number_that_names_the_one_it_replaces(people, oversight, tree):
    office = fresh(people.province_office)
    first = do_issue_document(office, year_report(tree.province), sign_off(tree.province))
    second = do_issue_document(
        office, year_report(tree.province), sign_off(tree.province), replaces=first
    )
    assert (first.number, second.number) == (1, 2)
    assert "Báo cáo này thay thế Số 01-BC/TU" in pdf_text(second.pdf.read())
    assert first.pdf_sha256 == hashlib.sha256(first.pdf.read()).hexdigest()
    with pytest.raises(ValidationError, match="đã có văn bản thay thế"):
        do_issue_document(
            office, year_report(tree.province), sign_off(tree.province), replaces=first
        )
    # A number is never reused, even after a correction.
    third = do_issue_document(office, year_report(tree.province), sign_off(tree.province))
    assert third.number == 3
    locked = IssuedDocument.objects.get(pk=first.pk)
    locked.subject = "sửa"
    with pytest.raises(ValidationError):
        locked.save()
    with pytest.raises(ValidationError):
        locked.delete()


@pytest.mark.usefixtures("signed")
def test_issuing_needs_the_offices_right_and_a_report(people, oversight, tree):
    with pytest.raises(PermissionDenied):
        do_issue_document(
            fresh(people.district_a_secretary),
            year_report(tree.district_a),
            sign_off(tree.district_a),
        )
    register = content.Request(
        DocumentKind.REGISTER, tree.province, year=YEAR, member=oversight.district_member
    )
    with pytest.raises(ValidationError):
        do_issue_document(fresh(people.province_office), register, sign_off(tree.province))
    assert not IssuedDocument.objects.exists()
    # A district's office issues for its own district, numbered in the district's own series.
    office = PositionFactory(
        user=UserFactory(username="d01.vp"), unit=tree.district_a, role=Role.OFFICE_STAFF
    ).user
    issued = do_issue_document(
        fresh(office), year_report(tree.district_a), sign_off(tree.district_a)
    )
    assert issued.reference == "Số 01-BC/HU"
    with pytest.raises(PermissionDenied):
        do_issue_document(fresh(office), year_report(tree.province), sign_off(tree.province))


@pytest.mark.usefixtures("signed")
def test_another_district_gets_404_for_the_document_and_its_files(client, people, oversight, tree):
    issued = do_issue_document(
        fresh(people.province_office), year_report(tree.district_a), sign_off(tree.district_a)
    )
    urls = [
        reverse("document-detail", args=[issued.pk]),
        reverse("document-pdf", args=[issued.pk]),
        reverse("document-docx", args=[issued.pk]),
    ]
    client.force_login(people.district_b_office)
    for url in urls:
        assert client.get(url).status_code == 404
    listed = client.get(reverse("document-list"))
    assert listed.status_code == 200 and issued.reference not in listed.text
    client.force_login(people.province_office)
    assert issued.reference in client.get(reverse("document-list")).text
    pdf_file = client.get(urls[1])
    assert pdf_file["Content-Type"] == "application/pdf"
    assert (
        hashlib.sha256(
            b"".join(pdf_file.streaming_content if pdf_file.streaming else [pdf_file.content])
        ).hexdigest()
        == issued.pdf_sha256
    )
    assert client.get(urls[2]).content[:2] == b"PK"


@pytest.mark.usefixtures("signed")
def test_an_issued_file_that_changed_on_disk_is_refused(client, people, oversight, tree):
    issued = do_issue_document(
        fresh(people.province_office), year_report(tree.province), sign_off(tree.province)
    )
    Path(issued.pdf.path).write_bytes(b"%PDF-1.4 altered")
    client.force_login(people.province_office)
    response = client.get(reverse("document-pdf", args=[issued.pk]))
    assert response.status_code == 409
    assert "không còn như khi ban hành" in response.text


@pytest.mark.usefixtures("signed")
def test_the_page_previews_downloads_the_draft_and_issues(client, people, oversight, tree):
    client.force_login(people.province_office)
    url = reverse("document-new-attendance")
    opened = client.get(url)
    assert opened.status_code == 200
    assert SECRETARY in opened.text  # the secretary signs by default
    fields = {
        "unit": tree.province.code, "span": "year", "part": "1", "year": str(YEAR),
        "date": TODAY.isoformat(), "on_behalf": "T/M BAN THƯỜNG VỤ", "signer_title": "BÍ THƯ",
        "signer_name": SECRETARY, "recipients": "Ban Tổ chức Trung ương,\nLưu Văn phòng.",
    }  # fmt: skip
    preview = client.get(url, fields)
    assert preview.status_code == 200
    assert (
        'data-testid="document-preview"' in preview.text and 'data-testid="issue"' in preview.text
    )
    draft = client.get(url, {**fields, "format": "pdf"})
    assert draft["Content-Type"] == "application/pdf"
    text = pdf_text(draft.content)
    assert "DỰ THẢO" in text and "Số 01" not in text
    assert not IssuedDocument.objects.exists()
    issued = client.post(url, fields)
    document = IssuedDocument.objects.get()
    assert issued.status_code == 302 and issued["Location"] == reverse(
        "document-detail", args=[document.pk]
    )
    assert document.reference == "Số 01-BC/TU" and document.signer == SECRETARY
    trail = client.get(reverse("audit-log"))
    assert "Số 01-BC/TU" in trail.text


@pytest.mark.usefixtures("signed")
@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"year": "abc"}, "year", "Nhập một số"),
        ({"span": "half", "part": "3"}, "part", "Kỳ này có từ 1 đến 2 phần."),
        ({"unit": "C01-01"}, "unit", "không phải một cấp ủy"),
        ({"recipients": " \n - \n"}, "recipients", "ít nhất một nơi nhận"),
        ({"date": (TODAY + datetime.timedelta(days=1)).isoformat()}, "date", "sau hôm nay"),
    ],
)
def test_bad_input_is_named_and_nothing_issued(client, people, tree, change, field, message):
    client.force_login(people.province_office)
    fields = {
        "unit": tree.province.code, "span": "year", "part": "1", "year": str(YEAR),
        "date": TODAY.isoformat(), "on_behalf": "T/M BAN THƯỜNG VỤ", "signer_title": "BÍ THƯ",
        "signer_name": SECRETARY, "recipients": "Lưu Văn phòng.", **change,
    }  # fmt: skip
    url = reverse("document-new-attendance")
    for method in (client.get, client.post):
        response = method(url, fields)
        assert response.status_code == 400
        assert message in response.text
        assert field in response.context["form"].errors
    assert not IssuedDocument.objects.exists()


def test_a_unit_outside_the_scope_is_a_404_on_the_form(client, people, tree):
    client.force_login(people.district_b_office)
    response = client.get(
        reverse("document-new-attendance"),
        {"unit": tree.district_a.code, "span": "year", "year": YEAR, "date": TODAY.isoformat(),
         "signer_title": "BÍ THƯ", "signer_name": "X", "recipients": "Y"},
    )  # fmt: skip
    assert response.status_code == 404


@pytest.mark.usefixtures("signed")
def test_the_register_lists_every_visit_and_counts_against_the_policy(people, oversight, tree):
    member = oversight.district_member
    log(member, oversight.meeting_a, findings="Sinh hoạt sôi nổi", rating="good")
    office = fresh(people.province_office)
    document = content.attendance_register(
        office, tree.province, member, YEAR, sign_off(tree.province)
    )
    assert document.number_line == ""  # a register has no number
    _parsed, lines, tables = docx_text(word.render(document))
    visits = tables[1][1:]
    assert [row[1:5] for row in visits] == [
        [f"{oversight.meeting_a.date:%d/%m/%Y}", "Chi bộ thôn Nà Mô", "Dự sinh hoạt chi bộ", "Tốt"]
    ]
    row = next(
        r
        for r in reports.compliance(
            office, None, datetime.date(YEAR, 1, 1), datetime.date(YEAR, 12, 31), today=TODAY
        ).rows
        if r.member_id == member.pk
    )
    expected = (
        f"Năm {YEAR}: phải dự {row.total.required} buổi sinh hoạt chi bộ, đã dự "
        f"{row.total.logged}, được duyệt {row.total.accepted} (các kỳ đã khóa sổ)."
    )
    assert expected in lines
    assert expected in pdf_text(pdf.render(document)).replace("\n", " ")


@pytest.mark.usefixtures("signed")
def test_the_score_sheet_uses_the_sheet_of_the_meetings_day(client, people, oversight, tree):
    meeting = oversight.meeting_a
    sheet = ScoreSheet.for_unit(meeting.cell, meeting.date)
    criteria = list(sheet.criteria.all())
    full = {c.code: c.max_points for c in criteria}
    do_score_meeting(fresh(people.commune_a_staff), meeting, full)
    visit = Visit(
        member=oversight.district_member, logged_by=oversight.district_member,
        kind=VisitKind.MEETING, meeting=meeting,
    )  # fmt: skip
    visit.apply_score({**full, criteria[0].code: 0})
    do_save_visit(fresh(oversight.district_member), visit, submit=True)
    client.force_login(people.commune_a_staff)
    page = client.get(reverse("document-score-sheet", args=[meeting.pk]))
    assert page.status_code == 200
    fields = {
        "date": TODAY.isoformat(), "on_behalf": "", "signer_title": "NGƯỜI ĐÁNH GIÁ",
        "signer_name": "Ma Văn Chấm", "recipients": "Chi bộ thôn Nà Mô.", "format": "docx",
    }  # fmt: skip
    response = client.get(reverse("document-score-sheet", args=[meeting.pk]), fields)
    _parsed, lines, tables = docx_text(response.content)
    scores = tables[1]
    assert [row[1] for row in scores[1:-1]] == [c.name for c in criteria]
    own_total, visiting_total = sheet.evaluate(full), sheet.evaluate({**full, criteria[0].code: 0})
    assert scores[-1][3:] == [str(own_total[0]), str(visiting_total[0])]
    assert f"- Chi bộ tự chấm: {own_total[0]} điểm, xếp loại {own_total[1].label}." in lines
    assert f"Bảng chấm điểm: {sheet.name}" in " ".join(lines)
    client.force_login(people.district_b_office)
    assert client.get(reverse("document-score-sheet", args=[meeting.pk])).status_code == 404


@pytest.mark.usefixtures("signed")
def test_the_tasks_report_goes_task_by_task(people, tree):
    cadre = PositionFactory(
        user=UserFactory(username="tinh.btv", full_name="Đỗ Văn Đột"),
        unit=tree.province,
        role=Role.STANDING_MEMBER,
    ).user
    for title, kind, result, status in [
        ("Giải phóng mặt bằng", TaskKind.COMMISSIONED, TaskResult.COMPLETED, TaskStatus.DONE),
        ("Xóa nhà tạm", TaskKind.REGISTERED, TaskResult.NOT_COMPLETED, TaskStatus.NOT_DONE),
    ]:
        BreakthroughTask.objects.create(
            title=title, kind=kind, cadre=cadre, owner_unit=tree.province, year=2019,
            deadline=datetime.date(2019, 11, 30), expected_result="Xong",
            status=status, result=result,
        )  # fmt: skip
    document = content.tasks_report(
        fresh(people.province_office), tree.province, 2019, sign_off(tree.province)
    )
    _parsed, lines, tables = docx_text(word.render(document))
    assert [row[1:] for row in tables[1][1:]] == [
        ["Giải phóng mặt bằng", "Đặt hàng", "Đỗ Văn Đột", "30/11/2019", "Hoàn thành"],
        ["Xóa nhà tạm", "Đăng ký", "Đỗ Văn Đột", "30/11/2019", "Không hoàn thành"],
    ]
    assert any("giao 2 nhiệm vụ đột phá cho 1 đồng chí" in line for line in lines)
    assert any("1/1 nhiệm vụ đặt hàng" in line for line in lines)


@pytest.mark.usefixtures("signed")
def test_building_a_report_costs_the_same_queries_whatever_the_data(people, oversight, tree):
    office = fresh(people.province_office)

    def queries() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            province = Unit.objects.get(pk=tree.province.pk)  # nothing cached on it
            content.attendance_report(
                fresh(office), province, content.Span("year", YEAR), sign_off(province)
            )
        return [q["sql"] for q in captured.captured_queries]

    before = queries()
    for index in range(5):
        commune = UnitFactory(code=f"C7{index}", level=Level.COMMUNE, parent=tree.district_b)
        UnitFactory(code=f"C7{index}-01", level=Level.CELL, parent=commune)
        member = PositionFactory(
            user=UserFactory(username=f"d02.uv{index}"), unit=tree.district_b,
            role=Role.EXECUTIVE_MEMBER,
        ).user  # fmt: skip
        AssignmentFactory(member=member, unit=commune)
    log(oversight.district_member, oversight.meeting_a, findings="Ý kiến")
    after = queries()
    assert len(after) == len(before), "\n\n".join(after)


@pytest.mark.usefixtures("signed")
def test_the_issued_list_costs_the_same_queries_whatever_its_length(
    client, people, oversight, tree, django_assert_max_num_queries
):
    office = fresh(people.province_office)
    do_issue_document(office, year_report(tree.province), sign_off(tree.province))
    client.force_login(people.province_office)
    client.get(reverse("home"))  # the person's access is read once, then kept (accounts.access)
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("document-list")).status_code == 200
    for _ in range(4):
        do_issue_document(office, year_report(tree.district_a), sign_off(tree.district_a))
    with CaptureQueriesContext(connection) as five:
        page = client.get(reverse("document-list"), {"kind": DocumentKind.ATTENDANCE_REPORT})
    assert page.text.count("BC/HU") == 4
    assert len(five) == len(one), "\n".join(q["sql"] for q in five.captured_queries)


@pytest.mark.usefixtures("signed")
@pytest.mark.parametrize("kind", [k.value for k in DocumentKind])
def test_every_document_opens_in_both_formats_in_the_official_form(people, oversight, tree, kind):
    log(oversight.district_member, oversight.meeting_a, findings="Đảng viên phát biểu sôi nổi")
    asked = {
        "attendance_report": year_report(tree.province),
        "tasks_report": content.Request(kind, tree.province, year=YEAR),
        "register": content.Request(
            kind, tree.province, year=YEAR, member=oversight.district_member
        ),
        "score_sheet": content.Request(kind, tree.commune_a, meeting=oversight.meeting_a),
    }[kind]
    signature = layout.Signature("T/M BAN THƯỜNG VỤ", "PHÓ BÍ THƯ", "Lò Thị Ký")
    document = content.build(
        fresh(people.province_office), asked, content.SignOff(TODAY, signature, ["Lưu."])
    )
    issuer = layout.issuer_of(asked.unit)
    date_line = layout.date_line(issuer.place, TODAY)

    _parsed, _lines, tables = docx_text(word.render(document))
    left, right = tables[0][0]
    assert issuer.name in left.split("\n") and right.split("\n") == [layout.PARTY, date_line]
    recipients, signed_by = tables[-1][0]
    assert recipients == "Nơi nhận:\n- Lưu."
    assert [line for line in signed_by.split("\n") if line] == [
        "T/M BAN THƯỜNG VỤ",
        "PHÓ BÍ THƯ",
        "Lò Thị Ký",
    ]
    data = pdf.render(document)
    text = pdf_text(data)
    for expected in [issuer.name, layout.PARTY, date_line, document.kind, "Lò Thị Ký"]:
        assert expected in text, expected
    assert all(embedded for _name, embedded in pdf_fonts(data))
    assert covered_by_the_fonts(text) == set()


def test_what_people_wrote_prints_as_text_never_as_markup():
    """ReportLab reads a paragraph as markup: findings with < > & print as written."""
    findings = 'Đảng viên nói: "<b>5 > 3</b> & đủ"'
    document = layout.Document(
        issuer=layout.Issuer("", "TỈNH ỦY A", "TU", "A", "Tỉnh ủy A"),
        kind="BÁO CÁO",
        subject="thử",
        date=TODAY,
        body=[layout.Text(findings)],
        signature=layout.Signature("", "BÍ THƯ", "B"),
    )
    assert findings in pdf_text(pdf.render(document))


@pytest.mark.usefixtures("signed")
def test_the_service_refuses_a_document_dated_after_today(people, tree):
    """The rule lives with the sign-off, not the page: a client of the service meets it too."""
    tomorrow = TODAY + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        do_issue_document(
            fresh(people.province_office),
            year_report(tree.province),
            sign_off(tree.province, tomorrow),
        )
    assert "date" in refused.value.message_dict
    assert not IssuedDocument.objects.exists()


@pytest.mark.usefixtures("signed")
def test_the_register_filters_by_committee_kind_and_year(client, people, oversight, tree):
    office = fresh(people.province_office)
    province = do_issue_document(office, year_report(tree.province), sign_off(tree.province))
    district = do_issue_document(office, year_report(tree.district_a), sign_off(tree.district_a))
    client.force_login(people.province_office)
    url = reverse("document-list")
    only_district = client.get(url, {"unit": tree.district_a.code, "year": YEAR})
    assert district.reference in only_district.text
    assert province.reference not in only_district.text
    none_that_year = client.get(url, {"year": YEAR - 1, "kind": "attendance_report"})
    assert "Chưa có văn bản nào" in none_that_year.text
    unknown = client.get(url, {"unit": "X99"})
    assert unknown.status_code == 400 and "X99" in unknown.text
