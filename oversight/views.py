from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from assignments.models import Assignment
from oversight import home as agenda
from oversight.clock import local_today
from oversight.http import PortalRequest, date_from, unit_or_404
from oversight.models import Level, Unit, UnitLineage
from oversight.paging import read_page
from oversight.reporting import charts
from visits.models import Meeting, MeetingSchedule, Visit, add_months

SEARCH_LIMIT = 30
UNIT_ACTIVITY_ROWS = 30
CHILDREN_PER_PAGE = 100


@login_required
def home(request: PortalRequest) -> HttpResponse:
    """What needs the person today, by the hats they wear (``oversight.home``), then their
    tenant, their positions and how much of the tree they cover."""
    user, today = request.user, local_today()
    counts = Unit.objects.visible_to(user).active().level_counts()
    leader = agenda.leader_agenda(user, today)
    context = {
        "today": today,
        "office": agenda.office_agenda(user, today) if agenda.is_office(user) else None,
        "member": agenda.member_agenda(user, today),
        "leader": leader,
        "leader_chart": charts.column_chart(
            [(f"{m:%m/%y}", t.percent) for m, t in leader.by_month if t.percent is not None],
            _("Tỷ lệ đạt định mức theo tháng"),
            pending={f"{m:%m/%y}" for m in leader.in_progress_months},
        )
        if leader
        else "",
        "positions": user.current_positions(),
        "coverage": [(level.label, counts.get(level.value, 0)) for level in Level],
    }
    return render(request, "oversight/home.html", context)


@login_required
def unit_roots(request: PortalRequest) -> HttpResponse:
    """The top of the unit browser: the roots of the person's scope."""
    roots = list(Unit.objects.scope_roots(request.user).with_child_counts())
    return render(request, "oversight/unit_roots.html", {"roots": roots})


@login_required
def unit_detail(request: PortalRequest, code: str) -> HttpResponse:
    """One unit with its visible ancestors (breadcrumb) and its children, one page at a time."""
    visible = Unit.objects.visible_to(request.user)
    unit = unit_or_404(
        visible.select_related("merged_into"), code, on=date_from(request.GET.get("on", ""), "on")
    )
    ancestors = visible.filter(path__in=unit.ancestor_paths()[:-1])
    children = visible.filter(parent=unit).with_child_counts().order_by("code")
    page = read_page(children, CHILDREN_PER_PAGE, request.GET.get("page"))
    today = local_today()
    overseers = Assignment.objects.visible_to(request.user).covering(unit).open_on(today).as_rows()
    meetings = (
        Meeting.objects.visible_to(request.user)
        .within(unit)
        .filter(date__gte=add_months(today.replace(day=1), -2))
        .as_rows()
        .order_by("-date", "cell__path")[:UNIT_ACTIVITY_ROWS]
    )
    visits = (
        Visit.objects.visible_to(request.user)
        .within(unit)
        .as_rows()
        .order_by("-date", "-pk")[:UNIT_ACTIVITY_ROWS]
    )
    thematic_missing = (
        list(
            Meeting.objects.cells_missing_thematic(Unit.objects.subtree_of(unit), today)[
                : UNIT_ACTIVITY_ROWS + 1
            ]
        )
        if unit.level != Level.CELL
        else []
    )
    lineage = list(
        UnitLineage.objects.around(unit)
        .visible_to(request.user)
        .select_related("predecessor", "successor")
        .order_by("effective_date", "predecessor__path", "successor__path")
    )
    context = {
        "unit": unit,
        "came_from": [link for link in lineage if link.successor_id == unit.pk],
        "went_to": [link for link in lineage if link.predecessor_id == unit.pk],
        "ancestors": list(ancestors),
        "thematic_missing": thematic_missing[:UNIT_ACTIVITY_ROWS],
        "thematic_missing_more": len(thematic_missing) > UNIT_ACTIVITY_ROWS,
        "page": page,
        "overseers": list(overseers),
        "meetings": list(meetings),
        "visits": list(visits),
        "schedule": MeetingSchedule.objects.filter(cell=unit).first()
        if unit.level == Level.CELL
        else None,
    }
    return render(request, "oversight/unit_detail.html", context)


@login_required
def unit_search(request: PortalRequest) -> HttpResponse:
    """Find units in scope by name or code, without diacritics if the person prefers."""
    query = request.GET.get("q", "").strip()
    results = Unit.objects.visible_to(request.user).search(query).select_related("parent")
    template = "oversight/_search_results.html" if request.htmx else "oversight/unit_search.html"
    context = {"query": query, "results": results[:SEARCH_LIMIT]}
    return render(request, template, context)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400: the reason the portal's own checks gave (``BadRequest``), in the person's language;
    other refusals (a malformed request Django itself caught) get the general sentence."""
    reason = str(exception) if type(exception) is BadRequest else ""
    return render(request, "400.html", {"reason": reason}, status=400)
