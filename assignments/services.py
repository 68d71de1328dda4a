"""The writes that matter for assignments, each checked against the acting person's scope."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Position
from accounts.rights import may, may_somewhere
from assignments.models import (
    Assignment,
    AssignmentKind,
    BreakthroughTask,
    BreakthroughTaskQuerySet,
    ExtensionRequest,
    ExtensionStatus,
    TaskKind,
    TaskMilestone,
    TaskProgress,
    TaskResult,
    TaskStatus,
)
from oversight.clock import local_today
from oversight.models import Term, Unit

if TYPE_CHECKING:
    from accounts.models import User


def _check_may_assign(assigner: User, unit: Unit) -> None:
    """Refused without the right anywhere (403), for a unit out of sight as for a missing one
    (400), and where the right's position does not cover the unit (403)."""
    if not may_somewhere(assigner, "assignments.add_assignment"):
        raise PermissionDenied(_("Bạn không có quyền phân công."))
    if not unit.is_visible_to(assigner):
        raise ValidationError({"unit": _("Địa bàn này nằm ngoài phạm vi của bạn.")})
    if not may(assigner, "assignments.add_assignment", unit):
        raise PermissionDenied(_("Quyền phân công của bạn không bao gồm địa bàn này."))


def _check_member_in_scope(assigner: User, member: User) -> None:
    holds_position_in_scope = (
        Position.objects.visible_to(assigner).current().filter(user=member).exists()
    )
    if not holds_position_in_scope:
        raise ValidationError(
            {"member": _("Người này không giữ chức vụ nào trong phạm vi của bạn.")}
        )


@transaction.atomic
def do_assign(
    assigner: User,
    member: User,
    unit: Unit,
    *,
    term: Term | None = None,
    kind: str = AssignmentKind.IN_CHARGE,
    start_date: datetime.date | None = None,
    note: str = "",
) -> Assignment:
    """Put ``member`` in charge of ``unit`` (and its subtree) from ``start_date``."""
    _check_may_assign(assigner, unit)
    _check_member_in_scope(assigner, member)
    start_date = start_date or local_today()
    term = term or Term.objects.current(start_date).first()
    if term is None:
        raise ValidationError({"term": _("Không có nhiệm kỳ nào chứa ngày bắt đầu.")})
    assignment = Assignment(
        member=member,
        unit=unit,
        term=term,
        kind=kind,
        start_date=start_date,
        assigned_by=assigner,
        note=note,
    )
    assignment.full_clean()
    assignment.save()
    return assignment


@transaction.atomic
def do_end_assignment(
    actor: User, assignment: Assignment, on: datetime.date | None = None
) -> Assignment:
    """End an assignment on ``on``; it stays in the history. Only a level that can see the
    member's own position may end it: a commune cannot drop the province's overseer."""
    _check_may_assign(actor, assignment.unit)
    if not Position.objects.visible_to(actor).filter(user_id=assignment.member_id).exists():
        raise PermissionDenied(
            _("Phân công này do cấp trên quyết định; chỉ cấp trên kết thúc được.")
        )
    assignment.end_date = on or local_today()
    assignment.full_clean()
    assignment.save(update_fields=["end_date"])
    return assignment


@transaction.atomic
def do_reassign(
    assigner: User,
    unit: Unit,
    new_member: User,
    *,
    on: datetime.date | None = None,
    term: Term | None = None,
    kind: str = AssignmentKind.IN_CHARGE,
) -> Assignment:
    """Hand ``unit`` to ``new_member`` from ``on``: the open assignments of that kind end the day
    before, in the same transaction (the change of members at a new term, in one action)."""
    on = on or local_today()
    previous = Assignment.objects.select_for_update().filter(unit=unit, kind=kind).open_on(on)
    for assignment in previous.exclude(member=new_member):
        do_end_assignment(assigner, assignment, on - datetime.timedelta(days=1))
    return do_assign(assigner, new_member, unit, term=term, kind=kind, start_date=on)


def _task_in_scope(actor: User, task: BreakthroughTask) -> BreakthroughTask:
    """The task re-read through the gate and locked; hidden and missing look the same."""
    try:
        return BreakthroughTask.objects.visible_to(actor).select_for_update().get(pk=task.pk)
    except BreakthroughTask.DoesNotExist:
        raise PermissionDenied(_("Không tìm thấy nhiệm vụ trong phạm vi của bạn.")) from None


