from typing import Any

from django import template

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
