from django.apps import AppConfig


class DirectivesConfig(AppConfig):
    name = "cityops.directives"
    label = "directives"
