"""The calendar feed: a person's meetings for their phone, behind a secret address they renew."""

import datetime

from django.urls import reverse
from icalendar import Calendar, Event

from accounts.models import CalendarFeed
from accounts.services import do_renew_calendar_feed
from tests.clock import TODAY
from tests.conftest import fresh
from visits.models import Meeting
from visits.services import do_cancel_meeting, do_move_meeting


def events(client, token: str) -> dict[str, Event]:
    response = client.get(reverse("calendar-feed", args=[token]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    return {str(e["uid"]): e for e in Calendar.from_ical(response.content).walk("VEVENT")}


def test_the_feed_holds_the_members_meetings_only_in_hanoi_time(client, oversight, tree):
    evening = Meeting.objects.create(
        cell=tree.cell_a, kind="thematic", date=TODAY + datetime.timedelta(days=5),
        time=datetime.time(19, 30), place="Nhà văn hóa thôn Nà Mô", topic="Chuyển đổi số",
    )  # fmt: skip
    feed = do_renew_calendar_feed(oversight.district_member)
    found = events(client, feed.token)  # no login: a calendar app cannot sign in
    uids = {int(uid.split("@")[0].removeprefix("meeting-")) for uid in found}
    assert evening.pk in uids and oversight.meeting_a.pk in uids
    # The district member oversees cell C01-01 only: not its sister cell, not the other district.
    assert oversight.meeting_a2.pk not in uids and oversight.meeting_b.pk not in uids
    event = next(e for uid, e in found.items() if uid.startswith(f"meeting-{evening.pk}@"))
    start = event.decoded("dtstart")
    assert (start.hour, start.minute, str(start.tzinfo)) == (19, 30, "Asia/Ho_Chi_Minh")
    assert event.decoded("dtend") - start == datetime.timedelta(minutes=120)
    assert "Nà Mô" in str(event["summary"]) and str(event["location"]) == evening.place


def test_moved_and_cancelled_meetings_update_in_the_calendar(client, people, oversight):
    feed = do_renew_calendar_feed(oversight.district_member)
    uid = f"meeting-{oversight.meeting_a.pk}@"
    office = fresh(people.commune_a_staff)
    moved = do_move_meeting(
        office, oversight.meeting_a, oversight.meeting_a.date.replace(day=20), "Mùa vụ"
    )
    event = next(e for key, e in events(client, feed.token).items() if key.startswith(uid))
    assert event.decoded("dtstart").day == 20 and int(event["sequence"]) == 1
    do_cancel_meeting(office, moved, "Bão lũ")
    event = next(e for key, e in events(client, feed.token).items() if key.startswith(uid))
    assert str(event["status"]) == "CANCELLED" and int(event["sequence"]) == 2


def test_renewing_the_address_stops_the_old_one(client, oversight):
    client.force_login(oversight.district_member)
    assert client.get(reverse("calendar-settings")).context["feed"] is None
    client.post(reverse("calendar-settings"))
    first = CalendarFeed.objects.get(user=oversight.district_member).token
    page = client.get(reverse("calendar-settings"))
    assert first in page.context["address"]
    client.post(reverse("calendar-settings"))
    second = CalendarFeed.objects.get(user=oversight.district_member).token
    assert second != first
    client.logout()
    assert client.get(reverse("calendar-feed", args=[first])).status_code == 404
    assert client.get(reverse("calendar-feed", args=[second])).status_code == 200
    assert client.get(reverse("calendar-feed", args=["khong-co-that"])).status_code == 404


def test_a_person_who_left_has_no_feed(client, oversight):
    feed = do_renew_calendar_feed(oversight.district_member)
    oversight.district_member.is_active = False
    oversight.district_member.save()
    assert client.get(reverse("calendar-feed", args=[feed.token])).status_code == 404


def test_the_feed_costs_the_same_queries_whatever_the_meetings(
    client, oversight, tree, django_assert_num_queries
):
    feed = do_renew_calendar_feed(oversight.district_member)
    with django_assert_num_queries(5):
        client.get(reverse("calendar-feed", args=[feed.token]))
    for offset in range(20):
        Meeting.objects.create(
            cell=tree.cell_a, kind="thematic", date=TODAY + datetime.timedelta(days=offset)
        )
    with django_assert_num_queries(5):
        client.get(reverse("calendar-feed", args=[feed.token]))
