"""Resident pages of payments, under the language prefix (Polish at /, English at /en/)."""

app_name = "payments"

urlpatterns: list = []
