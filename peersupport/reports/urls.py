from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("report.pdf", views.report_pdf, name="report_pdf"),
    path("tables/<slug:slug>.csv", views.table_csv, name="table_csv"),
    path("periods/", views.periods_page, name="periods"),
    path("periods/close/", views.period_close, name="period_close"),
]
