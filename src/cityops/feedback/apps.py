from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "cityops.feedback"
    label = "feedback"
