"""URLs of the directives pages."""

from django.urls import path

from cityops.directives import views

app_name = "directives"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.directive_create, name="create"),
    path("<int:pk>/", views.directive_detail, name="directive"),
    path("tasks/", views.task_board, name="board"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/<slug:action>/", views.task_action, name="task_action"),
    path("statistics/", views.statistics, name="statistics"),
]
