"""URLs for the login.gov.pl tests: the project's URLs with the identity app in front."""

from django.urls import include, path

from config.urls import handler404, handler500
from config.urls import urlpatterns as project_urlpatterns

__all__ = ["handler404", "handler500", "urlpatterns"]

urlpatterns = [path("", include("eservices.identity.urls")), *project_urlpatterns]
