"""Addresses of payments outside the language prefix (called by machines: operators, mail clients).

They never change with the language, so the addresses registered with operators stay valid.
"""

from django.urls import path

from . import callback_views

app_name = "payments_callbacks"

urlpatterns: list = [
    path(
        "platnosci/powiadomienia/<slug:code>/",
        callback_views.notification,
        name="notify",
    ),
]
