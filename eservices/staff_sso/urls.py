"""Staff SAML endpoints (outside the language prefix: the addresses are registered at the IdP)."""

from django.urls import path

from . import views

app_name = "staff_sso"

urlpatterns = [
    path("", views.login, name="login"),
    path("acs/", views.acs, name="acs"),
    path("complete/", views.complete, name="complete"),
    path("metadata/", views.metadata, name="metadata"),
]
