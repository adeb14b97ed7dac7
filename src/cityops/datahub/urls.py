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
    path("datasets/<int:pk>/versions/", views.dataset_versions, name="dataset_versions"),
    path("datasets/<int:pk>/versions/<int:number>.csv", views.dataset_version_export, name="dataset_version_export"),
    path(
        "datasets/<int:pk>/versions/<int:number>/restore/",
        views.dataset_version_restore,
        name="dataset_version_restore",
    ),
    path("datasets/<int:pk>/request/", views.access_request, name="access_request"),
    path("grants/<int:pk>/decide/", views.access_decide, name="access_decide"),
    path("connectors/", views.connectors, name="connectors"),
    path("connectors/new/", views.connector_create, name="connector_create"),
    path("connectors/<int:pk>/", views.connector_detail, name="connector"),
    path("connectors/<int:pk>/action/", views.connector_action, name="connector_action"),
    path("exchange-log/", views.exchange_log, name="exchange_log"),
    path("sensors/", views.entities, name="entities"),
    path("sensors/<int:pk>/", views.entity_detail, name="entity"),
    path("indicators/<slug:code>/", views.indicator_detail, name="indicator"),
    path("indicator-values/<int:pk>/review/", views.indicator_value_review, name="indicator_value_review"),
]
