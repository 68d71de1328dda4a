from typing import Any

from django.http import HttpRequest


def tenancy(request: HttpRequest) -> dict[str, Any]:
    """The tenant the person works in and the ones they may switch to, for the navigation bar."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"working_tenant": user.working_tenant(), "tenants": user.tenants()}
