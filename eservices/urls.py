"""Resident pages of eservices, under the language prefix (Polish at /, English at /en/)."""

from django.urls import path

from . import views, views_accounts, views_linking

app_name = "eservices"

urlpatterns = [
    path("konto/logowanie/", views.LoginView.as_view(), name="login"),
    path("konto/wylogowanie/", views.LogoutView.as_view(), name="logout"),
    path("konto/", views.account, name="account"),
    path("konto/rejestracja/", views_accounts.register_choice, name="register"),
    path("konto/rejestracja/wyslano/", views_accounts.register_done, name="register_done"),
    path("konto/rejestracja/<slug:kind>/", views_accounts.register, name="register_form"),
    path("konto/informacja-o-danych/", views_accounts.data_notice, name="data_notice"),
    path("konto/aktywacja/<str:token>/", views_accounts.activate, name="activate"),
    path("konto/haslo/przypomnij/", views_accounts.password_reset, name="password_reset"),
    path(
        "konto/haslo/przypomnij/wyslano/",
        views_accounts.password_reset_sent,
        name="password_reset_sent",
    ),
    path(
        "konto/haslo/nowe/<str:token>/",
        views_accounts.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("konto/haslo/zmiana/", views_accounts.password_change, name="password_change"),
    path("konto/dane/", views_accounts.account_data, name="account_data"),
    path("konto/email/", views_accounts.email_change, name="email_change"),
    path(
        "konto/email/potwierdz/<str:token>/",
        views_accounts.email_change_confirm,
        name="email_change_confirm",
    ),
    path(
        "konto/sesje/wyloguj-inne/",
        views_accounts.end_other_sessions,
        name="end_other_sessions",
    ),
    path("konto/sesja/przedluz/", views_accounts.keep_alive, name="keep_alive"),
    path("konto/powiazania/nowe/", views_linking.new_request, name="link_request_new"),
    path("konto/powiazania/<str:code>/", views_linking.request_detail, name="link_request"),
    path(
        "konto/powiazania/<str:code>/wniosek.pdf",
        views_linking.request_pdf,
        name="link_request_pdf",
    ),
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
