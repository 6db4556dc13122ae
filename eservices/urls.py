"""Resident pages of eservices, under the language prefix (Polish at /, English at /en/)."""

from django.urls import path

from . import views

app_name = "eservices"

urlpatterns = [
    path("konto/logowanie/", views.LoginView.as_view(), name="login"),
    path("konto/wylogowanie/", views.LogoutView.as_view(), name="logout"),
    path("konto/", views.account, name="account"),
    path("moje-naleznosci/", views.dues_home, name="dues"),
    path("moje-naleznosci/wybierz/", views.choose_taxpayer, name="choose_taxpayer"),
    path("moje-naleznosci/<int:taxpayer_pk>/", views.taxpayer_dues, name="taxpayer_dues"),
    path(
        "moje-naleznosci/<int:taxpayer_pk>/kartoteki/<int:ledger_pk>/",
        views.ledger_detail,
        name="ledger",
    ),
    path(
        "moje-naleznosci/<int:taxpayer_pk>/zestawienie/",
        views.statement,
        name="statement",
    ),
]
