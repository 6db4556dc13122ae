"""Mounted at /admin/2fa/ by ``hooks.register_staff_security_urls``."""

from django.urls import path

from . import views

app_name = "staff_security"

urlpatterns = [
    path("wlacz/", views.enrol, name="enrol"),
    path("weryfikacja/", views.verify, name="verify"),
    path("kody-zapasowe/", views.backup_codes, name="backup_codes"),
]
