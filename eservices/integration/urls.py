"""URLs of the domain-systems API, mounted at /api/ by config.urls: /api/v1/… ."""

from django.urls import path
from ninja import NinjaAPI

from .api import router

api_v1 = NinjaAPI(
    title="Gmina e-Usługi: domain systems API",
    version="1",
    description=(
        "For the office's tax and accounting software (SIGID, PUMA, Gmina v.2, …): push import "
        "batches in the format of docs/integration-format.md and pull the portal's events. "
        "Authenticate with the domain system's token: `Authorization: Bearer <token>`."
    ),
    urls_namespace="integration-api-v1",
)
api_v1.add_router("/", router)

urlpatterns = [path("v1/", api_v1.urls)]
