from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Người dùng và chức vụ")

    def ready(self) -> None:
        from accounts.roles import sync_role_groups

        # Each app's permissions appear in its own post_migrate; re-syncing after every app
        # (a handful of cheap queries) means no role misses a permission of a later app.
        post_migrate.connect(sync_role_groups, dispatch_uid="accounts.sync_role_groups")
