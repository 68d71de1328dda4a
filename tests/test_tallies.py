"""The attendance summary: kept equal to the raw rows by every workflow, rebuilt by a command."""

import contextlib
import datetime
import io
import threading
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts.models import Position
from accounts.roles import Role
from accounts.services import do_end_position
from assignments.models import Assignment
from assignments.services import do_assign, do_end_assignment
from oversight.models import Level, Unit
from oversight.reporting.reports import compliance
from tests.clock import TODAY
from tests.conftest import fresh
from tests.factories import PositionFactory
from tests.support import across_each_other
from tests.test_reports import log
from visits.models import (
    AttendancePolicy,
    AttendanceTally,
    Meeting,
    Period,
    Rating,
    RatingTally,
    TallyRefresh,
    Visit,
    VisitKind,
    VisitStatus,
    add_months,
)
from visits.services import do_accept_visit, do_return_visit, do_save_visit, do_set_policy
from visits.tallies import (
    expected_tallies,
    finish_refreshes,
    horizon,
    rating_counts,
    rebuild_tallies,
    refresh_divergence,
    refresh_tallies,
)

THIS_MONTH = TODAY.replace(day=1)


FIELDS = ("assignment_id", "period", "start", "end", "column")


def stored() -> list[tuple]:
    counts = ("member_id", "unit_id", "required", "logged", "accepted", "late")
    return sorted(AttendanceTally.objects.values_list(*FIELDS, *counts))


def stored_ratings() -> dict[tuple, int]:
    return {(t.unit_id, t.month, t.rating): t.visits for t in RatingTally.objects.all()}


def raw_ratings() -> dict[tuple, int]:
    return rating_counts(Visit.objects.all())


def stored_divergence() -> set[int]:
    return set(Meeting.objects.filter(ratings_diverge=True).values_list("pk", flat=True))


def raw_divergence() -> set[int]:
    return set(Meeting.objects.with_diverging_ratings().values_list("pk", flat=True))


def raw() -> list[tuple]:
    ids = Assignment.objects.values_list("pk", flat=True)
    return sorted((*(getattr(t, f) for f in FIELDS), *t.counts) for t in expected_tallies(ids))


@pytest.fixture
def months_of_meetings(oversight):
    """Regular meetings on the 10th of the three months before this one and of this one."""
    for back in (3, 2, 0):
        Meeting.objects.plan_month(add_months(THIS_MONTH, -back))
    return list(Meeting.objects.filter(date__lte=TODAY).order_by("date", "cell__code"))


# One step of a workflow, as the portal's services take it. Indexes pick among what exists.
steps = st.one_of(
    st.tuples(
        st.just("log"),
        st.integers(0, 1),
        st.integers(0, 11),
        st.booleans(),
        st.sampled_from(["", *Rating.values]),
    ),
    st.tuples(st.just("rate"), st.integers(0, 20), st.sampled_from(["", *Rating.values])),
    st.tuples(st.just("self_rate"), st.integers(0, 11), st.sampled_from(["", *Rating.values])),
    st.tuples(st.just("accept"), st.integers(0, 20)),
    st.tuples(st.just("return"), st.integers(0, 20)),
    st.tuples(st.just("delete"), st.integers(0, 20)),
    st.tuples(st.just("end_assignment"), st.integers(0, 5), st.integers(0, 120)),
    st.tuples(st.just("assign"), st.integers(0, 1), st.integers(0, 3), st.integers(0, 120)),
    st.tuples(st.just("appoint"), st.integers(0, 1), st.sampled_from(["province", "district"])),
    st.tuples(st.just("end_position"), st.integers(0, 3), st.integers(0, 90)),
    st.tuples(
        st.just("policy"),
        st.sampled_from([Level.PROVINCE, Level.DISTRICT]),
        st.sampled_from(list(Period)),
        st.integers(1, 3),
        st.integers(0, 60),
    ),
)


def _pick(queryset, index):
    rows = list(queryset.order_by("pk"))
    return rows[index % len(rows)] if rows else None


