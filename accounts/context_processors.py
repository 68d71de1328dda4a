from typing import Any

from django.http import HttpRequest


def tenancy(request: HttpRequest) -> dict[str, Any]:
    """The tenant the person works in and the ones they may switch to, for the navigation bar,
    and ``menu_key``: everything the menu is drawn from (their permissions, staff and
    administrator flags, whether they can switch tenants), under which each process keeps the
    menu it rendered (templates/base.html). Derived from the whole permission set, so a new
    item behind a new right is keyed without being listed anywhere."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    tenants = user.tenants()
    menu_key = (
        ",".join(sorted(user.get_all_permissions())),
        user.is_staff,
        user.is_superuser,
        len(tenants) > 1,
    )
    return {"working_tenant": user.working_tenant(), "tenants": tenants, "menu_key": menu_key}
