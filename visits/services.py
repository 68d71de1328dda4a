"""The writes of the visit workflow (log, submit, accept, return) and the compliance sums.

Every function takes the acting person first, checks what they may do, and runs in one
transaction; a state change locks the visit's row so that two clicks cannot both win.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.rights import may, may_somewhere, require
from oversight.clock import local_today
from oversight.models import Unit
from visits import reminders, tasks
from visits.models import (
    AttendancePolicy,
    Meeting,
    MeetingKind,
    MeetingSchedule,
    MeetingStatus,
    ScoreSheet,
    Visit,
    VisitStatus,
    add_months,
    month_start,
)

if TYPE_CHECKING:
    from accounts.models import User


def may_log_for(actor: User, member: User, unit: Unit | None = None) -> bool:
    """A member logs their own visits; office staff may log for members, in the subtree of the
    position that gives them the right (anywhere they hold it, when no unit is known yet)."""
    if actor.pk == member.pk:
        return True
    if unit is None:
        return may_somewhere(actor, "visits.log_visit_on_behalf")
    return may(actor, "visits.log_visit_on_behalf", unit)


def _locked(actor: User, visit: Visit) -> Visit:
    """Re-read ``visit`` through the scoping gate, locked for this transaction (404 if hidden)."""
    try:
        return Visit.objects.visible_to(actor).select_for_update().get(pk=visit.pk)
    except Visit.DoesNotExist:
        raise PermissionDenied(_("Không tìm thấy bản ghi trong phạm vi của bạn.")) from None


@transaction.atomic
def do_save_visit(actor: User, visit: Visit, *, submit: bool = False) -> Visit:
    """Save a new or edited visit (validated by the model's rules), optionally sending it."""
    if not may_log_for(actor, visit.member):
        raise PermissionDenied(_("Bạn không thể ghi nhận thay người khác."))
    if visit.pk:
        current = _locked(actor, visit)
        if not current.is_editable:
            raise ValidationError(_("Bản ghi đã gửi hoặc đã duyệt, không sửa được nữa."))
    else:
        visit.logged_by = actor
    visit.full_clean()
    if not may_log_for(actor, visit.member, visit.unit):
        raise PermissionDenied(_("Quyền ghi thay của bạn không bao gồm đơn vị này."))
    if submit:
        visit.status = VisitStatus.SUBMITTED
        visit.submitted_at = timezone.now()
    visit.save()
    if not Visit.objects.visible_to(actor).filter(pk=visit.pk).exists():
        # The written row must stay inside what its author may see (NetBox's rule).
        raise PermissionDenied(_("Đơn vị này nằm ngoài phạm vi của bạn."))
    return visit


@transaction.atomic
def do_submit_visit(actor: User, visit: Visit) -> Visit:
    """Send a draft (or a returned visit, once mended) for review."""
    visit = _locked(actor, visit)
    if not may_log_for(actor, visit.member, visit.unit):
        raise PermissionDenied(_("Bạn không thể gửi bản ghi của người khác."))
    if not visit.is_editable:
        raise ValidationError(_("Bản ghi này đã được gửi."))
    visit.full_clean()
    visit.status = VisitStatus.SUBMITTED
    visit.submitted_at = timezone.now()
    visit.save(update_fields=["status", "submitted_at", "updated_at"])
    return visit


def _check_reviewer(reviewer: User, visit: Visit) -> None:
    require(reviewer, "visits.review_visit", visit, _("Bạn không có quyền duyệt bản ghi này."))
    if visit.member_id == reviewer.pk:
        raise PermissionDenied(_("Không tự duyệt bản ghi của mình."))
    if visit.status != VisitStatus.SUBMITTED:
        raise ValidationError(
            _("Chỉ duyệt được bản ghi đang chờ duyệt (bản ghi này: %(status)s).")
            % {"status": visit.get_status_display()}
        )


@transaction.atomic
def do_accept_visit(reviewer: User, visit: Visit) -> Visit:
    """Accept a submitted visit; it is locked from then on."""
    visit = _locked(reviewer, visit)
    _check_reviewer(reviewer, visit)
    visit.status = VisitStatus.ACCEPTED
    visit.reviewed_by, visit.reviewed_at, visit.review_comment = reviewer, timezone.now(), ""
    visit.accepted_late = visit.reviewed_at > visit.closes_at()
    visit.save(
        update_fields=[
            "status",
            "reviewed_by",
            "reviewed_at",
            "review_comment",
            "accepted_late",
            "updated_at",
        ]
    )
    return visit


@transaction.atomic
def do_return_visit(reviewer: User, visit: Visit, comment: str) -> Visit:
    """Send a visit back to its member with a comment; they can edit and send it again."""
    comment = comment.strip()
    if not comment:
        raise ValidationError({"review_comment": _("Hãy ghi lý do trả lại.")})
    visit = _locked(reviewer, visit)
    _check_reviewer(reviewer, visit)
    visit.status = VisitStatus.RETURNED
    visit.reviewed_by, visit.reviewed_at, visit.review_comment = reviewer, timezone.now(), comment
    visit.save(
        update_fields=["status", "reviewed_by", "reviewed_at", "review_comment", "updated_at"]
    )
    # The member hears at once, and once: the reminder row is written in this transaction and
    # its sending queued only when the transaction commits.
    reminders.store(reminders.plan_returned_visit(visit))
    transaction.on_commit(tasks.dispatch_pending)
    return visit


@transaction.atomic
def do_accept_visits(reviewer: User, visit_ids: Iterable[int]) -> int:
    """Accept many submitted visits at once; ones no longer waiting are left as they are."""
    accepted = 0
    waiting = Visit.objects.awaiting_review_by(reviewer).filter(pk__in=list(visit_ids))
    for visit in waiting.select_for_update():
        do_accept_visit(reviewer, visit)
        accepted += 1
    return accepted


@transaction.atomic
def do_move_meeting(actor: User, meeting: Meeting, new_date: datetime.date, reason: str) -> Meeting:
    """Move a meeting within its month, keeping the scheduled date and the reason."""
    _check_meeting_editor(actor, meeting)
    if not reason.strip():
        raise ValidationError({"change_reason": _("Hãy ghi lý do đổi ngày.")})
    meeting.original_date = meeting.original_date or meeting.date
    meeting.date, meeting.change_reason = new_date, reason.strip()
    meeting.full_clean()
    meeting.save()
    return meeting


@transaction.atomic
def do_cancel_meeting(actor: User, meeting: Meeting, reason: str) -> Meeting:
    """Cancel a meeting with a reason; visits can no longer be logged against it."""
    _check_meeting_editor(actor, meeting)
    if not reason.strip():
        raise ValidationError({"change_reason": _("Hãy ghi lý do hủy.")})
    if meeting.visits.exists():
        raise ValidationError(_("Đã có cấp ủy viên ghi nhận dự buổi này, không hủy được."))
    meeting.status, meeting.change_reason = MeetingStatus.CANCELLED, reason.strip()
    meeting.save(update_fields=["status", "change_reason"])
    return meeting


def _check_meeting_editor(actor: User, meeting: Meeting) -> None:
    if not may_somewhere(actor, "visits.change_meeting"):
        raise PermissionDenied(_("Bạn không có quyền sửa lịch sinh hoạt."))
    if not Meeting.objects.visible_to(actor).filter(pk=meeting.pk).exists():
        raise PermissionDenied(_("Buổi sinh hoạt nằm ngoài phạm vi của bạn."))
    require(actor, "visits.change_meeting", meeting, _("Bạn không có quyền sửa buổi này."))


@transaction.atomic
def do_add_thematic_meeting(
    actor: User,
    cell: Unit,
    date: datetime.date,
    topic: str,
    time: datetime.time | None = None,
    place: str = "",
) -> Meeting:
    """Schedule a thematic meeting (sinh hoạt chuyên đề) of ``cell``: its overseers are reminded
    of it like of a regular one, and it counts for the quarter's thematic meetings."""
    if not may_somewhere(actor, "visits.add_meeting"):
        raise PermissionDenied(_("Bạn không có quyền thêm buổi sinh hoạt."))
    if not cell.is_visible_to(actor):
        raise PermissionDenied(_("Chi bộ nằm ngoài phạm vi của bạn."))
    require(actor, "visits.add_meeting", cell, _("Bạn không có quyền thêm buổi cho chi bộ này."))
    if not topic.strip():
        raise ValidationError({"topic": _("Hãy ghi chủ đề buổi sinh hoạt chuyên đề.")})
    meeting = Meeting(
        cell=cell,
        kind=MeetingKind.THEMATIC,
        month=month_start(date),
        date=date,
        time=time,
        place=place.strip(),
        topic=topic.strip(),
    )
    meeting.full_clean()
    meeting.save()
    return meeting


@transaction.atomic
def do_score_meeting(actor: User, meeting: Meeting, points: dict[str, int]) -> Meeting:
    """Record the cell's own score of its meeting (by its secretary or the office)."""
    _check_meeting_editor(actor, meeting)
    sheet = ScoreSheet.for_unit(meeting.cell, on=meeting.date)
    total, rating = sheet.evaluate(points)
    meeting.self_points, meeting.self_total, meeting.self_rating = points, total, rating
    meeting.self_sheet = sheet
    meeting.save(update_fields=["self_points", "self_total", "self_rating", "self_sheet"])
    return meeting


@transaction.atomic
def do_set_schedule(
    actor: User,
    cell: Unit,
    day_of_month: int,
    time: datetime.time | None = None,
    place: str = "",
) -> MeetingSchedule:
    """Set a cell's regular meeting day; its upcoming planned meetings follow the new day."""
    if not may_somewhere(actor, "visits.change_meetingschedule"):
        raise PermissionDenied(_("Bạn không có quyền sửa lịch sinh hoạt."))
    if not cell.is_visible_to(actor):
        raise PermissionDenied(_("Chi bộ nằm ngoài phạm vi của bạn."))
    require(
        actor, "visits.change_meetingschedule", cell, _("Bạn không có quyền sửa lịch chi bộ này.")
    )
    schedule = MeetingSchedule.objects.filter(cell=cell).first() or MeetingSchedule(cell=cell)
    schedule.day_of_month, schedule.time, schedule.place = day_of_month, time, place
    schedule.full_clean()
    schedule.save()
    today = local_today()
    upcoming = Meeting.objects.filter(
        cell=cell,
        kind=MeetingKind.REGULAR,
        date__gt=today,
        original_date__isnull=True,
        status=MeetingStatus.PLANNED,
    )
    for meeting in upcoming:
        meeting.date, meeting.time, meeting.place = schedule.date_in(meeting.month), time, place
        if meeting.date > today:
            meeting.save(update_fields=["date", "time", "place"])
    for month in (today.replace(day=1), add_months(today.replace(day=1), 1)):
        Meeting.objects.plan_month(month, cells=[cell])
    return schedule


POLICY_RIGHT = "visits.add_attendancepolicy"


@transaction.atomic
def do_set_policy(
    actor: User,
    province: Unit,
    *,
    level: str,
    role: str,
    period: str,
    required_meetings: int,
    valid_from: datetime.date,
    note: str = "",
) -> AttendancePolicy:
    """A province's own attendance policy for a level (and role) from ``valid_from`` on.

    The day is today or later: a period is judged by the policy in force on its first day, so a
    rule from a day to come never changes a period that has begun, let alone one that closed.
    The province's row it replaces ends the day before and stays, for the periods it judged.
    """
    require(actor, POLICY_RIGHT, province, _("Chỉ văn phòng tỉnh ủy đặt định mức của tỉnh mình."))
    if valid_from < local_today():
        raise ValidationError(
            {"valid_from": _("Định mức mới có hiệu lực từ hôm nay trở đi, không sửa quá khứ.")}
        )
    own = AttendancePolicy.objects.select_for_update().filter(
        province=province, level=level, role=role
    )
    if own.filter(valid_from__gte=valid_from).exists():
        raise ValidationError(
            {"valid_from": _("Đã có định mức của tỉnh từ ngày này hoặc muộn hơn.")}
        )
    for earlier in own.in_force(valid_from):
        earlier.valid_to = valid_from - datetime.timedelta(days=1)
        earlier.save(update_fields=["valid_to"])
    policy = AttendancePolicy(
        province=province, level=level, role=role, period=period,
        required_meetings=required_meetings, valid_from=valid_from, note=note.strip(),
    )  # fmt: skip
    policy.full_clean()
    policy.save()
    return policy
