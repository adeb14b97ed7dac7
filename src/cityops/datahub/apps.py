from django.apps import AppConfig


class DatahubConfig(AppConfig):
    name = "cityops.datahub"
    label = "datahub"