def _apply(step, world) -> None:
    people, tree, oversight, meetings = world
    admin = fresh(people.admin)
    members = [oversight.province_member, oversight.district_member]
    kind, *args = step
    if kind == "log":
        member, meeting, submit = members[args[0]], meetings[args[1] % len(meetings)], args[2]
        visit = Visit(member=member, logged_by=member, kind=VisitKind.MEETING, meeting=meeting)
        visit.rating = args[3]
        do_save_visit(fresh(member), visit, submit=submit)
    elif kind == "rate":
        visit = _pick(Visit.objects.filter(status__in=VisitStatus.editable()), args[0])
        if visit is not None:
            visit.rating = args[1]
            do_save_visit(fresh(visit.member), visit)
    elif kind == "self_rate":  # as do_score_meeting writes it
        meeting = meetings[args[0] % len(meetings)]
        meeting.self_rating = args[1]
        meeting.save(update_fields=["self_rating"])
    elif kind in ("accept", "return"):
        visit = _pick(Visit.objects.filter(status=VisitStatus.SUBMITTED), args[0])
        if visit is not None and kind == "accept":
            do_accept_visit(admin, visit)
        elif visit is not None:
            do_return_visit(admin, visit, "Bổ sung nhận xét.")
    elif kind == "delete":
        visit = _pick(Visit.objects.all(), args[0])
        if visit is not None:
            visit.delete()
    elif kind == "end_assignment":
        assignment = _pick(Assignment.objects.filter(end_date__isnull=True), args[0])
        if assignment is not None:
            do_end_assignment(admin, assignment, TODAY - datetime.timedelta(days=args[1]))
    elif kind == "assign":
        units = [tree.commune_a, tree.commune_a2, tree.cell_a, tree.commune_b]
        start = TODAY - datetime.timedelta(days=args[2])
        do_assign(admin, members[args[0]], units[args[1]], start_date=start)
    elif kind == "appoint":
        unit = tree.province if args[1] == "province" else tree.district_a
        if Position.objects.filter(user=members[args[0]], unit=unit).exists():
            return
        PositionFactory(
            user=members[args[0]],
            unit=unit,
            role=Role.STANDING_MEMBER,
            start_date=add_months(THIS_MONTH, -2),
        )
    elif kind == "end_position":
        position = _pick(Position.objects.filter(user__in=members, end_date__isnull=True), args[0])
        if position is not None:
            on = max(position.start_date, TODAY - datetime.timedelta(days=args[1]))
            do_end_position(admin, position, on)
    else:
        level, period, required, days_ahead = args
        do_set_policy(
            admin,
            tree.province,
            level=level,
            role="",
            period=period,
            required_meetings=required,
            valid_from=TODAY + datetime.timedelta(days=days_ahead),
        )


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(workflow=st.lists(steps, min_size=1, max_size=10))
# A visitor's rating and the cell's own, each changed after the other.
@example(
    workflow=[
        ("log", 0, 0, False, Rating.GOOD),
        ("self_rate", 0, Rating.POOR),
        ("self_rate", 0, Rating.GOOD),
        ("rate", 0, Rating.POOR),
        ("delete", 0),
    ]
)
def test_the_summary_equals_the_raw_rows_after_any_workflow(
    workflow, people, tree, oversight, months_of_meetings
):
    """Random sequences of the portal's own writes (logging, rating, reviewing, deleting visits,
    a cell rating its own meeting, assigning and ending, appointing and ending positions, new
    policies from a day on): after each, the stored summaries are what the raw rows give."""
    with transaction.atomic():
        for step in workflow:
            # A step the service refuses writes nothing, which the summary must follow too.
            with contextlib.suppress(ValidationError, PermissionDenied):
                _apply(step, (people, tree, oversight, months_of_meetings))
            assert stored() == raw(), step
            assert stored_ratings() == raw_ratings(), step
            assert stored_divergence() == raw_divergence(), step
        transaction.set_rollback(True)


def test_a_meeting_is_marked_while_a_visitor_rates_it_otherwise_than_the_cell(
    people, tree, oversight
):
    """The kept flag the quality report reads, through the writes that move it."""
    meeting = oversight.meeting_a

    def marked() -> bool:
        return Meeting.objects.get(pk=meeting.pk).ratings_diverge

    visit = log(oversight.district_member, meeting, rating=Rating.GOOD)
    assert not marked()  # the cell has not rated itself
    meeting.self_rating = Rating.POOR
    meeting.save(update_fields=["self_rating"])
    assert marked()
    Visit.objects.filter(pk=visit.pk).update(rating=Rating.POOR)  # around the models
    assert marked() and refresh_divergence() == 1 and not marked()
    visit.refresh_from_db()
    visit.delete()
    meeting.self_rating = Rating.GOOD
    meeting.save(update_fields=["self_rating"])
    assert not marked()
    assert stored_divergence() == raw_divergence()


