"""URLs of the datahub pages."""

from django.urls import path

from cityops.datahub import views

app_name = "datahub"

urlpatterns = [
    path("", views.index, name="index"),
    path("indicators/", views.indicators, name="indicators"),
    path("catalog.jsonld", views.dcat_catalog, name="dcat_catalog"),
    path("datasets/new/", views.dataset_create, name="dataset_create"),
    path("datasets/<int:pk>/", views.dataset_detail, name="dataset"),
    path("datasets/<int:pk>/upload/", views.dataset_upload, name="dataset_upload"),
    path("datasets/<int:pk>/export.csv", views.dataset_export, name="dataset_export"),
    path("datasets/<int:pk>/request/", views.access_request, name="access_request"),
    path("grants/<int:pk>/decide/", views.access_decide, name="access_decide"),
]