def _check_office(actor: User, task: BreakthroughTask) -> None:
    if not may(actor, "assignments.evaluate_task", task):
        raise PermissionDenied(_("Chỉ văn phòng cấp ủy được quyết định việc này."))


def _check_open(task: BreakthroughTask) -> None:
    if task.is_closed:
        raise ValidationError(_("Nhiệm vụ đã được đánh giá, không thay đổi được nữa."))


@transaction.atomic
def do_propose_task(
    office: User,
    cadre: User,
    *,
    title: str,
    kind: str,
    year: int,
    deadline: datetime.date,
    expected_result: str,
    target: str = "",
    description: str = "",
) -> BreakthroughTask:
    """Put a task on the year's list for ``cadre``: it belongs to the unit of the cadre's highest
    position in the office's scope and waits for the Standing Committee's decision."""
    if not may_somewhere(office, "assignments.add_breakthroughtask"):
        raise PermissionDenied(_("Bạn không có quyền thêm nhiệm vụ."))
    position = (
        Position.objects.visible_to(office)
        .current()
        .filter(user=cadre)
        .select_related("unit")
        .order_by("unit__path")
        .first()
    )
    if position is None:
        raise ValidationError(
            {"cadre": _("Người này không giữ chức vụ nào trong phạm vi của bạn.")}
        )
    if not may(office, "assignments.add_breakthroughtask", position.unit):
        raise PermissionDenied(_("Bạn không có quyền thêm nhiệm vụ cho đơn vị này."))
    task = BreakthroughTask(
        title=title.strip(),
        kind=kind,
        cadre=cadre,
        position=position,
        owner_unit=position.unit,
        year=year,
        deadline=deadline,
        expected_result=expected_result.strip(),
        target=target.strip(),
        description=description.strip(),
    )
    task.full_clean()
    task.save()
    return task


@transaction.atomic
def do_approve_task(
    office: User,
    task: BreakthroughTask,
    decision_number: str,
    decision_date: datetime.date,
    decision_file: File | None = None,
) -> BreakthroughTask:
    """The Standing Committee's decision approves a proposed task."""
    task = _task_in_scope(office, task)
    _check_office(office, task)
    if task.status != TaskStatus.PROPOSED:
        raise ValidationError(_("Chỉ phê duyệt được nhiệm vụ đang đề xuất."))
    if not decision_number.strip():
        raise ValidationError({"decision_number": _("Hãy ghi số quyết định.")})
    task.status, task.decision_number, task.decision_date = (
        TaskStatus.APPROVED,
        decision_number.strip(),
        decision_date,
    )
    if decision_file is not None:
        task.decision_file = decision_file
    task.full_clean(exclude=["cadre", "owner_unit", "position", "evaluated_by"])
    task.save()
    return task


@transaction.atomic
def do_report_progress(
    cadre: User,
    task: BreakthroughTask,
    percent: int,
    narrative: str,
    evidence: File | None = None,
) -> TaskProgress:
    """The cadre reports how far the task has come; a task under way moves to in progress."""
    task = _task_in_scope(cadre, task)
    if task.cadre_id != cadre.pk:
        raise PermissionDenied(_("Chỉ cán bộ chịu trách nhiệm báo cáo tiến độ."))
    _check_open(task)
    if task.status == TaskStatus.PROPOSED:
        raise ValidationError(_("Nhiệm vụ chưa được phê duyệt."))
    report = TaskProgress(
        task=task,
        date=local_today(),
        percent=percent,
        narrative=narrative.strip(),
        reported_by=cadre,
    )
    if evidence is not None:
        report.evidence = evidence
    report.full_clean(exclude=["task", "reported_by"])
    report.save()
    if task.status == TaskStatus.APPROVED:
        task.status = TaskStatus.IN_PROGRESS
        task.save(update_fields=["status"])
    return report


@transaction.atomic
def do_reach_milestone(actor: User, milestone: TaskMilestone) -> TaskMilestone:
    """The cadre (or the office) marks a milestone reached today."""
    task = _task_in_scope(actor, milestone.task)
    if task.cadre_id != actor.pk and not may(actor, "assignments.evaluate_task", task):
        raise PermissionDenied(_("Chỉ cán bộ chịu trách nhiệm hoặc văn phòng cập nhật mốc."))
    _check_open(task)
    milestone.done_on = local_today()
    milestone.save(update_fields=["done_on"])
    return milestone


