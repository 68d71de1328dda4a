"""Benchmark: the province's yearly report on the demo, as the provincial office gets it.

The demo (``seed_demo``: new Tuyên Quang after the 2025 reform, 124 communes, its history since
2020) is loaded once into a database of its own. The office signs in as a person does, with its
password and a code from its authenticator, and downloads the PDF and the DOCX of the attendance
report of the current year. Each figure is asserted before it is printed (status, type, the
header, the total equal to the compliance report's), then timed against the floors of the same
run: the bare SQL aggregate over the raw visits, and the compliance report alone.
"""

import io
import os
import statistics
import time

from _setup import DEFAULT_URL, machine, setup, signed_in, timed

DATABASE = DEFAULT_URL.rsplit("/", 1)[0] + "/oversight_bench_documents"


def main() -> None:
    os.environ.setdefault("BENCH_DATABASE_URL", DATABASE)
    setup()
    from django.core.management import call_command
    from django.db import connection
    from django.urls import reverse
    from pypdf import PdfReader

    from accounts.models import User
    from oversight.clock import local_today
    from oversight.demo import DEMO_PASSWORD
    from oversight.models import Unit
    from oversight.reporting import reports
    from oversight.reporting.documents import content, pdf, word
    from oversight.reporting.services import do_issue_document

    call_command("seed_demo", "--if-empty", verbosity=0)
    office = User.objects.get(username="tinh.vanphong1")
    province = Unit.objects.holding("P08")
    assert province is not None
    today = local_today()
    year = today.year
    first, last = content.Span("year", year).first, content.Span("year", year).last

    client = signed_in(office.username, DEMO_PASSWORD)

    fields = {
        "unit": province.code, "span": "year", "part": "1", "year": str(year),
        "date": today.isoformat(), "on_behalf": "T/M BAN THƯỜNG VỤ", "signer_title": "BÍ THƯ",
        "signer_name": "Bench", "recipients": "Ban Tổ chức Trung ương (để báo cáo),",
    }  # fmt: skip
    url = reverse("document-new-attendance")
    figures = reports.compliance(office, province, first, last, today=today)

    def page(file_format: str) -> bytes:
        response = client.get(url, {**fields, "format": file_format})
        assert response.status_code == 200, response.status_code
        return response.content

    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(page("pdf"))).pages)
    words = text.split()
    total = words[words.index("Cộng") + 1 : words.index("Cộng") + 4]
    assert "TỈNH ỦY TUYÊN QUANG" in text and total == [
        str(figures.total.required), str(figures.total.logged), str(figures.total.accepted)
    ], total  # fmt: skip
    assert page("docx")[:2] == b"PK"

    visits_sql = """
        SELECT v.assignment_id, date_trunc('month', v.date), count(*),
               count(*) FILTER (WHERE v.status = 'accepted')
        FROM visits_visit v JOIN oversight_unit u ON u.id = v.unit_id
        WHERE u.path LIKE %s AND v.status <> 'draft' AND v.kind = 'meeting'
          AND v.date BETWEEN %s AND %s
        GROUP BY 1, 2
    """

    def bare_sql() -> None:
        with connection.cursor() as cursor:
            cursor.execute(visits_sql, [province.path + "%", first, last])
            cursor.fetchall()

    sign_off = content.default_sign_off(province, today)
    document = content.attendance_report(office, province, content.Span("year", year), sign_off)
    pages = len(PdfReader(io.BytesIO(pdf.render(document))).pages)
    rows = {
        "bare SQL over the visits (floor)": timed(bare_sql, 5),
        "compliance report (the figures)": timed(
            lambda: reports.compliance(office, Unit.objects.get(pk=province.pk), first, last), 5
        ),
        "document built (figures, findings, cells not attended)": timed(
            lambda: content.attendance_report(
                office, Unit.objects.get(pk=province.pk), content.Span("year", year), sign_off
            ),
            5,
        ),
        "PDF written (ReportLab)": timed(lambda: pdf.render(document), 5),
        "DOCX written (python-docx)": timed(lambda: word.render(document), 5),
        "page → PDF, signed in with a second factor": timed(lambda: page("pdf"), 5),
        "page → DOCX, signed in with a second factor": timed(lambda: page("docx"), 5),
        "issued (number taken, both files written and stored)": timed(
            lambda: do_issue_document(
                office,
                content.Request("attendance_report", province, span=content.Span("year", year)),
                sign_off,
            ),
            3,
        ),
    }
    samples = []
    for _ in range(3):
        started = time.perf_counter()
        page("pdf")
        page("docx")
        samples.append(time.perf_counter() - started)
    print(f"Machine: {machine()}")
    print(
        f"Demo: {len(figures.rows)} members, {figures.total.required} meetings due, "
        f"{figures.total.logged} attended; the PDF has {pages} pages"
    )
    print("| what | median |")
    print("| --- | --- |")
    for name, ms in rows.items():
        print(f"| {name} | {ms:.0f} ms |")
    both = statistics.median(samples)
    print(f"| both files of the yearly report, one after the other | {both:.2f} s |")


if __name__ == "__main__":
    main()
