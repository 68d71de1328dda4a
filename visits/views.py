"""Pages of the members' daily job: my work, logging a visit, the review queue, a meeting."""

import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import CalendarFeed, Position, User
from accounts.rights import may, may_somewhere, require
from accounts.services import do_renew_calendar_feed
from assignments.models import Assignment
from oversight.clock import local_today
from oversight.forms import attach_errors
from oversight.http import PortalRequest, id_from, redirect_to_next, unit_or_404, uuid_from
from oversight.models import Level, Unit
from oversight.paging import read_page
from oversight.uploads import serve_attachment
from visits import offline
from visits.calendar import meetings_calendar
from visits.forms import (
    MeetingChangeForm,
    MeetingScoreForm,
    PolicyForm,
    ReturnForm,
    ScheduleForm,
    ThematicMeetingForm,
    VisitForm,
)
from visits.models import (
    ALREADY_LOGGED_MESSAGE,
    REPLAY_CONFLICT_MESSAGE,
    AttendancePolicy,
    Meeting,
    MeetingSchedule,
    ReminderKind,
    ReminderOptOut,
    ScoreSheet,
    Visit,
    VisitKind,
    VisitStatus,
    add_months,
)
from visits.progress import member_progress
from visits.reminders import read_unsubscribe_token
from visits.services import (
    POLICY_RIGHT,
    do_accept_visit,
    do_accept_visits,
    do_add_thematic_meeting,
    do_cancel_meeting,
    do_move_meeting,
    do_return_visit,
    do_save_visit,
    do_score_meeting,
    do_set_policy,
    do_set_schedule,
    do_submit_visit,
)

REVIEW_PAGE_SIZE = 50


