"""The visits' own bits of markup in the portal's pages."""

import functools
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from oversight.templatetags.portal import choice_labels
from visits.models import VisitStatus

register = template.Library()

STATUS_COLOURS: dict[str, str] = {
    VisitStatus.ACCEPTED: "text-bg-success",
    VisitStatus.RETURNED: "text-bg-danger",
    VisitStatus.SUBMITTED: "text-bg-warning",
}


@register.simple_tag
def visit_status(visit: Any) -> SafeString:
    """A visit's status as a coloured badge. A list shows fifty, of four statuses: each badge is
    made once per status and language (``status_badge``) instead of an include, a chain of
    comparisons and a lookup of the choice's label per row."""
    return status_badge(visit.status, get_language())


@functools.lru_cache(maxsize=64)
def status_badge(status: str, language: str | None) -> SafeString:
    return format_html(
        '<span class="badge {}" data-testid="visit-status">{}</span>',
        STATUS_COLOURS.get(status, "text-bg-secondary"),
        choice_labels("visits.Visit", "status", language).get(status, status),
    )
