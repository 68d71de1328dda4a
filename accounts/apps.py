from typing import Any

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Người dùng và chức vụ")

    def ready(self) -> None:
        from accounts.roles import sync_role_groups

        # Each app's permissions appear in its own post_migrate; re-syncing after every app
        # (a handful of cheap queries) means no role misses a permission of a later app.
        post_migrate.connect(sync_role_groups, dispatch_uid="accounts.sync_role_groups")
        # At sign-in, note once whether the session owes a second factor (see two_factor).
        user_logged_in.connect(remember_two_factor_state, dispatch_uid="accounts.two_factor")


def remember_two_factor_state(
    sender: Any, request: HttpRequest | None, user: Any, **_: Any
) -> None:
    from accounts import two_factor

    if request is not None and hasattr(request, "session"):
        request.session[two_factor.SESSION_STATE] = two_factor.state_at_sign_in(user)