@transaction.atomic
def do_request_extension(
    cadre: User, task: BreakthroughTask, new_deadline: datetime.date, reason: str
) -> ExtensionRequest:
    """The cadre asks for more time, with a reason; the office decides."""
    task = _task_in_scope(cadre, task)
    if task.cadre_id != cadre.pk:
        raise PermissionDenied(_("Chỉ cán bộ chịu trách nhiệm đề nghị gia hạn."))
    _check_open(task)
    if new_deadline <= task.deadline:
        raise ValidationError({"new_deadline": _("Hạn mới phải sau hạn hiện tại.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Hãy ghi lý do gia hạn.")})
    if task.extensions.filter(status=ExtensionStatus.PENDING).exists():
        raise ValidationError(_("Đã có một đề nghị gia hạn đang chờ quyết định."))
    return ExtensionRequest.objects.create(
        task=task, new_deadline=new_deadline, reason=reason.strip(), requested_by=cadre
    )


@transaction.atomic
def do_decide_extension(
    office: User, request: ExtensionRequest, approve: bool, comment: str = ""
) -> ExtensionRequest:
    """Only the office grants or refuses an extension; granting moves the deadline."""
    task = _task_in_scope(office, request.task)
    _check_office(office, task)
    _check_open(task)
    request = ExtensionRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != ExtensionStatus.PENDING:
        raise ValidationError(_("Đề nghị này đã được quyết định."))
    request.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
    request.decided_by, request.decided_at, request.decision_comment = (
        office,
        timezone.now(),
        comment,
    )
    request.save()
    if approve:
        task.deadline, task.status = request.new_deadline, TaskStatus.EXTENDED
        task.save(update_fields=["deadline", "status"])
    return request


@transaction.atomic
def do_evaluate_task(
    office: User, task: BreakthroughTask, result: str, comment: str
) -> BreakthroughTask:
    """The year-end evaluation: completed, completed late or not completed. Then it is locked."""
    task = _task_in_scope(office, task)
    _check_office(office, task)
    _check_open(task)
    if result not in TaskResult.values:
        raise ValidationError({"result": _("Hãy chọn kết quả.")})
    task.result, task.evaluation = result, comment.strip()
    task.status = TaskStatus.NOT_DONE if result == TaskResult.NOT_COMPLETED else TaskStatus.DONE
    task.evaluated_by, task.evaluated_at = office, timezone.now()
    task.save(update_fields=["result", "evaluation", "status", "evaluated_by", "evaluated_at"])
    return task


@dataclass(frozen=True)
class YearSummary:
    year: int
    total: int
    commissioned: int
    completed: int
    completed_late: int
    not_completed: int
    commissioned_completed: int
    open: int
    overdue: int


def year_summary(
    user: User, year: int, tasks: BreakthroughTaskQuerySet | None = None
) -> YearSummary:
    """The article's figures for a year: how many tasks, how many commissioned, how many done;
    of the person's whole scope, or of ``tasks`` (already through the gate) when given."""
    tasks = (tasks if tasks is not None else BreakthroughTask.objects.visible_to(user)).filter(
        year=year
    )
    today = local_today()
    done = [TaskResult.COMPLETED, TaskResult.COMPLETED_LATE]
    counts = tasks.aggregate(
        total=Count("pk"),
        commissioned=Count("pk", filter=Q(kind=TaskKind.COMMISSIONED)),
        completed=Count("pk", filter=Q(result=TaskResult.COMPLETED)),
        completed_late=Count("pk", filter=Q(result=TaskResult.COMPLETED_LATE)),
        not_completed=Count("pk", filter=Q(result=TaskResult.NOT_COMPLETED)),
        commissioned_completed=Count("pk", filter=Q(kind=TaskKind.COMMISSIONED, result__in=done)),
        open=Count("pk", filter=~Q(status__in=TaskStatus.closed())),
        overdue=Count("pk", filter=~Q(status__in=TaskStatus.closed()) & Q(deadline__lt=today)),
    )
    return YearSummary(year=year, **counts)
