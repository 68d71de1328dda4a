"""Breakthrough and commissioned tasks: the workflow and its refusals, the year's figures, scope."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from assignments.models import BreakthroughTask, ExtensionStatus, TaskKind, TaskResult, TaskStatus
from assignments.services import (
    do_approve_task,
    do_decide_extension,
    do_evaluate_task,
    do_report_progress,
    do_request_extension,
    year_summary,
)
from tests.clock import TODAY
from tests.conftest import fresh
from tests.files import pdf_bytes

YEAR = TODAY.year


@pytest.fixture
def task(people, tree):
    return BreakthroughTask.objects.create(
        title="Xóa bỏ lò gạch thủ công",
        kind=TaskKind.COMMISSIONED,
        cadre=people.district_a_secretary,
        owner_unit=tree.district_a,
        year=YEAR,
        deadline=datetime.date(YEAR, 12, 15),
        expected_result="Không còn lò gạch thủ công",
    )


def test_the_whole_workflow(people, task):
    office = fresh(people.province_office)
    cadre = fresh(people.district_a_secretary)
    with pytest.raises(ValidationError):
        do_report_progress(cadre, task, 10, "Chưa duyệt")  # a proposed task takes no report yet
    do_approve_task(office, task, "15-QĐ/TU", datetime.date(YEAR, 1, 10))
    do_report_progress(cadre, task, 40, "Đã đóng 40 lò")
    assert BreakthroughTask.objects.get(pk=task.pk).status == TaskStatus.IN_PROGRESS
    request = do_request_extension(
        cadre, task, datetime.date(YEAR + 1, 3, 31), "Chờ hỗ trợ chuyển đổi nghề"
    )
    do_decide_extension(office, request, approve=True, comment="Đồng ý")
    task.refresh_from_db()
    assert (task.status, task.deadline) == (TaskStatus.EXTENDED, datetime.date(YEAR + 1, 3, 31))
    do_evaluate_task(office, task, TaskResult.COMPLETED_LATE, "Hoàn thành sau gia hạn")
    task.refresh_from_db()
    assert (task.status, task.result) == (TaskStatus.DONE, TaskResult.COMPLETED_LATE)


def test_a_done_task_is_locked(people, task):
    office = fresh(people.province_office)
    do_approve_task(office, task, "15-QĐ/TU", datetime.date(YEAR, 1, 10))
    do_evaluate_task(office, task, TaskResult.NOT_COMPLETED, "")
    cadre = fresh(people.district_a_secretary)
    with pytest.raises(ValidationError):
        do_report_progress(cadre, task, 90, "muộn")
    with pytest.raises(ValidationError):
        do_request_extension(cadre, task, datetime.date(YEAR + 1, 6, 1), "xin thêm")
    with pytest.raises(ValidationError):
        do_evaluate_task(office, task, TaskResult.COMPLETED, "đổi ý")


def test_only_the_office_decides_and_only_the_cadre_reports(people, task, oversight):
    office = fresh(people.province_office)
    do_approve_task(office, task, "15-QĐ/TU", datetime.date(YEAR, 1, 10))
    cadre = fresh(people.district_a_secretary)
    request = do_request_extension(cadre, task, datetime.date(YEAR + 1, 1, 31), "Lý do")
    with pytest.raises(PermissionDenied):
        do_decide_extension(cadre, request, approve=True)
    with pytest.raises(PermissionDenied):
        do_report_progress(fresh(people.province_office), task, 10, "không phải cán bộ")
    with pytest.raises(ValidationError):
        do_request_extension(cadre, task, datetime.date(YEAR + 1, 2, 1), "lần hai")  # one pending
    do_decide_extension(office, request, approve=False, comment="Không đủ căn cứ")
    assert request.__class__.objects.get(pk=request.pk).status == ExtensionStatus.REFUSED
    with pytest.raises(ValidationError):
        do_request_extension(cadre, task, datetime.date(YEAR, 1, 1), "lùi hạn")  # earlier than now
    with pytest.raises(PermissionDenied):
        do_approve_task(fresh(people.district_b_office), task, "x", datetime.date(YEAR, 1, 1))


def test_year_summary_counts_as_the_article(people, tree):
    office = fresh(people.province_office)
    for n in range(25):
        kind = TaskKind.COMMISSIONED if n < 10 else TaskKind.REGISTERED
        result = (
            TaskResult.NOT_COMPLETED
            if n == 0
            else TaskResult.COMPLETED
            if n % 6
            else TaskResult.COMPLETED_LATE
        )
        BreakthroughTask.objects.create(
            title=f"Nhiệm vụ {n}", kind=kind, cadre=people.district_a_secretary,
            owner_unit=tree.district_a, year=2019, deadline=datetime.date(2019, 11, 30),
            expected_result="x", result=result,
            status=TaskStatus.NOT_DONE if n == 0 else TaskStatus.DONE,
        )  # fmt: skip
    summary = year_summary(office, 2019)
    assert (summary.total, summary.commissioned, summary.commissioned_completed) == (25, 10, 9)
    assert summary.completed + summary.completed_late + summary.not_completed == 25
    assert summary.open == summary.overdue == 0


def test_scoping_a_district_sees_its_own_cadres(client, people, task):
    assert year_summary(fresh(people.district_b_office), YEAR).total == 0
    assert year_summary(fresh(people.province_office), YEAR).total == 1
    client.force_login(people.district_b_office)
    assert client.get(reverse("task-detail", args=[task.pk])).status_code == 404
    assert (
        client.post(
            reverse("task-detail", args=[task.pk]), {"action": "evaluate", "result": "completed"}
        ).status_code
        == 404
    )
    client.force_login(people.district_a_secretary)
    assert client.get(reverse("task-detail", args=[task.pk])).status_code == 200


def test_board_filters_highlights_overdue_and_exports(
    client, people, task, django_assert_max_num_queries
):
    BreakthroughTask.objects.filter(pk=task.pk).update(deadline=TODAY - datetime.timedelta(days=1))
    client.force_login(people.province_office)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("task-board"), {"year": YEAR, "status": "overdue"})
    assert [t.pk for t in page.context["page"]] == [task.pk]
    assert "list-group-item-danger" in page.text
    export = client.get(reverse("task-board"), {"year": YEAR, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet.cell(row=2, column=1).value == task.title
    client.force_login(people.district_a_secretary)
    mine = client.get(reverse("my-tasks"), {"year": YEAR})
    assert [t.pk for t in mine.context["page"]] == [task.pk]


def test_task_page_actions_and_their_refusals(client, people, task):
    client.force_login(people.province_office)
    url = reverse("task-detail", args=[task.pk])
    client.post(
        url, {"action": "approve", "decision_number": "15-QĐ/TU", "decision_date": "10/01/2026"}
    )
    assert BreakthroughTask.objects.get(pk=task.pk).status == TaskStatus.APPROVED
    client.force_login(people.district_a_secretary)
    response = client.post(
        url, {"action": "progress", "percent": "abc", "narrative": "x"}, follow=True
    )
    assert "từ 0 đến 100" in response.text
    client.post(url, {"action": "progress", "percent": "30", "narrative": "Đã đóng 30 lò"})
    page = client.get(url)
    assert "Đã đóng 30 lò" in page.text


def test_task_reminders_deadline_quiet_and_overdue(people, task, settings):
    from visits import reminders
    from visits.models import OutboxMessage, Reminder

    settings.EMAIL_BACKEND = "visits.mail.OutboxBackend"
    office = fresh(people.province_office)
    do_approve_task(office, task, "15-QĐ/TU", TODAY - datetime.timedelta(weeks=10))
    today = TODAY

    def kinds_for(day):
        return {(p.kind, p.recipient_id) for p in reminders.plan_task_reminders(day)}

    BreakthroughTask.objects.filter(pk=task.pk).update(deadline=today + datetime.timedelta(days=5))
    planned = kinds_for(today)
    cadre = people.district_a_secretary.pk
    # Approved ten weeks ago with no report: quiet too long; the deadline is in five days.
    assert planned == {("task_deadline", cadre), ("task_no_progress", cadre)}
    do_report_progress(fresh(people.district_a_secretary), task, 50, "Nửa chặng")
    assert kinds_for(today) == {("task_deadline", cadre)}
    BreakthroughTask.objects.filter(pk=task.pk).update(deadline=today - datetime.timedelta(days=1))
    # Overdue: the cadre and every office above the cadre's unit (here the province's).
    assert kinds_for(today) == {
        ("task_overdue", cadre),
        ("task_overdue", people.province_office.pk),
    }
    reminders.store(reminders.plan_task_reminders(today))
    for reminder in Reminder.objects.filter(kind="task_overdue"):
        reminders.send(reminder.pk)
    assert OutboxMessage.objects.filter(subject__contains="quá hạn").count() == 2
    do_evaluate_task(office, task, TaskResult.COMPLETED_LATE, "")
    assert kinds_for(today) == set()  # a closed task reminds nobody


def test_evidence_milestones_and_decision_files_stay_in_scope(
    client, people, task, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from assignments.models import TaskMilestone

    settings.MEDIA_ROOT = tmp_path
    pdf = pdf_bytes()
    client.force_login(people.province_office)
    url = reverse("task-detail", args=[task.pk])
    approval = {"action": "approve", "decision_number": "15-QĐ/TU", "decision_date": "10/01/2026"}
    client.post(url, {**approval, "decision_file": SimpleUploadedFile("qd.pdf", pdf)})
    assert b"".join(client.get(reverse("task-decision", args=[task.pk])).streaming_content) == pdf
    milestone = TaskMilestone.objects.create(
        task=task, title="Đóng 50 lò", due_date=datetime.date(YEAR, 6, 30)
    )
    client.force_login(people.district_a_secretary)
    report_form = {"action": "progress", "percent": "50", "narrative": "x"}
    bad = SimpleUploadedFile("a.exe", b"MZ not a photo")
    response = client.post(url, {**report_form, "evidence": bad}, follow=True)
    assert "Chỉ nhận ảnh" in response.text
    client.post(url, {"action": "progress", "percent": "50", "narrative": "Đã đóng 50 lò",
                      "evidence": SimpleUploadedFile("a.pdf", pdf)})  # fmt: skip
    report = task.progress_reports.get()
    assert client.get(reverse("task-evidence", args=[task.pk, report.pk])).status_code == 200
    client.post(url, {"action": "milestone", "milestone": milestone.pk})
    assert TaskMilestone.objects.get(pk=milestone.pk).done_on == TODAY
    client.force_login(people.district_b_office)
    assert client.get(reverse("task-decision", args=[task.pk])).status_code == 404
    assert client.get(reverse("task-evidence", args=[task.pk, report.pk])).status_code == 404