def _error_text(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


@login_required
def my_work(request: PortalRequest) -> HttpResponse:
    """One screen: my areas, this month's meetings in them, what I logged, what is still due."""
    user = request.user
    today = local_today()
    assignments = list(
        Assignment.objects.filter(member=user).open_on(today).select_related("unit", "term")
    )
    meetings = list(
        Meeting.objects.in_month(today)
        .within(*[a.unit for a in assignments])
        .as_rows()
        .order_by("date", "cell__path")
    )
    mine = {
        visit.meeting_id: visit
        for visit in Visit.objects.filter(member=user, meeting__any=[m.pk for m in meetings]).only(
            "meeting", "status"
        )
    }
    rows = [(meeting, mine.get(meeting.pk)) for meeting in meetings]
    recent = Visit.objects.filter(member=user).as_rows().order_by("-updated_at")[:10]
    context = {
        "today": today,
        "progress": member_progress(user, assignments, today),
        "rows": rows,
        "recent": recent,
        "returned": [v for v in recent if v.status == VisitStatus.RETURNED],
    }
    return render(request, "visits/my_work.html", context)


def _member_for(request: PortalRequest) -> Any:
    """The member a visit is logged for: oneself, or (office staff) a member in scope."""
    member_id = request.GET.get("member") or request.POST.get("member")
    if not member_id or str(member_id) == str(request.user.pk):
        return request.user
    if not may_somewhere(request.user, "visits.log_visit_on_behalf"):
        raise PermissionDenied
    positions = Position.objects.visible_to(request.user).current().select_related("user")
    position = positions.filter(user_id=id_from(str(member_id))).first()
    if position is None:
        raise Http404
    return position.user


@login_required
def visit_create(request: PortalRequest) -> HttpResponse:
    """Log a visit: to a meeting (``?meeting=ID``, prefilled) or a field visit (``?kind=field``)."""
    member = _member_for(request)
    token = request.POST.get("client_token")
    outbox = offline.wants_outbox_reply(request)
    existing = None
    if token:
        token = str(uuid_from(token, "client_token"))
        # A second click on "Gửi", or the outbox sending again after a lost reply, sends the
        # same token: it lands on the visit the first one made.
        existing = (
            Visit.objects.visible_to(request.user)
            .select_related("meeting")
            .filter(client_token=token)
            .first()
        )
        if existing is not None and not outbox:
            return redirect("visit-detail", existing.pk)
    visit = Visit(member=member, logged_by=request.user)
    meeting_id = request.GET.get("meeting") or request.POST.get("meeting")
    if meeting_id:
        meeting = get_object_or_404(
            Meeting.objects.visible_to(request.user).select_related("cell"),
            pk=id_from(meeting_id),
        )
        earlier = Visit.objects.filter(member=member, meeting=meeting).first()
        if earlier is not None and existing is None:
            if outbox:
                message = str(ALREADY_LOGGED_MESSAGE)
                return offline.refused(token or "", message, {"visit": [earlier.pk]}, 409)
            return redirect("visit-detail", earlier.pk)
        visit.kind, visit.meeting, visit.unit, visit.date = (
            VisitKind.MEETING,
            meeting,
            meeting.cell,
            meeting.date,
        )
    else:
        visit.kind = VisitKind.FIELD
    if token:
        visit.client_token = token
    if existing is not None:
        return _replayed(request, visit, existing)
    return _visit_form(request, visit)


def _replayed(request: PortalRequest, visit: Visit, existing: Visit) -> HttpResponse:
    """The outbox sent a visit whose client id already made one: the same content is done
    (200, that visit), other content a conflict naming the fields that differ (409)."""
    form = VisitForm(request.POST, request.FILES, instance=visit)
    differing = offline.replay_differences(form, existing)
    if not differing:
        return offline.saved(existing, 200)
    message = REPLAY_CONFLICT_MESSAGE % {"fields": ", ".join(differing)}
    return offline.refused(str(existing.client_token), message, {"fields": differing}, 409)


@login_required
def visit_edit(request: PortalRequest, pk: int) -> HttpResponse:
    visit = get_object_or_404(
        Visit.objects.visible_to(request.user).select_related("meeting"), pk=pk
    )
    if not visit.is_editable:
        messages.info(request, _("Bản ghi đã gửi hoặc đã duyệt, không sửa được nữa."))
        return redirect("visit-detail", visit.pk)
    return _visit_form(request, visit)


def _visit_form(request: PortalRequest, visit: Visit) -> HttpResponse:
    form = VisitForm(request.POST or None, request.FILES or None, instance=visit)
    outbox = request.method == "POST" and offline.wants_outbox_reply(request)
    if request.method == "POST" and form.is_valid():
        try:
            visit = do_save_visit(request.user, form.instance, submit="submit" in request.POST)
        except ValidationError as error:
            attach_errors(form, error)
        except IntegrityError:
            form.add_error(None, ALREADY_LOGGED_MESSAGE)
        else:
            if outbox:
                return offline.saved(visit, 201)
            if visit.status == VisitStatus.SUBMITTED:
                messages.success(request, _("Đã gửi để văn phòng duyệt."))
            else:
                messages.success(request, _("Đã lưu nháp."))
            return redirect("visit-detail", visit.pk)
    status = 400 if request.method == "POST" else 200
    if outbox:
        errors = {
            str(form.fields[name].label) if name in form.fields else "": list(messages_)
            for name, messages_ in form.errors.items()
        }
        message = _("Bản ghi chưa được nhận: hãy sửa rồi gửi lại.")
        return offline.refused(str(visit.client_token), message, errors, 400)
    context = {"form": form, "visit": visit, "score_fields": form.score_field_names()}
    return render(request, "visits/visit_form.html", context, status=status)


@login_required
def visit_detail(request: PortalRequest, pk: int) -> HttpResponse:
    visit = get_object_or_404(
        Visit.objects.visible_to(request.user).select_related(
            "member", "logged_by", "unit", "meeting", "reviewed_by"
        ),
        pk=pk,
    )
    history = list(visit.history.select_related("history_user").order_by("-history_date")[:30])
    can_review = (
        may(request.user, "visits.review_visit", visit)
        and visit.status == VisitStatus.SUBMITTED
        and visit.member_id != request.user.pk
    )
    context = {
        "visit": visit,
        "history": history,
        "can_review": can_review,
        "return_form": ReturnForm(),
        "criteria": _criteria_rows(visit),
    }
    return render(request, "visits/visit_detail.html", context)


def _criteria_rows(visit: Visit) -> list[tuple[str, int, int]]:
    if not visit.score_points:
        return []
    # The sheet it was scored with, whatever sheet is in force today.
    sheet = visit.score_sheet or ScoreSheet.for_unit(visit.unit, on=visit.date)
    return [(c.name, visit.score_points.get(c.code, 0), c.max_points) for c in sheet.criteria.all()]


@login_required
@require_POST
def visit_submit(request: PortalRequest, pk: int) -> HttpResponse:
    visit = get_object_or_404(Visit.objects.visible_to(request.user), pk=pk)
    try:
        do_submit_visit(request.user, visit)
        messages.success(request, _("Đã gửi để văn phòng duyệt."))
    except ValidationError as error:
        messages.error(request, _error_text(error))
    return redirect("visit-detail", pk)


@login_required
@require_POST
def visit_review(request: PortalRequest, pk: int) -> HttpResponse:
    """Accept, or return with a comment, one visit."""
    visit = get_object_or_404(Visit.objects.visible_to(request.user), pk=pk)
    try:
        if request.POST.get("action") == "return":
            do_return_visit(request.user, visit, request.POST.get("review_comment", ""))
            messages.success(request, _("Đã trả lại cho cấp ủy viên."))
        else:
            do_accept_visit(request.user, visit)
            messages.success(request, _("Đã duyệt."))
    except ValidationError as error:
        messages.error(request, _error_text(error))
    return redirect_to_next(request, "review-queue")


@login_required
def visit_attachment(request: PortalRequest, pk: int) -> FileResponse:
    """Serve an attachment only to those who may see the visit; files live outside the web root."""
    visit = get_object_or_404(Visit.objects.visible_to(request.user), pk=pk)
    if not visit.attachment:
        raise Http404
    return serve_attachment(visit.attachment, f"ghi-nhan-{visit.pk}")


def _month_param(value: str) -> datetime.date | None:
    try:
        return datetime.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        return None


@login_required
@permission_required("visits.review_visit", raise_exception=True)
def review_queue(request: PortalRequest) -> HttpResponse:
    """Submitted visits in my subtree, filtered by unit, member and month; accept in bulk."""
    if request.method == "POST":
        ids = [int(v) for v in request.POST.getlist("visit") if v.isdigit()]
        accepted = do_accept_visits(request.user, ids)
        messages.success(request, _("Đã duyệt %(count)s bản ghi.") % {"count": accepted})
        return redirect(request.get_full_path())
    waiting = Visit.objects.awaiting_review_by(request.user)
    unit_code = request.GET.get("unit", "")
    if unit_code:
        unit = unit_or_404(Unit.objects.visible_to(request.user), unit_code)
        waiting = waiting.within(unit)
    member = request.GET.get("member", "")
    if member.isdigit():
        waiting = waiting.filter(member_id=int(member))
    month = _month_param(request.GET.get("month", ""))
    if month:
        waiting = waiting.filter(date__gte=month, date__lt=add_months(month, 1))
    members = (
        Visit.objects.awaiting_review_by(request.user)
        .order_by()
        .values_list("member_id", "member__full_name", "member__username")
        .distinct()
    )
    units = list(
        Unit.objects.visible_to(request.user).filter(level__in=[Level.DISTRICT, Level.COMMUNE])[
            :500
        ]
    )
    page = read_page(
        waiting.select_related("member", "unit", "unit__parent", "meeting").order_by("date", "pk"),
        REVIEW_PAGE_SIZE,
        request.GET.get("page"),
    )
    context = {
        "page": page,
        "units": units,
        "members": sorted(members, key=lambda m: m[1] or m[2]),
        "filters": {"unit": unit_code, "member": member, "month": request.GET.get("month", "")},
        "filter_query": "&"
        + urlencode({"unit": unit_code, "member": member, "month": request.GET.get("month", "")}),
    }
    return render(request, "visits/review_queue.html", context)


@login_required
def meeting_detail(request: PortalRequest, pk: int) -> HttpResponse:
    """A meeting: who logged it, the cell's own score; staff move or cancel it."""
    meeting = get_object_or_404(
        Meeting.objects.visible_to(request.user).select_related("cell", "cell__parent"), pk=pk
    )
    change_form = MeetingChangeForm(request.POST if "change" in request.POST else None)
    score_form = MeetingScoreForm(
        request.POST if "score" in request.POST else None, meeting=meeting
    )
    if request.method == "POST":
        try:
            if "change" in request.POST and change_form.is_valid():
                data = change_form.cleaned_data
                if request.POST["change"] == "cancel":
                    do_cancel_meeting(request.user, meeting, data["change_reason"])
                elif data["new_date"]:
                    do_move_meeting(request.user, meeting, data["new_date"], data["change_reason"])
                else:
                    change_form.add_error("new_date", _("Hãy chọn ngày mới."))
            elif "score" in request.POST and score_form.is_valid():
                points = score_form.score_points()
                if points:
                    do_score_meeting(request.user, meeting, points)
        except ValidationError as error:
            attach_errors(change_form if "change" in request.POST else score_form, error)
        if not change_form.errors and not score_form.errors:
            messages.success(request, _("Đã lưu."))
            return redirect("meeting-detail", meeting.pk)
    visits = list(meeting.visits.visible_to(request.user).select_related("member"))
    can_edit = may(request.user, "visits.change_meeting", meeting)
    assigned = (
        Assignment.objects.filter(member=request.user).covering(meeting.cell).open_on().exists()
    )
    context = {
        "meeting": meeting,
        "visits": visits,
        "change_form": change_form,
        "score_form": score_form,
        "can_edit": can_edit,
        "can_log": assigned and not meeting.is_cancelled and meeting.date <= local_today(),
        "status_code": 400 if request.method == "POST" else 200,
    }
    return render(request, "visits/meeting_detail.html", context, status=context["status_code"])


@login_required
@permission_required("visits.change_meetingschedule", raise_exception=True)
def schedule_edit(request: PortalRequest, code: str) -> HttpResponse:
    """A cell's regular meeting day, time and place."""
    cell = unit_or_404(Unit.objects.visible_to(request.user).filter(level=Level.CELL), code)
    require(request.user, "visits.change_meetingschedule", cell, _("Bạn không sửa được lịch này."))
    current = MeetingSchedule.objects.filter(cell=cell).first() or MeetingSchedule(cell=cell)
    form = ScheduleForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        do_set_schedule(request.user, cell, data["day_of_month"], data["time"], data["place"])
        messages.success(request, _("Đã lưu lịch sinh hoạt."))
        return redirect("unit-detail", cell.code)
    status = 400 if request.method == "POST" else 200
    return render(request, "visits/schedule_form.html", {"cell": cell, "form": form}, status=status)


@login_required
@permission_required("visits.add_meeting", raise_exception=True)
def thematic_meeting_add(request: PortalRequest, code: str) -> HttpResponse:
    """Schedule a thematic meeting of a cell (its overseers are reminded of it)."""
    cell = unit_or_404(Unit.objects.visible_to(request.user).filter(level=Level.CELL), code)
    require(request.user, "visits.add_meeting", cell, _("Bạn không thêm được buổi cho chi bộ này."))
    form = ThematicMeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = do_add_thematic_meeting(
                request.user, cell, data["date"], data["topic"], data["time"], data["place"]
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, _("Đã thêm buổi sinh hoạt chuyên đề."))
            return redirect("meeting-detail", meeting.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "visits/thematic_form.html", {"cell": cell, "form": form}, status=status)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: PortalRequest, token: str) -> HttpResponse:
    """The link in every reminder, no login needed, unforgeable: a GET asks to confirm (mail
    scanners open links), a POST stops that kind of reminder. The signed token is what
    authorises it, so it needs no CSRF token (mail clients post it bare, RFC 8058)."""
    try:
        user_id, kind = read_unsubscribe_token(token)
    except signing.SignatureExpired:
        return render(request, "reminders/unsubscribe_expired.html", status=410)
    except signing.BadSignature:
        raise Http404 from None
    if kind not in ReminderKind.values or not User.objects.filter(pk=user_id).exists():
        raise Http404
    mandatory = kind in ReminderKind.mandatory()
    stopped = request.method == "POST" and not mandatory
    if stopped:
        ReminderOptOut.objects.get_or_create(user_id=user_id, kind=kind)
    context = {"kind_label": ReminderKind(kind).label, "mandatory": mandatory, "stopped": stopped}
    return render(request, "reminders/unsubscribed.html", context)


