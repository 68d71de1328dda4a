from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
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


@register.simple_tag
def compliance_cells(row: Any, report: Any, visit_list: str) -> str:
    """A member's month cells in the compliance table, each linking to the visits behind it.

    Written here rather than with ``{% for %}`` in the template: a page of a province's report
    is 1,200 cells, which the template language took 200 ms to render."""
    in_progress = _("đang diễn ra")
    root = report.root.code if report.root is not None else ""
    cells = []
    for month in report.months:
        cell = row.by_month.get(month)
        if cell is None:
            cells.append(EMPTY_CELL)
            continue
        title = f"{cell.label} · {in_progress}" if cell.in_progress else cell.label
        cells.append(
            format_html(
                '<td class="text-center rag-{status}" title="{title}" data-status="{status}">'
                '<a href="{url}?unit={root}&amp;member={member}&amp;{months}&amp;status=logged">'
                "{logged}/{required}</a></td>",
                status=cell.status,
                title=title,
                url=visit_list,
                root=root,
                member=row.member_id,
                months=cell.months_query,
                logged=cell.tally.logged,
                required=cell.tally.required,
            )
        )
    return mark_safe("".join(cells))  # nosec B308 B703: every cell is built by format_html


EMPTY_CELL = mark_safe('<td class="text-center text-muted">·</td>')  # nosec B308 B703
