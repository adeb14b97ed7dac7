"""The seventeen components of the product, in the order of DESIGN.md, for the menu and the home page.

A component is "built" when its URL name resolves; until then it is shown as coming, never as a broken link.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

__all__ = ["COMPONENTS", "Component", "components"]


@dataclass(frozen=True)
class Component:
    number: int
    app: str
    title: str | Promise
    description: str | Promise
    url_name: str
    icon: str

    @property
    def url(self) -> str | None:
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return None


COMPONENTS: tuple[Component, ...] = (
    Component(1, "datahub", _("Sector data integration"), _("Connectors, catalog and inter-agency sharing"),
              "datahub:index", "database"),
    Component(2, "datahub", _("Smart-city indicators"), _("Indicators and scores for the six domains"),
              "datahub:indicators", "gauge"),
    Component(3, "operations", _("Monitoring and alerts"), _("Rules, alerts and incidents"),
              "operations:index", "bell"),
    Component(4, "dashboard", _("Operations dashboard"), _("The whole city on one screen"),
              "dashboard:index", "map"),
    Component(5, "feedback", _("Citizen feedback"), _("Reports and recommendations from citizens"),
              "feedback:index", "message"),
    Component(6, "directives", _("Directives and tasks"), _("Directions from leaders and their tasks"),
              "directives:index", "flag"),
    Component(7, "schedule", _("Work calendar"), _("Leaders' weekly schedule"), "schedule:index", "calendar"),
    Component(8, "documents", _("Official documents"), _("Incoming and outgoing documents"),
              "documents:index", "file"),
    Component(9, "reporting", _("Periodic reports"), _("Reports from agencies on schedule"),
              "reporting:index", "chart"),
    Component(10, "surveys", _("Surveys"), _("Surveys of citizens and staff"), "surveys:index", "list"),
    Component(11, "secure", _("Restricted operations"), _("Need-to-know directives and messages"),
              "secure:index", "lock"),
    Component(12, "training", _("Internal training"), _("Courses, quizzes and certificates"),
              "training:index", "book"),
    Component(13, "connect", _("Smart connect"), _("Integration gateway, API keys and exchange log"),
              "connect:index", "plug"),
    Component(14, "forum", _("Forum"), _("Discussion for citizens and officials"), "forum:index", "chat"),
    Component(15, "inspections", _("Inspections"), _("Inspection plans, findings and follow-up"),
              "inspections:index", "search"),
    Component(16, "opinion", _("Public opinion"), _("Topics, sentiment and trends"), "opinion:index", "pulse"),
    Component(17, "core", _("Directory and notifications"), _("Agencies, officials and announcements"),
              "core:directory", "users"),
)  # fmt: skip


def components() -> tuple[Component, ...]:
    return COMPONENTS