@login_required
def reminder_settings(request: PortalRequest) -> HttpResponse:
    """Which reminders the person receives; escalations to office staff cannot be stopped."""
    optional = [k for k in ReminderKind if k not in ReminderKind.mandatory()]
    if request.method == "POST":
        wanted = set(request.POST.getlist("kind"))
        with transaction.atomic():
            ReminderOptOut.objects.filter(user=request.user).delete()
            ReminderOptOut.objects.bulk_create(
                ReminderOptOut(user=request.user, kind=kind)
                for kind in optional
                if kind not in wanted
            )
        messages.success(request, _("Đã lưu."))
        return redirect("reminder-settings")
    stopped = set(request.user.reminder_opt_outs.values_list("kind", flat=True))
    rows = [(kind, kind.label, kind not in stopped) for kind in optional]
    return render(
        request, "reminders/settings.html", {"rows": rows, "mandatory": ReminderKind.mandatory()}
    )


@login_required
def calendar_settings(request: PortalRequest) -> HttpResponse:
    """The person's secret calendar address, to subscribe a phone's calendar; renewing it (a
    lost phone, a shared link) makes the old address stop working."""
    if request.method == "POST":
        do_renew_calendar_feed(request.user)
        messages.success(request, _("Đã tạo liên kết lịch mới; liên kết cũ không còn dùng được."))
        return redirect("calendar-settings")
    feed = CalendarFeed.objects.filter(user=request.user).first()
    address = (
        request.build_absolute_uri(reverse("calendar-feed", args=[feed.token])) if feed else ""
    )
    return render(request, "visits/calendar_settings.html", {"feed": feed, "address": address})


