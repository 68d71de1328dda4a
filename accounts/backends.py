"""Authentication backends."""

from typing import Any

from django.contrib.auth import backends
from django.contrib.auth.models import Permission
from django.db.models import Q

from accounts import access


class ModelBackend(backends.ModelBackend):
    """Django's model backend, reading a person's permissions (their own and their groups'
    together) in one query instead of two, and the person of a session with their access
    (positions, permissions, scope, authenticators) from the cache (``accounts.access``):
    every page asks for them."""

    def get_user(self, user_id: Any) -> Any:
        user = access.person(user_id)
        if user is None or not self.user_can_authenticate(user):
            return None
        access.attach(user)
        return user

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            permissions = Permission.objects.all()
            if not user_obj.is_superuser:
                permissions = permissions.filter(Q(user=user_obj) | Q(group__user=user_obj))
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in permissions.values_list(
                    "content_type__app_label", "codename"
                ).order_by()
            }
        return user_obj._perm_cache
