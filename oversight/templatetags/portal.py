import functools
from typing import Any

from django import template
from django.apps import apps
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts import rights

register = template.Library()


@register.filter
def dictget(mapping: Any, key: Any) -> Any:
    """``mapping[key]`` in a template, or None when the key is missing."""
    return mapping.get(key) if mapping else None


@register.simple_tag(takes_context=True)
def may(context: template.Context, permission: str, target: Any) -> bool:
    """``{% may "app.codename" row as flag %}``: whether the signed-in person holds the right
    where ``row`` is (``accounts.rights.may``), to offer only the actions that would succeed."""
    return rights.may(context["request"].user, permission, target)


@register.filter
def label(row: Any, field: str) -> Any:
    """``{{ row|label:"field" }}``, what ``row.get_field_display`` gives: the choice's label,
    or the value itself when it is not a choice. Read from a table kept per model, field and
    language, not from a dictionary of the field's choices built on every call (50 ratings
    of a list: 1.0 → 0.1 ms)."""
    value = getattr(row, field)
    return choice_labels(row._meta.label, field, get_language()).get(value, value)


@functools.lru_cache(maxsize=256)
def choice_labels(model: str, field: str, language: str | None) -> dict[Any, str]:
    """The labels of ``model``'s ``field`` (``app.Model``) in ``language``, by value."""
    choices = apps.get_model(model)._meta.get_field(field).flatchoices
    return {value: str(text) for value, text in choices}


# The few texts a report's cells repeat (statuses, period titles, months), escaped once each.
escaped = functools.lru_cache(maxsize=4096)(escape)


@register.simple_tag
def compliance_cells(row: Any, report: Any, visit_list: str) -> str:
    """A member's month cells in the compliance table, each linking to the visits behind it.

    Written here rather than with ``{% for %}`` in the template: a page of a province's report
    is 1,200 cells, which the template language took 200 ms to render. Each text is escaped
    once a page rather than once a cell (``format_html`` escaped eight values in each: a sixth
    of a province's page); the counts are whole numbers, written as such."""
    in_progress = _("đang diễn ra")
    root = report.root.code if report.root is not None else ""
    link = escape(f"{visit_list}?unit={root}&member={row.member_id}&")
    cells: list[str] = []
    for month in report.months:
        cell = row.by_month.get(month)
        if cell is None:
            cells.append(EMPTY_CELL)
            continue
        status = escaped(cell.status)
        title = escaped(f"{cell.label} · {in_progress}" if cell.in_progress else cell.label)
        months = escaped(cell.months_query)
        cells.append(
            f'<td class="text-center rag-{status}" title="{title}" data-status="{status}">'
            f'<a href="{link}{months}&amp;status=logged">'
            f"{cell.tally.logged:d}/{cell.tally.required:d}</a></td>"
        )
    return mark_safe("".join(cells))  # nosec B308 B703: every text in a cell is escaped


EMPTY_CELL = mark_safe('<td class="text-center text-muted">·</td>')  # nosec B308 B703
