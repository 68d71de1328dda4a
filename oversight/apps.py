from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OversightConfig(AppConfig):
    name = "oversight"
    verbose_name = _("Cây đơn vị và phạm vi")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from oversight import lookups  # noqa: F401  (registers ``__any`` on every field)
        from oversight.models import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="oversight.sqlite")
