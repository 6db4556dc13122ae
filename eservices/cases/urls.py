"""Resident pages of the cases app ("Moje sprawy"), under the language prefix."""

from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("moje-sprawy/", views.my_cases, name="list"),
    path("moje-sprawy/<int:pk>/", views.case_detail, name="detail"),
    path("moje-sprawy/<int:pk>/potwierdzenie.pdf", views.receipt, name="receipt"),
    path(
        "moje-sprawy/<int:pk>/zalaczniki/<int:attachment_pk>/",
        views.attachment,
        name="attachment",
    ),
]
