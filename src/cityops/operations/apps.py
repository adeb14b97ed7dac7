from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    name = "cityops.operations"
    label = "operations"
    verbose_name = _("Monitoring and alerts")
