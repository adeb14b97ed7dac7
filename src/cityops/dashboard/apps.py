from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "cityops.dashboard"
    label = "dashboard"
    verbose_name = _("Operations dashboard")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cityops.dashboard import registry

        registry.autodiscover()
