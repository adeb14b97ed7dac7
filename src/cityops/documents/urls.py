"""URLs of the documents pages."""

from django.urls import path

from cityops.documents import views

app_name = "documents"

urlpatterns = [
    path("", views.index, name="index"),
    path("incoming/", views.incoming_list, name="incoming_list"),
    path("incoming/new/", views.incoming_new, name="incoming_new"),
    path("incoming/import/", views.incoming_import, name="incoming_import"),
    path("incoming/<int:pk>/", views.incoming_detail, name="incoming_detail"),
    path("incoming/<int:pk>/slip/", views.incoming_slip, name="incoming_slip"),
    path("incoming/<int:pk>/slip.pdf", views.incoming_slip_pdf, name="incoming_slip_pdf"),
    path("incoming/<int:pk>/<slug:action>/", views.incoming_action, name="incoming_action"),
    path("outgoing/", views.outgoing_list, name="outgoing_list"),
    path("outgoing/new/", views.outgoing_new, name="outgoing_new"),
    path("outgoing/<int:pk>/", views.outgoing_detail, name="outgoing_detail"),
    path("outgoing/<int:pk>/edxml/", views.outgoing_edxml, name="outgoing_edxml"),
    path("outgoing/<int:pk>/edit/", views.outgoing_edit, name="outgoing_edit"),
    path("outgoing/<int:pk>/<slug:action>/", views.outgoing_action, name="outgoing_action"),
    path("registers/", views.register_list, name="register_list"),
    path("case-files/", views.case_file_list, name="case_file_list"),
    path("case-files/<int:pk>/", views.case_file_detail, name="case_file_detail"),
    path("case-files/<int:pk>/catalogue.pdf", views.case_file_items_pdf, name="case_file_items_pdf"),
    path("case-files/catalogue.pdf", views.case_files_pdf, name="case_files_pdf"),
    path("registers/<int:pk>/xlsx/", views.register_xlsx, name="register_xlsx"),
    path("registers/<int:pk>/tracking.xlsx", views.register_tracking_xlsx, name="register_tracking_xlsx"),
    path("registers/<int:pk>/pdf/", views.register_pdf, name="register_pdf"),
    path("registers/<int:pk>/tracking.pdf", views.register_tracking_pdf, name="register_tracking_pdf"),
    path("statistics/", views.statistics, name="statistics"),
    path("statistics.xlsx", views.statistics_xlsx, name="statistics_xlsx"),
    path("exchange/", views.exchange_log, name="exchange_log"),
]
