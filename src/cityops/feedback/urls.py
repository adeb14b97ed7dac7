"""URLs of the feedback pages: citizens (no sign-in needed) and staff."""

from django.urls import path

from cityops.core.ratelimit import rate_limited
from cityops.feedback import views

# Public doors: report posts per address; tracking pages count only lookups that find nothing (guessing).
_guess = rate_limited("tracking", methods=("GET", "HEAD", "POST"), count_status={404})

app_name = "feedback"

urlpatterns = [
    path("", views.index, name="index"),
    path("report/", rate_limited("report")(views.report), name="report"),
    path("published.geojson", views.public_geojson, name="public_geojson"),
    path("track/", views.track_lookup, name="track_lookup"),
    path("track/<str:code>/", _guess(views.track), name="track"),
    path("track/<str:code>/rate/", _guess(views.track_rate), name="track_rate"),
    path("track/<str:code>/reopen/", _guess(views.track_reopen), name="track_reopen"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("join/<int:pk>/", views.join, name="join"),
    path("unfollow/<str:token>/", views.unfollow, name="unfollow"),
    path("staff/", views.staff_queue, name="staff_queue"),
    path("staff/stats/", views.staff_stats, name="staff_stats"),
    path("staff/export.<str:fmt>", views.staff_export, name="staff_export"),
    path("staff/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:pk>/act/", views.staff_act, name="staff_act"),
    path("staff/<int:pk>/files/<int:file_id>/", views.staff_file, name="staff_file"),
]