def test_the_summary_is_not_empty_where_work_is_due(people, tree, oversight, months_of_meetings):
    """The comparison above would pass on two empty lists: the fixture's members owe periods."""
    log(oversight.district_member, oversight.meeting_a)
    rows = AttendanceTally.objects.filter(member=oversight.district_member)
    assert rows.filter(column=oversight.month, logged=1).exists()
    assert rows.order_by("end").last().end == horizon(TODAY)
    assert stored() == raw() != []


def test_the_ratings_are_counted_by_cell_and_month(people, tree, oversight):
    visit = log(oversight.district_member, oversight.meeting_a, rating=Rating.POOR)
    assert stored_ratings() == {(tree.cell_a.pk, oversight.month, Rating.POOR): 1}
    visit.delete()
    assert stored_ratings() == {}


def test_rebuild_mends_a_summary_written_around_it(people, tree, oversight):
    assignment = Assignment.objects.get(member=oversight.district_member)
    AttendanceTally.objects.filter(assignment=assignment).update(logged=7)
    AttendanceTally.objects.filter(assignment=assignment, column=oversight.month).delete()
    RatingTally.objects.create(unit=tree.cell_b, month=oversight.month, rating="good", visits=3)
    out = io.StringIO()
    call_command("rebuild_tallies", stdout=out)
    assert stored() == raw()
    assert stored_ratings() == raw_ratings()
    assert "rows changed" in out.getvalue()
    assert rebuild_tallies() == 0  # right already: nothing written
    Meeting.objects.filter(pk=oversight.meeting_b.pk).update(ratings_diverge=True)
    assert rebuild_tallies() == 1 and stored_divergence() == raw_divergence()


def test_rebuild_if_empty_leaves_a_kept_summary_alone(people, tree, oversight):
    AttendanceTally.objects.filter(member=oversight.district_member).update(logged=5)
    call_command("rebuild_tallies", "--if-empty", stdout=io.StringIO())
    assert stored() != raw()
    AttendanceTally.objects.all().delete()
    call_command("rebuild_tallies", "--if-empty", stdout=io.StringIO())
    assert stored() == raw() != []


def test_a_bulk_write_is_counted_once_refreshed(people, tree, oversight):
    """Writes that bypass save() (a queryset update) leave the summary until refreshed."""
    assignment = Assignment.objects.get(member=oversight.district_member)
    visit = log(oversight.district_member, oversight.meeting_a)
    Visit.objects.filter(pk=visit.pk).update(status=VisitStatus.ACCEPTED)
    assert stored() != raw()
    assert refresh_tallies([assignment.pk]) == 1
    assert stored() == raw()


