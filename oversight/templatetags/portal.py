from typing import Any

from django import template

register = template.Library()


@register.filter
def dictget(mapping: Any, key: Any) -> Any:
    """``mapping[key]`` in a template, or None when the key is missing."""
    return mapping.get(key) if mapping else None
