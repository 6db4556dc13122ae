"""login.gov.pl (Profil Zaufany) endpoints; include under the language prefix or at the root."""

from django.urls import path

from . import views

app_name = "identity"

urlpatterns = [
    path("login-gov-pl/", views.start, name="login_gov_pl_start"),
    path("login-gov-pl/acs/", views.acs, name="login_gov_pl_acs"),
    path("login-gov-pl/wyloguj/", views.logout_view, name="login_gov_pl_logout"),
]
