from django.apps import AppConfig


class DatahubConfig(AppConfig):
    name = "cityops.datahub"
    label = "datahub"

    def ready(self) -> None:
        from cityops.datahub import indicator_sources

        indicator_sources.autodiscover()
