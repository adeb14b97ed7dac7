from django.apps import AppConfig


class ScheduleConfig(AppConfig):
    name = "cityops.schedule"
    label = "schedule"

    def ready(self) -> None:
        # Registers the "schedule" notification kind, so people can choose it before any item is published.
        from cityops.schedule import services  # noqa: F401
