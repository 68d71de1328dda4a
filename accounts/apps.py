from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Người dùng và chức vụ")

    def ready(self) -> None:
        from accounts.roles import sync_role_groups

        # Permissions exist only after migrate has run, so the role groups follow it.
        post_migrate.connect(sync_role_groups, sender=self)
