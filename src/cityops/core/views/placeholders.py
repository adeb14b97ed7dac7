"""Temporary pages replaced as the core areas are filled in."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView


class AccountView(LoginRequiredMixin, TemplateView):
    template_name = "core/home.html"


class NotificationsView(LoginRequiredMixin, TemplateView):
    template_name = "core/home.html"


class SearchView(LoginRequiredMixin, TemplateView):
    template_name = "core/home.html"


class DirectoryView(LoginRequiredMixin, TemplateView):
    template_name = "core/home.html"
