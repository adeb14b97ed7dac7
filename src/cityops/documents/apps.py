from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "cityops.documents"
    label = "documents"
