"""Addresses of messaging outside the language prefix (called by machines: operators, mail clients).

They never change with the language, so the addresses registered with operators stay valid.
``/powiadomienia/wypisz/<token>/`` is the RFC 8058 one-click unsubscribe URL put in every
campaign email (POST withdraws, GET shows a confirmation page); ``/powiadomienia/sms/raporty/``
receives the SMS operator's delivery reports.
"""

from django.urls import path

from . import views

app_name = "messaging_callbacks"

urlpatterns = [
    path("powiadomienia/wypisz/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("powiadomienia/sms/raporty/", views.delivery_reports, name="delivery_reports"),
]
