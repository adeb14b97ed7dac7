"""URLs of the operations dashboard."""

from django.urls import path

from cityops.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.index, name="index"),
    path("board/", views.board, name="board"),
    path("theme/", views.theme, name="theme"),
    path("layers/<slug:key>.geojson", views.layer, name="layer"),
    path("events/", views.events, name="events"),
    path("domains/<slug:code>/", views.domain, name="domain"),
    path("areas/<int:pk>/", views.area, name="area"),
    path("agencies/", views.agencies, name="agencies"),
    path("agencies/<int:pk>/", views.agency, name="agency"),
    path("sensors/<int:pk>/", views.sensor, name="sensor"),
    path("overview.xlsx", views.overview_xlsx, name="overview_xlsx"),
    path("situation-report.pdf", views.situation_report, name="situation_report"),
]
