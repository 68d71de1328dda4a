"""A person's meetings as an iCalendar feed, for the calendar app of their phone.

The cell meetings of their areas, from two months back to six months ahead, through the same
gate as the pages; a moved meeting keeps its UID with a higher SEQUENCE, a cancelled one stays
with STATUS:CANCELLED, so that calendars that subscribed update it rather than keep the old one.
Times are Hà Nội's (TZID=Asia/Ho_Chi_Minh, with its VTIMEZONE).
"""

from __future__ import annotations

import datetime
import zoneinfo
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from assignments.models import Assignment
from visits.models import Meeting, MeetingKind, MeetingStatus

if TYPE_CHECKING:
    from accounts.models import User

PAST, AHEAD = datetime.timedelta(days=62), datetime.timedelta(days=183)
# Hướng dẫn 42-HD/BTCTW: a regular meeting lasts at least 90 minutes, 120 with a thematic topic.
LASTS = {
    MeetingKind.REGULAR: datetime.timedelta(minutes=90),
    MeetingKind.THEMATIC: datetime.timedelta(minutes=120),
}


def meetings_for(user: User, today: datetime.date) -> list[Meeting]:
    """The meetings of the cells ``user`` oversees today, within the feed's window."""
    units = [
        a.unit for a in Assignment.objects.filter(member=user).open_on(today).select_related("unit")
    ]
    if not units:
        return []
    return list(
        Meeting.objects.visible_to(user)
        .within(*units)
        .filter(date__gte=today - PAST, date__lte=today + AHEAD)
        .select_related("cell", "cell__parent")
        .order_by("date", "time", "pk")
    )


def meetings_calendar(user: User, today: datetime.date) -> bytes:
    """The iCalendar text of ``user``'s meetings."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    calendar = Calendar()
    calendar.add("prodid", "-//Cong theo doi co so//vi")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _("Sinh hoạt chi bộ — %(name)s") % {"name": user.get_full_name()})
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    stamp = timezone.now()
    host = urlparse(settings.SITE_URL).netloc
    for meeting in meetings_for(user, today):
        event = Event()
        event.add("uid", f"meeting-{meeting.pk}@{host}")
        event.add("dtstamp", stamp)
        kind = _("chuyên đề") if meeting.kind == MeetingKind.THEMATIC else _("thường kỳ")
        summary = _("Sinh hoạt chi bộ %(kind)s: %(cell)s") % {
            "kind": kind,
            "cell": meeting.cell.name,
        }
        event.add("summary", f"{summary} — {meeting.topic}" if meeting.topic else summary)
        if meeting.time is None:
            event.add("dtstart", meeting.date)  # a whole day: no hour was set
        else:
            start = datetime.datetime.combine(meeting.date, meeting.time, tzinfo=zone)
            event.add("dtstart", start)
            event.add(
                "dtend", start + LASTS.get(MeetingKind(meeting.kind), LASTS[MeetingKind.REGULAR])
            )
        if meeting.place:
            event.add("location", meeting.place)
        cancelled = meeting.status == MeetingStatus.CANCELLED
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        event.add("sequence", int(meeting.original_date is not None) + int(cancelled))
        url = settings.SITE_URL + reverse("meeting-detail", args=[meeting.pk])
        event.add("url", url)
        lines = [
            meeting.cell.parent.name if meeting.cell.parent else "",
            meeting.change_reason,
            url,
        ]
        event.add("description", "\n".join(line for line in lines if line))
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