def test_the_report_reads_the_summary(people, tree, oversight):
    """The compliance report's figures come from the summary rows, capped per period."""
    assignment = Assignment.objects.get(member=oversight.district_member)
    AttendanceTally.objects.filter(assignment=assignment, column=oversight.month).update(
        logged=3, accepted=2, late=1
    )
    report = compliance(fresh(people.admin), tree.district_a, oversight.month, oversight.month)
    row = next(r for r in report.rows if r.member_id == oversight.district_member.pk)
    tally = row.by_month[oversight.month].tally
    assert (tally.required, tally.logged, tally.accepted, tally.late) == (1, 1, 1, 0)
    # Accepted twice, once late: one on time covers the one required.
    AttendanceTally.objects.filter(assignment=assignment, column=oversight.month).update(
        accepted=1, late=1
    )
    report = compliance(fresh(people.admin), tree.district_a, oversight.month, oversight.month)
    assert report.total.late == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_visits_counted_at_once_are_both_counted(people, tree, oversight):
    """Two visits to one assignment's period, saved in two transactions that overlap: the
    second counts after the first commits (the refresh locks the assignment first). Without
    the lock the second counts only its own visit and overwrites the first's count."""
    member = oversight.province_member
    assignment = Assignment.objects.get(member=member)
    first_saved, errors = threading.Event(), []

    def save(meeting, hold: bool) -> None:
        try:
            if not hold:
                first_saved.wait(5)
            with transaction.atomic():
                visit = Visit(member=member, logged_by=member, kind=VisitKind.MEETING)
                visit.meeting = meeting
                do_save_visit(fresh(member), visit, submit=True)
                if hold:
                    first_saved.set()
                    time.sleep(0.5)  # the other transaction counts meanwhile
        except Exception as error:  # reported below, with the other thread's result
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=save, args=(oversight.meeting_a, True)),
        threading.Thread(target=save, args=(oversight.meeting_a2, False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    period = AttendanceTally.objects.get(
        assignment=assignment, start__lte=oversight.month, end__gte=oversight.month
    )
    assert period.logged == 2
    assert stored() == raw()


def test_a_save_that_writes_nothing_counted_leaves_the_summaries_alone(people, tree, oversight):
    """A visit's findings edited alone: no summary is read or written; its status is."""
    from django.test.utils import CaptureQueriesContext

    visit = log(oversight.district_member, oversight.meeting_a)
    visit.findings = "Bổ sung ý kiến thảo luận"
    with CaptureQueriesContext(connection) as queries:
        visit.save(update_fields=["findings"])
    touched = " ".join(q["sql"] for q in queries.captured_queries)
    assert "tally" not in touched
    visit.status = VisitStatus.ACCEPTED
    with CaptureQueriesContext(connection) as queries:
        visit.save(update_fields=["status"])
    assert "visits_attendancetally" in " ".join(q["sql"] for q in queries.captured_queries)
    assert stored() == raw()


def change_default_policies() -> int:
    """Ask one meeting more under every default policy (as an administrator may, in the
    admin); the number of rows changed."""
    defaults = list(AttendancePolicy.objects.filter(province__isnull=True, required_meetings__gt=0))
    for policy in defaults:
        policy.required_meetings += 1
        policy.save()
    return len(defaults)


def test_a_policy_change_too_large_for_its_request_is_recounted_by_a_task(
    client, people, tree, oversight, settings, django_capture_on_commit_callbacks
):
    settings.TALLY_REFRESH_IN_REQUEST = 1  # the fixture's two assignments are more
    before = stored()
    with django_capture_on_commit_callbacks() as queued:
        changed = change_default_policies()
    assert changed and len(queued) == changed
    assert stored() == before != raw()  # not in the request that saved it
    client.force_login(people.district_a_secretary)
    page = reverse("report-compliance")
    assert 'data-testid="recounting"' in client.get(page).text
    assert 'data-testid="recounting"' in client.get(reverse("home")).text  # a leader's home
    assert compliance(fresh(people.admin), None, oversight.month, oversight.month).recounting
    assert finish_refreshes() == changed
    assert stored() == raw()
    assert 'data-testid="recounting"' not in client.get(page).text
    assert 'data-testid="recounting"' not in client.get(reverse("home")).text
    assert finish_refreshes() == 0


def test_a_province_policy_is_recounted_in_its_request(people, tree, oversight, settings):
    settings.TALLY_REFRESH_IN_REQUEST = 2
    do_set_policy(
        fresh(people.province_office), tree.province, level=Level.COMMUNE, role="",
        period=Period.MONTH, required_meetings=3, valid_from=TODAY,
    )  # fmt: skip
    assert stored() == raw()
    assert not TallyRefresh.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_recounts_a_default_policy_change(celery_worker, oversight, settings):
    from tests.test_reminders import wait_for

    settings.TALLY_REFRESH_IN_REQUEST = 1
    with transaction.atomic():
        change_default_policies()
    assert wait_for(lambda: not TallyRefresh.objects.pending().exists())
    assert stored() == raw()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_visit_saved_while_a_reform_moves_its_cell_waits_instead_of_deadlocking(
    people, tree, oversight
):
    """The reform writes the cells it moves, then recounts the assignments it ends
    (``oversight.reform.services._write``); a visit's save locks the same two kinds of rows in
    the same order (cells, then assignments), so it waits for the reform to commit. In the
    other order each would hold what the other wants, and PostgreSQL would abort one."""
    assignment = Assignment.objects.get(member=oversight.district_member)
    errors = across_each_other(
        lambda: Unit.objects.filter(pk=tree.cell_a.pk).update(name="Chi bộ thôn Nà Mô mới"),
        lambda: refresh_tallies([assignment.pk]),
        lambda: log(oversight.district_member, oversight.meeting_a),
    )
    assert errors == []
    assert stored() == raw()
    assert stored_ratings() == raw_ratings()


def test_january_carries_the_open_assignments_a_year_further(people, tree, oversight, time_machine):
    from tests.clock import local
    from visits.tasks import extend_tallies

    ended = Assignment.objects.get(member=oversight.province_member)
    do_end_assignment(fresh(people.admin), ended, TODAY)
    open_one = Assignment.objects.get(member=oversight.district_member)
    time_machine.move_to(local(TODAY.year + 1, 1, 1, 0, 30))  # the beat's January run
    before = AttendanceTally.objects.filter(assignment=open_one).order_by("end").last().end
    assert extend_tallies() > 0
    after = AttendanceTally.objects.filter(assignment=open_one).order_by("end").last().end
    assert before == horizon(TODAY) and after == horizon() > before
    assert stored() == raw()
