"""URLs of the work calendar."""

from django.urls import path

from cityops.schedule import views

app_name = "schedule"

urlpatterns = [
    path("", views.week, name="index"),
    path("leaders/<int:pk>/", views.leader_week, name="leader_week"),
    path("print/", views.print_week, name="print"),
    path("public/<slug:code>/", views.public_week, name="public"),
    path("public/<slug:code>/pdf/", views.public_week_pdf, name="public_pdf"),
    path("events/new/", views.event_create, name="event_create"),
    path("events/<int:pk>/", views.event_detail, name="event"),
    path("events/<int:pk>/edit/", views.event_edit, name="event_edit"),
    path("events/<int:pk>/publish/", views.event_publish, name="event_publish"),
    path("events/<int:pk>/cancel/", views.event_cancel, name="event_cancel"),
    path("import/", views.import_ics, name="import"),
    path("manage/", views.manage, name="manage"),
    path("feeds/", views.feeds, name="feeds"),
    path("feeds/<str:token>.ics", views.feed, name="feed"),
]