@require_http_methods(["GET", "HEAD"])
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed itself, no login: a calendar app cannot sign in, so the secret token in the
    address is the credential (a renewed or unknown one is a 404)."""
    feed = get_object_or_404(
        CalendarFeed.objects.select_related("user"), token=token, user__is_active=True
    )
    body = meetings_calendar(feed.user, local_today())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=900"
    response["Content-Disposition"] = 'inline; filename="sinh-hoat-chi-bo.ics"'
    return response


@login_required
def attendance_rules(request: PortalRequest) -> HttpResponse:
    """The attendance policies that judge a province's members, with their dates of force, and
    the province's own policy from a day on (its office)."""
    if not may_somewhere(request.user, POLICY_RIGHT):
        raise PermissionDenied
    provinces = (
        Unit.objects.visible_to(request.user).active().filter(level=Level.PROVINCE).order_by("code")
    )
    code = request.POST.get("province") or request.GET.get("province", "")
    province = unit_or_404(provinces, code) if code else provinces.first()
    if province is None:
        raise Http404
    form = PolicyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            do_set_policy(
                request.user,
                province,
                level=data["level"],
                role=data["role"],
                period=data["period"],
                required_meetings=data["required_meetings"],
                valid_from=data["valid_from"],
                note=data["note"],
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, _("Đã đặt định mức mới của tỉnh."))
            return redirect(f"{reverse('attendance-rules')}?province={province.code}")
    policies = (
        AttendancePolicy.objects.applying_to(province)
        .select_related("province")
        .order_by("level", "role", "province__code", "valid_from")
    )
    context = {
        "province": province,
        "provinces": list(provinces),
        "policies": list(policies),
        "today": local_today(),
        "form": form,
        "may_set": may(request.user, POLICY_RIGHT, province),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "visits/attendance_rules.html", context, status=status)
