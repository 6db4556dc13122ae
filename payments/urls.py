"""Resident pages of payments, under the language prefix (Polish at /, English at /en/)."""

from django.urls import path

from . import views, views_transfer

app_name = "payments"

urlpatterns: list = [
    path("platnosci/<int:taxpayer_pk>/", views.checkout_view, name="checkout"),
    path("platnosci/<int:taxpayer_pk>/historia/", views.history, name="history"),
    path(
        "platnosci/<int:taxpayer_pk>/platnosc/<int:payment_pk>/",
        views.payment_detail,
        name="detail",
    ),
    path(
        "platnosci/<int:taxpayer_pk>/platnosc/<int:payment_pk>/potwierdzenie.pdf",
        views.confirmation,
        name="confirmation",
    ),
    path("platnosci/demo/<str:token>/", views.demo_gateway_page, name="demo_gateway"),
    path(
        "platnosci/<int:taxpayer_pk>/przelew/",
        views_transfer.transfer_form,
        name="transfer_form",
    ),
]
