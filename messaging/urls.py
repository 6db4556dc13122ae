"""Resident pages of messaging, under the language prefix (Polish at /, English at /en/)."""

from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("konto/powiadomienia/zgody/", views.save_consents, name="consents"),
    path("konto/powiadomienia/telefon/", views.phone_start, name="phone_start"),
    path("konto/powiadomienia/telefon/kod/", views.phone_confirm, name="phone_confirm"),
    path("konto/powiadomienia/wiadomosci/<int:pk>/", views.message_detail, name="message"),
]
